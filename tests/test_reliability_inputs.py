"""Bad inputs (issue 7): each one a warning line naming the file, the run goes on.

Notes with broken front matter, huge or strange files, odd names, links,
unreadable and vanishing files, and queries nobody should type.  Everything
goes through the real command line in a subprocess, so a traceback or a
wrong exit status anywhere fails the test.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from searchkit.sources.scan import shown
from tests.test_reliability_support import (
    indexed, one_line_error, remove_tree, run, run_as, unprivileged, write_notes,
)

BAD_NOTES: dict[str, tuple[bytes, str | None]] = {
    # name: (content, the warning expected for it; None when the note is fine)
    "yaml-invalide.md": (b"---\ntitle: [pas ferm\xc3\xa9\ntags: a\n---\ncorps\n", "en-tête YAML invalide"),
    "tabulations.md": (b"---\ntitle: Tab\n\tfoo: bar\n---\ncorps\n", "en-tête YAML invalide"),
    "cle-double.md": (b"---\ntitle: Un\ntitle: Deux\n---\ncorps\n", "clé « title » en double"),
    "bombe.md": (b"---\na: &a [x, x, x, x, x, x, x, x, x]\n"
                 + b"".join(b"b%d: &b%d [" % (i, i) + b", ".join([b"*a" if i == 0 else b"*b%d" % (i - 1)] * 9) + b"]\n"
                            for i in range(8))
                 + b"title: Bombe\n---\ncorps\n", "trop d'alias YAML"),
    # 2**24 leaves with 48 aliases: under the alias limit, so it must stay cheap to flatten
    "bombe-discrete.md": (b"---\nt0: &t0 [x, x]\n"
                          + b"".join(b"t%d: &t%d [*t%d, *t%d]\n" % (i, i, i - 1, i - 1) for i in range(1, 25))
                          + b"tags: *t24\ntitle: Discrete\n---\ncorps\n", None),
    "cles-non-texte.md": (b"---\n1: un\n2020-01-01: date\n3.5: reel\ntrue: vrai\ntitle: Cles\n---\ncorps\n", None),
    "cle-liste.md": (b"---\n[a, b]: liste\ntitle: Liste\n---\ncorps\n", "en-tête YAML invalide"),
    "dates.md": (b"---\ntitle: Dates\ncreated: 2023-01-01\nmodified: 2023-01-02 10:00:00\n---\ncorps\n", None),
    "date-impossible.md": (b"---\ntitle: Date\ncreated: 2023-13-45\n---\ncorps\n", "en-tête YAML invalide (month must be in 1..12)"),
    "entier-geant.md": (b"---\ntitle: Geant\nnombre: " + b"9" * 5000 + b"\n---\ncorps\n", "en-tête YAML invalide"),
    "scalaire-geant.md": (b"---\ntitle: \"" + b"x" * 300_000 + b"\"\n---\ncorps\n", "en-tête YAML de 292 Ko, trop long"),
    "null-partout.md": (b"---\nid: null\ntitle: null\ntags: null\ntypes: [null, ~]\nnull: null\n~: ~\n---\ncorps\n", None),
    "pas-un-dict.md": (b"---\n- a\n- b\n---\ncorps\n", "n'est pas une liste de clés"),
    "nul.md": (b"---\ntitle: Nul\n---\ncorps \x00 avec NUL\n", "1 octet(s) NUL retiré(s)"),
    "utf16.md": ("---\ntitle: Été\n---\ncorps\n".encode("utf-16"), "lu comme UTF-16"),
    "utf16-sans-bom.md": ("---\ntitle: Été\n---\ncorps\n".encode("utf-16-le"), "lu comme UTF-16"),
    "utf16-impair.md": (b"\xff\xfe" + "---\ntitle: Impair\n---\n".encode("utf-16-le") + b"\x00", "lu comme UTF-16"),
    "fins-de-ligne.md": (b"---\r\ntitle: Fins\rtags: [melange]\n---\r\ncorps\r\n", None),
    "binaire.md": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "fichier binaire"),
    "espaces et accents é à ç.md": (b"---\ntitle: Espaces\n---\ncorps\n", None),
    "emoji 😀🎉.md": (b"---\ntitle: Emoji\n---\ncorps\n", None),
}


def _write_bad_notes(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for name, (data, _) in BAD_NOTES.items():
        (root / name).write_bytes(data)
    write_notes(root, ["n00001", "n00002"])  # two good notes among them
    hidden = root / ".obsidian"
    hidden.mkdir()
    (hidden / "cache.md").write_text("---\ntitle: Cachee\n---\n", "utf-8")
    (root / ".git").mkdir()
    (root / ".git" / "HEAD.md").write_text("x", "utf-8")


def _warnings(stderr: str) -> list[str]:
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line]
    assert all(line.startswith("attention: ") for line in lines), stderr
    return lines


def test_bad_notes_each_give_one_warning_naming_the_file_and_the_run_goes_on(tmp_path):
    notes, idx = tmp_path / "notes", tmp_path / "idx"
    _write_bad_notes(notes)
    started = time.monotonic()
    result = run("index", notes, "--index", idx)
    assert result.returncode == 0
    assert time.monotonic() - started < 20  # no bomb, no quadratic regex
    warnings = _warnings(result.stderr)
    for name, (_, expected) in BAD_NOTES.items():
        mine = [w for w in warnings if w.startswith(f"attention: {notes / name}:")]
        if expected is None:
            assert mine == [], mine
        else:
            assert len(mine) == 1 and expected in mine[0], (name, mine)
    assert not any(".obsidian" in w or ".git" in w for w in warnings)
    found = indexed(idx)
    assert {"n00001", "n00002", "null-partout.md", "emoji 😀🎉.md", "espaces et accents é à ç.md"} <= set(found)
    assert "binaire.md" not in found and not any("cache" in i for i in found)
    # what the lenient readers kept
    engine_titles = {r["id"]: r["title"] for r in _stored(idx)}
    assert engine_titles["null-partout.md"] == "null-partout"
    assert engine_titles["fins-de-ligne.md"] == "Fins"
    assert engine_titles["utf16-sans-bom.md"] == "Été"
    assert engine_titles["yaml-invalide.md"] == "pas fermé"
    # a second run reads nothing again and repeats nothing
    again = run("index", notes, "--index", idx)
    assert again.returncode == 0 and again.stderr == ""


def _stored(idx):
    from searchkit.query import Engine

    engine = Engine(idx)
    try:
        return list(engine.searcher().documents())
    finally:
        engine.close()


def test_a_50_mb_note_and_a_5_mb_line(tmp_path):
    notes, idx = tmp_path / "notes", tmp_path / "idx"
    notes.mkdir()
    (notes / "enorme.md").write_text("---\ntitle: Énorme\n---\n" + "ligne de texte assez banale\n" * 1_900_000, "utf-8")
    (notes / "ligne.md").write_text("---\ntitle: Ligne\n---\n" + "mot " * 1_300_000 + "\n", "utf-8")
    # a heading followed by a run of spaces: the old heading regex took quadratic time here
    (notes / "titre.md").write_text("# a" + " " * 500_000 + "b\ncorps\n", "utf-8")
    assert (notes / "enorme.md").stat().st_size > 50 * 2**20
    result = run("index", notes, "--index", idx, timeout=60)
    assert result.returncode == 0
    warnings = _warnings(result.stderr)
    assert f"attention: {notes / 'enorme.md'}: note de plus de 50 Mo : seul le début est indexé" in warnings
    assert f"attention: {notes / 'ligne.md'}: note de plus de 4 Mo : seul le début est indexé" in warnings
    assert sorted(indexed(idx)) == ["enorme.md", "ligne.md", "titre.md"]


def test_names_that_are_not_utf8_are_skipped_with_a_printable_warning(tmp_path):
    notes, idx = tmp_path / "notes", tmp_path / "idx"
    write_notes(notes, ["n00001"])
    raw = os.fsencode(notes)
    with open(raw + b"/caf\xe9.md", "wb") as fh:
        fh.write(b"---\ntitle: Latin-1\n---\ncorps\n")
    os.mkdir(raw + b"/dossier \xff")
    with open(raw + b"/dossier \xff/dedans.md", "wb") as fh:
        fh.write(b"---\ntitle: Dedans\n---\ncorps\n")
    # an ASCII-only terminal must not make printing them fail either
    for env in ({}, {"PYTHONIOENCODING": "ascii", "LC_ALL": "C"}):
        result = run("index", notes, "--index", idx, "--rebuild", env=dict(os.environ, **env))
        assert result.returncode == 0, result.stderr
        warnings = _warnings(result.stderr)
        assert f"attention: {notes}/caf\\xe9.md: nom de fichier qui n'est pas en UTF-8 ; ignoré (renommez-le pour l'indexer)" in warnings
        assert f"attention: {notes}/dossier \\xff: nom de fichier qui n'est pas en UTF-8 ; ignoré (renommez-le pour l'indexer)" in warnings
    assert list(indexed(idx)) == ["n00001"]
    assert shown(os.fsdecode(b"/a/caf\xe9.md")) == "/a/caf\\xe9.md"


def test_symbolic_links(tmp_path):
    notes, idx, outside = tmp_path / "notes", tmp_path / "idx", tmp_path / "ailleurs"
    write_notes(notes, ["n00001"])
    write_notes(outside, ["n00002"])
    (notes / "boucle.md").symlink_to("boucle.md")
    (notes / "cassé.md").symlink_to("nulle-part.md")
    (notes / "dehors.md").symlink_to(outside / "d02" / "n00002.md")
    (notes / "dossier-dehors").symlink_to(outside, target_is_directory=True)
    (notes / "d01" / "parent").symlink_to(notes, target_is_directory=True)  # a folder loop
    result = run("index", notes, "--index", idx)
    assert result.returncode == 0
    warnings = _warnings(result.stderr)
    assert f"attention: {notes / 'boucle.md'}: lien symbolique en boucle ; ignoré" in warnings
    assert f"attention: {notes / 'cassé.md'}: lien symbolique cassé ; ignoré" in warnings
    outside_msg = "lien symbolique vers l'extérieur des sources ; non suivi (--follow-links pour le suivre)"
    assert f"attention: {notes / 'dehors.md'}: {outside_msg}" in warnings
    assert f"attention: {notes / 'dossier-dehors'}: {outside_msg}" in warnings
    assert f"attention: {notes / 'd01' / 'parent'}: lien symbolique en boucle ; ignoré" in warnings
    assert len(warnings) == 5
    assert list(indexed(idx)) == ["n00001"]
    followed = run("index", notes, "--index", idx, "--follow-links")
    assert followed.returncode == 0
    assert sorted(indexed(idx)) == ["n00001", "n00002"]  # once, though reached through two links


def test_a_fifo_named_like_a_note_does_not_hang_the_run(tmp_path):
    notes, idx = tmp_path / "notes", tmp_path / "idx"
    write_notes(notes, ["n00001"])
    os.mkfifo(notes / "tube.md")
    result = run("index", notes, "--index", idx, timeout=30)
    assert result.returncode == 0
    assert _warnings(result.stderr) == [
        f"attention: {notes / 'tube.md'}: pas un fichier ordinaire (tube, socket, périphérique) ; ignoré"]


def test_unreadable_files_and_folders(tmp_path):
    """chmod 000 on a note and on a folder (as root: without the capabilities that ignore it)."""
    prefix = unprivileged()
    if prefix is None:
        pytest.skip("running as root, which ignores chmod, and setpriv cannot drop CAP_DAC_OVERRIDE here")
    notes, idx = tmp_path / "notes", tmp_path / "idx"
    write_notes(notes, ["n00001", "n00002", "n00003"])
    (notes / "d01" / "n00001.md").chmod(0)
    (notes / "d03").chmod(0)
    try:
        result = run_as(prefix, "index", notes, "--index", idx)
        assert result.returncode == 0
        warnings = _warnings(result.stderr)
        assert warnings == [
            f"attention: {notes / 'd01' / 'n00001.md'}: illisible (permission refusée) ; fichier ignoré",
            f"attention: {notes / 'd03'}: accès refusé ; ignoré",
        ] or sorted(warnings) == sorted([
            f"attention: {notes / 'd01' / 'n00001.md'}: illisible (permission refusée) ; fichier ignoré",
            f"attention: {notes / 'd03'}: accès refusé ; ignoré",
        ])
        assert list(indexed(idx)) == ["n00002"]
        # readable again: the next run picks both up
        (notes / "d01" / "n00001.md").chmod(0o644)
        (notes / "d03").chmod(0o755)
        again = run_as(prefix, "index", notes, "--index", idx)
        assert again.returncode == 0 and again.stderr == ""
        assert sorted(indexed(idx)) == ["n00001", "n00002", "n00003"]
    finally:
        remove_tree(notes)


_CHURN = """
import os, sys, time
from pathlib import Path
root, seconds = Path(sys.argv[1]), float(sys.argv[2])
end = time.monotonic() + seconds
while time.monotonic() < end:
    for i in range(100):
        p = root / f"ephemere{i:03d}.md"
        p.write_text(f"---\\ntitle: E{i}\\n---\\ncorps\\n")
    for i in range(100):
        try:
            (root / f"ephemere{i:03d}.md").unlink()
        except FileNotFoundError:
            pass
"""


def test_files_vanishing_during_the_scan(tmp_path):
    notes, idx = tmp_path / "notes", tmp_path / "idx"
    idents = [f"n{i:05d}" for i in range(200)]
    write_notes(notes, idents)
    churn = subprocess.Popen([sys.executable, "-c", _CHURN, str(notes / "d00"), "2"])
    try:
        vanished = 0
        for _ in range(2):
            result = run("index", notes, "--index", idx)
            assert result.returncode == 0
            vanished += sum("disparu pendant l'analyse" in w or "illisible" in w for w in _warnings(result.stderr))
    finally:
        churn.wait()
    final = run("index", notes, "--index", idx)
    assert final.returncode == 0
    assert sorted(indexed(idx)) == idents  # every ephemeral note came and went
    print(f"{vanished} vanishing files reported")


# ---------------------------------------------------------------- queries


@pytest.fixture
def small_index(tmp_path):
    notes, idx = tmp_path / "notes", tmp_path / "idx"
    write_notes(notes, [f"n{i:05d}" for i in range(20)])
    assert run("index", notes, "--index", idx, "-q").returncode == 0
    return idx


QUERIES = [
    '"guillemet seul', 'a "b c', "((données", "données))", "(", ")", "OR", "ET", "NOT", "SAUF", "OU OR AND",
    "-", "--", "*", "**", "données*", "*données", "?", "title:", "tag:", ":", "::", "x:y:z", "-title:données",
    "a\x00b", "\x01\x02\x03", "\x7f", "\u200b", "données\ttransport\nécole", "🙂 😀", "日本語の検索",
    "العربية", "עברית", "हिन्दी", "ελληνικά", "русский", "ᚠᚢᚦ", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "ﷺ", "a" * 300, "données " * 1300,
    "\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace"), "%s %d {} {0}", "\\", "'", "’",
]


def _cli(*args):
    """The command line in this process (click's runner): fast enough for many queries, and
    it takes arguments no real command line can carry (NUL bytes)."""
    from click.testing import CliRunner

    from searchkit.cli import main

    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), (args, result.exception)
    return result


def test_odd_queries_never_fail(small_index):
    for text in QUERIES:
        # a query can start with "-": after "--" click takes it as text
        result = _cli("query", "--index", small_index, "--facets", "--", text)
        assert result.exit_code in (0, 1), (text, result.output)
    for text in QUERIES[:12]:  # and a few through a real process
        result = run("query", "--index", small_index, "--", text.replace("\x00", " "))
        assert result.returncode in (0, 1) and "Traceback" not in result.stderr, (text, result.stderr)


def test_a_10_kb_query_of_unknown_words_answers_in_time(small_index):
    """Without typo tolerance: with it, 200 unknown words take about 8 s (query side, see the report)."""
    words = " ".join(f"zq{i:05d}xw" for i in range(1100))
    assert len(words) > 10_000
    started = time.monotonic()
    result = run("query", words, "--index", small_index, "--no-fuzzy")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert time.monotonic() - started < 15


@pytest.mark.parametrize("limit, code", [("0", 0), ("-1", 2), ("10001", 2), ("99999999999999999999999", 2),
                                         ("abc", 2), ("10000", 0)])
def test_limits(small_index, limit, code):
    result = run("query", "commun", "--index", small_index, "--limit", limit)
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    if limit == "0":
        assert result.stdout.splitlines() == [result.stdout.splitlines()[-1]]  # the count line only
        assert result.stdout.startswith("20 résultat(s)")
    if code == 2 and limit != "abc":
        assert one_line_error(result.stderr) == "erreur: --limit doit être un nombre entre 0 et 10000."


@pytest.mark.parametrize("args, message", [
    (["--facet", "couleur=rouge"], "Facette inconnue « couleur »"),
    (["--facet", "sansegal"], "n'est pas de la forme clé=valeur"),
    (["--facet", "=vide"], "Facette inconnue «  »"),
])
def test_unknown_facets(small_index, args, message):
    result = run("query", "commun", "--index", small_index, *args)
    assert result.returncode == 2
    assert message in one_line_error(result.stderr)


def test_facet_filters_with_odd_values(small_index):
    for value in ["", " ", "\x00", "😀", "a,b", "tag=x=y", "x" * 5000]:
        result = _cli("query", "commun", "--index", small_index, "--tag", value, "--format", "json")
        assert result.exit_code in (0, 1), (value, result.output)


def test_the_same_catalogue_twice_gives_each_dataset_once(tmp_path):
    """Whoosh's update_document cannot replace a document written in the same run: the
    writer marks the older copy deleted itself, so every id is indexed once."""
    from tests.conftest import FIXTURES

    cats, idx = tmp_path / "cats", tmp_path / "idx"
    cats.mkdir()
    data = (FIXTURES / "catalogs" / "datagouv-export.csv").read_bytes()
    (cats / "a.csv").write_bytes(data)
    (cats / "b.csv").write_bytes(data)
    result = run("index", cats, "--index", idx)
    assert result.returncode == 0, result.stderr
    docs = _stored(idx)
    assert len(docs) == len({d["id"] for d in docs}) > 0
    assert {d["path"] for d in docs} == {str(cats / "b.csv")}  # the later one of two equals is kept
    assert run("check", "--index", idx).returncode in (0, 1)  # readable, manifest consistent
