"""Saved searches and the search history, through the real command line on real notes and catalogue records."""

from __future__ import annotations

import json
import os
import shutil
import tomllib

import pytest
from click.testing import CliRunner

from searchkit import history
from searchkit.cli import main
from searchkit.config import config_dir, state_dir
from tests.conftest import FIXTURES
from tests.helpers import copy_notes, write_note


def sk(*args, code=0, env=None):
    result = CliRunner().invoke(main, list(args), env=env)
    assert result.exit_code == code, (result.stdout, result.stderr)
    return result


@pytest.fixture
def notes(tmp_path):
    root = copy_notes(tmp_path)
    sk("index", str(root), "-q")
    return root


def test_add_list_and_remove_a_saved_search(notes):
    out = sk("saved", "add", "ouverture", "données ouvertes", "--tag", "open data", "--kind", "note").stdout
    assert out == 'Recherche « ouverture » enregistrée : "données ouvertes" tag=open data kind=note\n'
    sk("saved", "add", "pêche", "pêche", "--sort", "title")
    saved = (config_dir() / "saved.toml").read_text("utf-8")
    assert saved.startswith("# Recherches enregistrées de searchkit")
    assert tomllib.loads(saved) == {
        "ouverture": {"query": "données ouvertes", "kind": "note", "tag": ["open data"]},
        "pêche": {"query": "pêche", "sort": "title"},
    }
    assert sk("saved", "list").stdout == (
        'ouverture  "données ouvertes" tag=open data kind=note  (jamais lancée)\n'
        'pêche      "pêche" sort=title  (jamais lancée)\n'
    )
    assert "remplacée" in sk("saved", "add", "pêche", "pêche en rivière").stdout
    assert sk("saved", "rm", "pêche").stdout == "Recherche « pêche » supprimée.\n"
    assert list(tomllib.loads((config_dir() / "saved.toml").read_text("utf-8"))) == ["ouverture"]
    missing = sk("saved", "run", "pêche", code=2)
    assert missing.stderr.startswith("erreur: Aucune recherche enregistrée ne s'appelle « pêche »")


def test_a_file_edited_by_hand_is_read_and_a_broken_one_named(notes):
    config_dir().mkdir(parents=True)
    (config_dir() / "saved.toml").write_text('[gourmandise]\nquery = "péché"\ntags = "morale"\n', "utf-8")
    result = sk("saved", "run", "gourmandise")
    assert "Le péché de gourmandise" in result.stdout
    (config_dir() / "saved.toml").write_text('[gourmandise\nquery = "péché"\n', "utf-8")
    broken = sk("saved", "list", code=2)
    assert broken.stderr.startswith(f"erreur: {config_dir() / 'saved.toml'} n'est pas du TOML valide")
    assert len(broken.stderr.splitlines()) == 1
    (config_dir() / "saved.toml").write_text('[gourmandise]\nquery = "péché"\ncouleur = ["rouge"]\n', "utf-8")
    assert "« couleur »" in sk("saved", "list", code=2).stderr


def test_new_records_after_an_edit_and_after_an_index_update(notes):
    sk("saved", "add", "données", "données")
    first = sk("saved", "run", "données", "--new", "--format", "paths")
    assert sorted(os.path.basename(p) for p in first.stdout.split("\n") if p) == ["datagouv.md", "etalab.md"]
    nothing = sk("saved", "run", "données", "--new", code=1)
    assert nothing.stdout == ""
    assert nothing.stderr.startswith("Rien de nouveau pour « données » depuis le ")

    etalab = notes / "etalab.md"
    etalab.write_text(etalab.read_text("utf-8") + "\nNouveau paragraphe.\n", "utf-8")
    os.utime(etalab, (etalab.stat().st_atime, etalab.stat().st_mtime + 10))
    sk("saved", "run", "données", "--new", code=1)  # the index does not know yet
    sk("index", str(notes), "-q")
    edited = sk("saved", "run", "données", "--new")
    assert edited.stdout.splitlines()[0].startswith("1 fiche(s) nouvelle(s) ou modifiée(s) pour « données » depuis le ")
    assert edited.stdout.splitlines()[1] == " 1. Etalab  [organisation]  # open data, administration, libre d'accès"
    sk("saved", "run", "données", "--new", code=1)

    write_note(notes, "insee.md", "INSEE", "L'institut publie des données statistiques.", id="20230114093500")
    sk("index", str(notes), "-q")
    added = sk("saved", "run", "données", "--new", "--format", "jsonl")
    assert [json.loads(line)["title"] for line in added.stdout.splitlines()] == ["INSEE"]
    quiet = sk("saved", "run", "données", "--new", "--quiet", code=1)  # what cron mails: nothing
    assert (quiet.stdout, quiet.stderr) == ("", "")
    assert "dernier passage" in sk("saved", "list").stdout


def test_new_datasets_after_a_catalogue_update(tmp_path):
    catalogue = tmp_path / "export.csv"
    shutil.copy(FIXTURES / "catalogs" / "datagouv-export.csv", catalogue)
    sk("index", str(catalogue), "-q")
    sk("saved", "add", "jeux", "", "--kind", "dataset")
    assert len(sk("saved", "run", "jeux", "--new", "--format", "jsonl", "-n", "100").stdout.splitlines()) > 3
    sk("saved", "run", "jeux", "--new", code=1)
    # the portal updated one dataset: the whole file is rewritten, one record's date changes
    text = catalogue.read_text("utf-8")
    assert text.count("2025-01-20T00:00:00") == 1
    catalogue.write_text(text.replace("2025-01-20T00:00:00", "2026-02-01T00:00:00"), "utf-8")
    sk("index", str(catalogue), "-q")
    news = sk("saved", "run", "jeux", "--new", "--format", "jsonl")
    assert [json.loads(line)["title"] for line in news.stdout.splitlines()] == ["Stationnements vélos de Rennes Métropole"]


def test_every_query_is_remembered_but_never_its_results(notes):
    sk("query", "données", "--tag", "open data")
    sk("query", "données", "--tag", "open data")  # the same search twice in a row: once
    sk("query", "gourmandise", code=0)
    sk("query", "introuvablemot", code=1)
    lines = sk("history").stdout.splitlines()
    assert [line.strip().split("  ", 2)[2] for line in lines] == [
        "données  [tag=open data]", "gourmandise", "introuvablemot"]
    assert [line.split()[0] for line in lines] == ["1", "2", "3"]
    stored = (state_dir() / "history.jsonl").read_text("utf-8")
    assert "Etalab" not in stored and "péché" not in stored  # titles and snippets of results are not kept
    assert [e["query"] for e in json.loads(sk("history", "-n", "1", "--format", "json").stdout)] == ["introuvablemot"]
    assert sk("history", "--clear").stdout == "Historique effacé.\n"
    assert sk("history").stderr.startswith("Historique vide")


def test_the_history_keeps_the_last_500_and_can_be_turned_off(notes, monkeypatch):
    for n in range(history.MAX_ENTRIES + 5):
        history.remember(f"mot{n}")
    kept = history.entries()
    assert len(kept) == history.MAX_ENTRIES
    assert (kept[0].query, kept[-1].query) == ("mot5", f"mot{history.MAX_ENTRIES + 4}")
    history.clear()
    sk("query", "données", env={"SEARCHKIT_HISTORY": "0"})
    assert not (state_dir() / "history.jsonl").exists()
    assert sk("history", env={"SEARCHKIT_HISTORY": "0"}).stderr == "L'historique est désactivé (SEARCHKIT_HISTORY=0).\n"
