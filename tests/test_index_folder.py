"""An index folder is recognisably ours, and searchkit deletes only what it wrote (issue 11, §2 and §4).

Real files, the real command line in a subprocess.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from searchkit import config
from searchkit.index import MANIFEST, MARKER_FORMAT, Manifest
from tests.test_reliability_support import indexed, one_line_error, run, start, write_notes

IDENTS = [f"n{i:05d}" for i in range(12)]
REPO = Path(__file__).resolve().parent.parent
LOOKALIKES = ("sk1_plan.txt", "_sk3_old.toc", "sk7_notes.seg")  # names the old cleaning matched


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def notes(tmp_path) -> Path:
    write_notes(tmp_path / "notes", IDENTS)
    return tmp_path / "notes"


def test_the_issue_reproduction_is_refused_and_every_file_kept(tmp_path, notes):
    u = tmp_path / "u"
    u.mkdir()
    for name in ("important.txt", *LOOKALIKES, "manifest.json"):
        (u / name).write_text("keep\n")
    (u / "sk2.tmp").mkdir()
    (u / "sk2.tmp" / "x").write_text("k\n")
    before = _files(u)

    result = run("index", notes, "--index", u)

    assert result.returncode == 2
    assert one_line_error(result.stderr) == (
        f"erreur: Le dossier {u} contient déjà des fichiers et n'est pas un index searchkit : rien n'y a été "
        "écrit ni supprimé. Choisissez un dossier vide ou neuf avec --index.")
    assert "Traceback" not in result.stderr
    assert _files(u) == before
    assert sorted(p.name for p in u.iterdir()) == sorted(["important.txt", *LOOKALIKES, "manifest.json", "sk2.tmp"])


def test_a_new_or_empty_folder_gets_the_marker_with_the_format(tmp_path, notes):
    empty = tmp_path / "vide"
    empty.mkdir()
    for idx in (empty, tmp_path / "neuf" / "idx"):
        assert run("index", notes, "--index", idx, "-q").returncode == 0
        assert (idx / config.INDEX_MARKER).read_text("ascii") == f"searchkit-index {MARKER_FORMAT}\n"
        assert sorted(indexed(idx)) == IDENTS


def test_the_repositorys_own_index_folder_is_used_from_a_fresh_clone(tmp_path, notes):
    """README's first command: the clone's index/ holds only the placeholder that keeps it in git."""
    assert (REPO / "index" / ".gitkeep").is_file()  # what .gitignore keeps of index/
    (tmp_path / "index").mkdir()
    (tmp_path / "index" / ".gitkeep").write_bytes((REPO / "index" / ".gitkeep").read_bytes())
    for args in (["index", notes], ["index", notes, "--rebuild"], ["query", "commun"]):
        result = run(*args, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
    assert sorted(indexed(tmp_path / "index")) == IDENTS
    assert (tmp_path / "index" / ".gitkeep").exists()  # a placeholder is never deleted
    keep = tmp_path / "keep"
    keep.mkdir()
    (keep / ".keep").write_text("")
    (keep / "notes.txt").write_text("mine\n")  # a placeholder does not make a folder holding files ours
    assert run("index", notes, "--index", keep).returncode == 2


def test_files_that_look_like_ours_inside_our_index_are_never_deleted(tmp_path, notes):
    idx = tmp_path / "idx"
    assert run("index", notes, "--index", idx, "-q").returncode == 0
    for name in LOOKALIKES:
        (idx / name).write_text("keep\n")
    (idx / "sk2.tmp").mkdir()
    (idx / "sk2.tmp" / "x").write_text("k\n")
    kept = {name: data for name, data in _files(idx).items() if name in (*LOOKALIKES, "sk2.tmp/x")}
    write_notes(notes, IDENTS[:2], version=1)
    assert run("index", notes, "--index", idx, "-q").returncode == 0
    assert run("index", notes, "--index", idx, "--rebuild", "-q").returncode == 0
    (notes / "d01" / "n00001.md").unlink()
    assert run("index", notes, "--index", idx, "-q").returncode == 0
    assert {name: data for name, data in _files(idx).items() if name in kept} == kept
    assert len(list(idx.glob("*.seg"))) == 1 + 1  # the index's one segment, and sk7_notes.seg
    assert sorted(indexed(idx)) == [i for i in IDENTS if i != "n00001"]


def test_an_index_of_the_previous_release_is_adopted(tmp_path, notes):
    """The release before the marker wrote the same files without it: a manifest of exactly
    our shape and a TOC Whoosh can read make the folder recognisably an index."""
    idx = tmp_path / "idx"
    assert run("index", notes, "--index", idx, "-q").returncode == 0
    (idx / config.INDEX_MARKER).unlink()
    (idx / "notes-perso.txt").write_text("keep\n")
    write_notes(notes, ["n00003"], version=2)
    result = run("index", notes, "--index", idx)
    assert result.returncode == 0, result.stderr
    assert "1 mis à jour" in result.stdout
    assert (idx / config.INDEX_MARKER).read_text("ascii") == f"searchkit-index {MARKER_FORMAT}\n"
    assert (idx / "notes-perso.txt").read_text() == "keep\n"
    assert indexed(idx)["n00003"] == "2"


def test_a_manifest_without_a_readable_toc_is_not_an_index(tmp_path, notes):
    idx = tmp_path / "idx"
    assert run("index", notes, "--index", idx, "-q").returncode == 0
    other = tmp_path / "other"
    other.mkdir()
    (other / MANIFEST).write_bytes((idx / MANIFEST).read_bytes())  # a genuine manifest, no TOC
    (other / "_sk3_1.toc").write_text("keep\n")
    before = _files(other)
    result = run("index", notes, "--index", other)
    assert result.returncode == 2 and "n'est pas un index searchkit" in one_line_error(result.stderr)
    assert _files(other) == before


def test_a_folder_named_like_the_temporary_one_is_not_emptied(tmp_path, notes):
    """Whoosh empties its temporary folder when a write ends: one searchkit did not make is refused."""
    from searchkit.index import INDEX_NAME

    idx = tmp_path / "idx"
    assert run("index", notes, "--index", idx, "-q").returncode == 0
    (idx / f"{INDEX_NAME}.tmp").mkdir()
    (idx / f"{INDEX_NAME}.tmp" / "x").write_text("k\n")
    write_notes(notes, ["n00002"], version=3)
    result = run("index", notes, "--index", idx)
    assert result.returncode == 2
    assert one_line_error(result.stderr) == (
        f"erreur: Le dossier {idx / (INDEX_NAME + '.tmp')} porte le nom du dossier temporaire de searchkit mais n'a "
        "pas été créé par lui : rien n'y a été écrit ni supprimé. Déplacez-le ou renommez-le, puis relancez "
        "« searchkit index ».")
    assert (idx / f"{INDEX_NAME}.tmp" / "x").read_text() == "k\n"
    (idx / f"{INDEX_NAME}.tmp" / "x").rename(tmp_path / "x")
    (idx / f"{INDEX_NAME}.tmp").rmdir()
    assert run("index", notes, "--index", idx, "-q").returncode == 0
    assert indexed(idx)["n00002"] == "3"


@pytest.mark.parametrize("marker, message", [
    ("hello\n", "n'est pas un index searchkit"),
    (f"searchkit-index {MARKER_FORMAT + 1}\n", f"plus récente de searchkit (format {MARKER_FORMAT + 1})"),
])
def test_a_marker_searchkit_did_not_write_is_refused(tmp_path, notes, marker, message):
    idx = tmp_path / "idx"
    idx.mkdir()
    (idx / config.INDEX_MARKER).write_text(marker)
    (idx / "keep.txt").write_text("keep\n")
    before = _files(idx)
    result = run("index", notes, "--index", idx)
    assert result.returncode == 2 and message in one_line_error(result.stderr)
    assert _files(idx) == before


# ---------------------------------------------------------------- §4: a manifest of the wrong shape

def _entry(data: dict, notes: Path) -> dict:
    return data["files"][str(notes / "d01" / "n00001.md")]


def _set(where, key, value):
    def change(data: dict, notes: Path) -> dict:
        where(data, notes)[key] = value
        return data
    return change


def _top(data, notes):
    return data


WRONG_SHAPES = {
    "a list instead of the manifest": lambda data, notes: [1, 2],
    "a list of files": _set(_top, "files", ["a.md"]),
    "a list as an entry": _set(lambda data, notes: data["files"], str(Path("/x.md")), [1, 2, 3]),
    "a list as a shadowed owner": _set(_entry, "shadowed", {"x": ["a.md"]}),
    "a list as the duplicates": _set(_entry, "duplicates", ["x"]),
    "a list as a problem": _set(_entry, "problems", [["oops"]]),
    "a list as the journal": _set(_top, "pending", ["a.md"]),
    "a mapping as the journal's paths": _set(_top, "pending", {"paths": {"a.md": 1}}),
    "a mapping as the segments": _set(_top, "segments", {"a": 1}),
}


@pytest.fixture
def built(tmp_path, notes):
    idx = tmp_path / "idx"
    assert run("index", notes, "--index", idx, "-q").returncode == 0
    return notes, idx


@pytest.mark.parametrize("shape", list(WRONG_SHAPES))
def test_a_manifest_of_the_wrong_shape_is_damaged_then_repaired(built, shape):
    notes, idx = built
    data = WRONG_SHAPES[shape](json.loads((idx / MANIFEST).read_text("utf-8")), notes)
    (idx / MANIFEST).write_text(json.dumps(data), "utf-8")

    check = run("check", "--index", idx)
    assert check.returncode == 2 and "Traceback" not in check.stderr
    assert check.stderr.count("\n") == 1
    assert one_line_error(check.stderr).startswith(f"erreur: L'index {idx} est endommagé (manifest.json illisible : ")

    repaired = run("index", notes, "--index", idx)
    assert repaired.returncode == 0 and "Traceback" not in repaired.stderr
    assert "l'index était endommagé (manifest.json illisible : " in repaired.stderr
    assert "reconstruit entièrement" in repaired.stderr
    assert run("check", "--index", idx).returncode == 0
    assert Manifest.read(idx) is not None and sorted(indexed(idx)) == IDENTS


def test_watch_repairs_a_manifest_of_the_wrong_shape_and_says_so(built):
    notes, idx = built
    (idx / MANIFEST).write_text(json.dumps({"version": 7, "files": {"/x.md": {"size": 1, "mtime_ns": 1, "hash": "h",
                                                                             "duplicates": {"a": ["b"]}}}}), "utf-8")
    watch = start("watch", notes, "--index", idx)
    try:
        lines = []
        for line in watch.stderr:  # the first update happens before the watching starts
            lines.append(line)
            if line.startswith("Surveillance de"):
                break
    finally:
        watch.terminate()
        watch.wait(timeout=30)
    assert lines[0].startswith("attention: ") and "l'index était endommagé (manifest.json illisible : " in lines[0]
    assert lines[-1].startswith("Surveillance de") and not any("Traceback" in line for line in lines)
    assert sorted(indexed(idx)) == IDENTS
