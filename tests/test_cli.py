"""The real command line, through click's CliRunner: output, JSON contract, exit codes."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from searchkit.cli import main
from tests.helpers import copy_notes

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def indexed(tmp_path, runner):
    notes = copy_notes(tmp_path)
    result = runner.invoke(main, ["index", str(notes), "--index", str(tmp_path / "idx")])
    assert result.exit_code == 0, result.output
    return tmp_path / "idx"


def test_index_prints_what_it_did_and_warns_on_stderr(tmp_path, runner):
    notes = copy_notes(tmp_path)
    result = runner.invoke(main, ["index", str(notes), "--index", str(tmp_path / "idx")])
    assert result.exit_code == 0
    assert result.stdout.startswith("10 ajouté(s), 0 mis à jour, 0 supprimé(s), 0 déplacé(s), 0 inchangé(s), 5 avertissement(s) — 9 fiche(s) écrite(s) en ")
    assert f"attention: {notes / 'image.md'}: fichier binaire, pas une note ; ignoré" in result.stderr.splitlines()
    again = runner.invoke(main, ["index", str(notes), "--index", str(tmp_path / "idx")])
    assert again.stdout.startswith("0 ajouté(s), 0 mis à jour, 0 supprimé(s), 0 déplacé(s), 10 inchangé(s), 0 avertissement(s) — 0 fiche(s)")


def test_json_contract(indexed, runner):
    result = runner.invoke(main, ["query", "réseaux ferrés", "--index", str(indexed), "--format", "json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert list(data) == ["query", "total", "took_ms", "hits", "facets", "notice"]
    assert data["query"] == "réseaux ferrés"
    assert data["total"] == 2
    assert isinstance(data["took_ms"], float)
    assert data["notice"] is None
    hit = data["hits"][0]
    assert list(hit) == ["id", "kind", "types", "title", "tags", "path", "url", "score", "snippet"]
    assert hit["id"] == "20230114093200"
    assert hit["kind"] == "note"
    assert hit["types"] == ["Lieu"]
    assert hit["title"] == "Le cœur de Saint-Étienne"
    assert hit["tags"] == ["libre d/accès"]
    assert os.path.isabs(hit["path"]) and hit["path"].endswith("cœur de Saint-Étienne.md")
    assert hit["url"] == ""
    assert isinstance(hit["score"], float) and hit["score"] > 0
    assert "réseaux ferrés" in hit["snippet"]
    assert set(data["facets"]) >= {"type", "tag"}
    assert data["facets"]["type"] == [
        {"value": "lieu", "label": "Lieu", "count": 1},
        {"value": "portail", "label": "portail", "count": 1},
    ]


def test_jsonl_and_paths(indexed, runner):
    result = runner.invoke(main, ["query", "notion", "--index", str(indexed), "--format", "jsonl"])
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert {h["title"] for h in lines} == {"Pêche en rivière", "Le péché de gourmandise"}
    result = runner.invoke(main, ["query", "type:notion", "--index", str(indexed), "--format", "paths", "--sort", "title"])
    assert [Path(p).name for p in result.stdout.splitlines()] == ["peche.md", "pecheurs.md"]


def test_text_output(indexed, runner):
    result = runner.invoke(main, ["query", "gourmandise", "--index", str(indexed), "--facets"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == " 1. Le péché de gourmandise  [notion]  # morale"
    assert lines[1] == "    Un péché mignon, sans rapport avec les poissons."
    assert lines[2].endswith("sub/peche.md")
    assert lines[3].startswith("1 résultat(s) en ")
    assert lines[4:] == ["Types: notion (1)", "Mots-clés: morale (1)"]


def test_filters_from_the_command_line(indexed, runner):
    result = runner.invoke(main, ["query", "--tag", "libre d'acces", "--type", "portail", "--index", str(indexed), "--format", "paths"])
    assert result.exit_code == 0
    assert [Path(p).name for p in result.stdout.splitlines()] == ["datagouv.md"]
    result = runner.invoke(main, ["query", "--facet", "tag=loisirs", "--index", str(indexed), "--format", "paths"])
    assert [Path(p).name for p in result.stdout.splitlines()] == ["pecheurs.md"]


def test_exit_status_one_when_nothing_matches(indexed, runner):
    result = runner.invoke(main, ["query", "zzzqqqxx", "--index", str(indexed)])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "Aucun résultat pour « zzzqqqxx »." in result.stderr


def test_exit_status_two_on_missing_index_and_usage_errors(tmp_path, runner):
    result = runner.invoke(main, ["query", "x", "--index", str(tmp_path / "none")])
    assert result.exit_code == 2
    assert result.stderr == f"erreur: Aucun index dans {tmp_path / 'none'}. Lancez d'abord « searchkit index » (ou indiquez --index).\n"
    assert runner.invoke(main, ["query", "x", "--limit", "-3", "--index", str(tmp_path)]).exit_code == 2
    bad = runner.invoke(main, ["query", "x", "--facet", "couleur=rouge", "--index", str(tmp_path)])
    assert bad.exit_code == 2 and "Facette inconnue « couleur »" in bad.stderr
    assert runner.invoke(main, ["query", "x", "--format", "xml"]).exit_code == 2


def test_environment_and_english(indexed, runner, monkeypatch):
    monkeypatch.setenv("SEARCHKIT_INDEX", str(indexed))
    monkeypatch.setenv("SEARCHKIT_LANG", "en")
    result = runner.invoke(main, ["query", "gourmandise"])
    assert result.exit_code == 0
    assert "1 result(s) in " in result.stdout


def test_the_garbage_collector_is_on_again_after_any_command(indexed, runner):
    import gc

    for args in (["query", "données"], ["query", "--limit", "-3", "x"], ["check"], ["nosuchcommand"]):
        gc.disable()  # as importing the command line leaves it, for a search
        runner.invoke(main, args)
        assert gc.isenabled(), args


def test_help_and_readme_name_every_command(runner):
    result = runner.invoke(main, ["--help"])
    readme = (REPO / "README.md").read_text("utf-8")
    assert set(main.commands) == {"index", "query", "tui", "watch", "check", "saved", "history", "related", "harvest",
                                  "config"}
    for command in main.commands:
        assert command in result.stdout
        assert f"searchkit {command}" in readme, command
    options = [o for param in main.commands["query"].params for o in param.opts if o.startswith("--")]
    assert {"--zone", "--granularity", "--frequency", "--since", "--until", "--covers"} < set(options)
    for option in options:
        assert option in readme, option


def test_readme_opens_with_the_two_commands_and_ci_runs_the_second():
    readme = (REPO / "README.md").read_text("utf-8")
    first_block = readme.split("```sh", 1)[1].split("```", 1)[0]
    commands = [line for line in first_block.splitlines() if line and not line.startswith("#")]
    assert commands == [
        "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/searchkit",
        "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/python -m pytest -q",
    ]
    ci = (REPO / ".ci" / "run").read_text("utf-8")
    assert "pip install --quiet -e '.[test]'" in ci and "-m pytest -q" in ci


def test_query_does_not_import_textual_or_catalogue_parsers(indexed):
    code = (
        "import sys; from searchkit.cli import main\n"
        f"sys.argv = ['searchkit', 'query', 'etalab', '--index', {str(indexed)!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "bad = [m for m in sys.modules if m.startswith(('textual', 'rdflib', 'searchkit.sources.catalogs', 'searchkit.tui'))]\n"
        "print('LOADED', bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith("LOADED []")


def test_explain_says_how_each_word_matched(indexed, runner):
    result = runner.invoke(main, ["query", "gourmandize", "--index", str(indexed), "--explain", "-n", "1"])
    assert result.exit_code == 0
    score_line = result.stdout.splitlines()[3]
    assert score_line.startswith("    score ")
    assert "title:gourmandis (fuzzy)" in score_line
    assert "Orthographe approchée : gourmandize → gourmandis." in result.stderr
    result = runner.invoke(main, ["query", "pêche", "--index", str(indexed), "--explain", "-n", "1"])
    line = result.stdout.splitlines()[3]
    assert "title_exact:pêche (exact)" in line and "title:pech (stemmed)" in line


def test_dataset_facets_and_filters(tmp_path, runner):
    from tests.conftest import FIXTURES

    catalogs = FIXTURES / "catalogs"
    idx = str(tmp_path / "idx")
    result = runner.invoke(main, ["index", str(catalogs / "datagouv-export.csv"), str(catalogs / "udata-page.json"), "--index", idx])
    assert result.exit_code == 0
    result = runner.invoke(main, ["query", "*", "--kind", "dataset", "--facets", "--index", idx])
    assert result.exit_code == 0
    assert "Producteurs: " in result.stdout and "Rennes Métropole (1)" in result.stdout
    assert "Licences: Licence Ouverte 2.0 (2)" in result.stdout
    data = json.loads(runner.invoke(main, ["query", "*", "--format", "json", "--index", idx]).stdout)
    assert {"value": "rennesmetropole", "label": "Rennes Métropole", "count": 1} in data["facets"]["publisher"]
    only = runner.invoke(main, ["query", "*", "--publisher", "rennes metropole", "--format", "jsonl", "--index", idx])
    assert [json.loads(line)["kind"] for line in only.stdout.splitlines()] == ["dataset"]
    assert runner.invoke(main, ["query", "*", "--kind", "note", "--index", idx]).exit_code == 1
