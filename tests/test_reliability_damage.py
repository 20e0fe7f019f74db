"""A damaged index, a full disk, a read-only index folder (issue 7).

Each damage is made with real files (truncate, delete, overwrite), then:
``searchkit query`` and ``searchkit check`` say so in one line and exit 2, and
``searchkit index`` repairs it by itself (saying so) or ``--rebuild`` does.
A full disk or a read-only folder makes ``searchkit index`` exit 2 with one
line, and the previous index keeps answering.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
from pathlib import Path

import pytest

from searchkit.index import MANIFEST, update_index
from tests.test_reliability_support import (
    can_mount, indexed, one_line_error, query_json, run, run_as, unprivileged, write_notes,
)

IDENTS = [f"n{i:05d}" for i in range(30)]


@pytest.fixture
def built(tmp_path):
    notes, idx = tmp_path / "notes", tmp_path / "idx"
    write_notes(notes, IDENTS)
    update_index(idx, [notes])
    return notes, idx


def _segment(idx: Path) -> Path:
    [seg] = idx.glob("*.seg")
    return seg


def _toc(idx: Path) -> Path:
    [toc] = idx.glob("_sk*.toc")
    return toc


def _manifest(idx: Path) -> dict:
    return json.loads((idx / MANIFEST).read_text("utf-8"))


def _truncate_segment(idx, notes):
    seg = _segment(idx)
    os.truncate(seg, seg.stat().st_size // 2)


def _delete_segment(idx, notes):
    _segment(idx).unlink()


def _garbage_toc(idx, notes):
    _toc(idx).write_bytes(os.urandom(400))


def _manifest_lists_missing_files(idx, notes):
    data = _manifest(idx)
    entry = next(iter(data["files"].values()))
    data["files"][str(notes / "perdu.md")] = dict(entry, records=1)
    (idx / MANIFEST).write_text(json.dumps(data), "utf-8")


def _manifest_of_another_index(idx, notes):
    other_notes, other_idx = idx.parent / "autres", idx.parent / "autre-idx"
    write_notes(other_notes, [f"n{i:05d}" for i in range(100, 140)])
    update_index(other_idx, [other_notes])
    (idx / MANIFEST).write_bytes((other_idx / MANIFEST).read_bytes())


def _garbage_manifest(idx, notes):
    (idx / MANIFEST).write_bytes(b'{"version": 4, "files": {"/x.md": {"size": ')


def _manifest_of_wrong_shape(idx, notes):
    (idx / MANIFEST).write_text('{"version": 4, "files": {"/x.md": [1, 2, 3]}}', "utf-8")


def _manifest_ahead_of_index(idx, notes):
    data = _manifest(idx)
    data["generation"] += 3
    (idx / MANIFEST).write_text(json.dumps(data), "utf-8")


DAMAGES = {
    "truncated segment": (_truncate_segment, ""),
    "deleted segment": (_delete_segment, "fichier introuvable"),
    "garbage TOC": (_garbage_toc, ""),
    "manifest lists files the index lacks": (_manifest_lists_missing_files, "absent(s) de l'index"),
    "manifest of another index": (_manifest_of_another_index, "le manifeste annonce 40 fiche(s), l'index en contient 30"),
    "garbage manifest": (_garbage_manifest, "manifest.json illisible : ce n'est pas du JSON"),
    "manifest of the wrong shape": (_manifest_of_wrong_shape, "manifest.json illisible : entrée invalide pour /x.md"),
    "manifest ahead of the index": (_manifest_ahead_of_index, "le manifeste décrit la version 4 de l'index"),
}


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_damage_is_reported_in_one_line_then_repaired_by_the_next_index_run(built, damage):
    notes, idx = built
    make, reason = DAMAGES[damage]
    make(idx, notes)

    code, _, err = query_json(idx)
    line = one_line_error(err)
    assert code == 2
    assert f"L'index {idx} est endommagé (" in line and line.endswith("Reconstruisez-le : searchkit index --rebuild")
    assert reason in line
    check = run("check", "--index", idx)
    assert check.returncode == 2 and one_line_error(check.stderr) == line

    repaired = run("index", notes, "--index", idx)
    assert repaired.returncode == 0 and "Traceback" not in repaired.stderr
    assert f"attention: {idx}: l'index était endommagé (" in repaired.stderr
    assert "reconstruit entièrement" in repaired.stderr
    assert repaired.stdout.startswith(f"{len(IDENTS)} ajouté(s)")
    assert sorted(indexed(idx)) == IDENTS
    assert query_json(idx)[0] == 0
    assert run("check", "--index", idx).returncode == 0


@pytest.mark.parametrize("damage", ["truncated segment", "garbage TOC", "garbage manifest"])
def test_rebuild_repairs_a_damaged_index(built, damage):
    notes, idx = built
    DAMAGES[damage][0](idx, notes)
    repaired = run("index", notes, "--index", idx, "--rebuild")
    assert repaired.returncode == 0, repaired.stderr
    assert "Traceback" not in repaired.stderr
    assert sorted(indexed(idx)) == IDENTS
    assert run("check", "--index", idx).returncode == 0
    assert len(list(idx.glob("*.seg"))) == 1 and len(list(idx.glob("_sk*.toc"))) == 1  # the damaged files are gone


def test_an_unfinished_first_build_is_not_called_damaged(tmp_path):
    """A first run killed before its first commit leaves an empty index and no manifest."""
    from whoosh import index as whoosh_index

    from searchkit.index import INDEX_NAME, build_schema

    idx = tmp_path / "idx"
    idx.mkdir()
    whoosh_index.create_in(str(idx), build_schema(), indexname=INDEX_NAME)
    code, _, err = query_json(idx)
    assert code == 2
    assert one_line_error(err) == (f"erreur: L'index {idx} n'a jamais été terminé (construction en cours ou "
                                   "interrompue). Lancez « searchkit index ».")


# ---------------------------------------------------------------- disk full, read-only


def _grow(notes: Path) -> None:
    """Enough new text that the next segment cannot fit in a few hundred kilobytes."""
    for i in range(60):
        words = " ".join(f"mot{i}x{j}" for j in range(400))
        (notes / f"gros{i:03d}.md").write_text(f"---\ntitle: Gros {i}\n---\n{words}\n", "utf-8")


def _assert_write_refused(result, reason: str, idx: Path, before: dict) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    line = one_line_error(result.stderr)
    assert line.startswith(f"erreur: Impossible d'écrire l'index dans {idx} ({reason})"), line
    assert "L'index précédent est intact." in line
    assert indexed(idx) == before  # the previous index still answers, unchanged
    code, data, err = query_json(idx)
    assert code == 0 and data["total"] == len(before), err


def test_disk_full_on_a_tiny_tmpfs(tmp_path):
    if not can_mount():
        pytest.skip("mounting a tmpfs is not permitted here (needs root with CAP_SYS_ADMIN); "
                    "test_file_size_limit covers a failing write instead")
    small = tmp_path / "small"
    small.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=600k", "tmpfs", str(small)], check=True)
    try:
        notes, idx = tmp_path / "notes", small / "idx"
        write_notes(notes, IDENTS[:10])
        assert run("index", notes, "--index", idx, "-q").returncode == 0
        before = indexed(idx)
        files = sorted(p.name for p in idx.rglob("*"))
        _grow(notes)
        result = run("index", notes, "--index", idx)
        _assert_write_refused(result, "disque plein", idx, before)
        # the half-written segment and Whoosh's temporary files were removed; only
        # the manifest changed (its journal now lists the files to read again)
        assert sorted(p.name for p in idx.rglob("*")) == files
        # with room again, the next run finishes the job
        for p in notes.glob("gros*.md"):
            if p.name >= "gros001":
                p.unlink()
        again = run("index", notes, "--index", idx, "-q")
        assert again.returncode == 0, again.stderr
        assert len(indexed(idx)) == 11
    finally:
        subprocess.run(["umount", "-l", str(small)], check=False)


def test_file_size_limit(tmp_path):
    """RLIMIT_FSIZE makes every write past 150 KB fail with EFBIG: a disk that fills up, for any user."""
    notes, idx = tmp_path / "notes", tmp_path / "idx"
    write_notes(notes, IDENTS[:10])
    assert run("index", notes, "--index", idx, "-q").returncode == 0
    before = indexed(idx)
    _grow(notes)

    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of being killed
        resource.setrlimit(resource.RLIMIT_FSIZE, (150_000, 150_000))

    result = run("index", notes, "--index", idx, preexec_fn=limit)
    _assert_write_refused(result, "fichier trop gros pour ce système", idx, before)
    assert not list(idx.glob("*.tmp")) and not list(idx.glob(".*.tmp"))
    again = run("index", notes, "--index", idx, "-q")
    assert again.returncode == 0, again.stderr
    assert len(indexed(idx)) == 70


def test_read_only_bind_mount(tmp_path):
    if not can_mount():
        pytest.skip("a read-only bind mount needs root with CAP_SYS_ADMIN; test_read_only_folder covers permissions")
    notes, idx = tmp_path / "notes", tmp_path / "idx"
    write_notes(notes, IDENTS[:10])
    assert run("index", notes, "--index", idx, "-q").returncode == 0
    before = indexed(idx)
    subprocess.run(["mount", "--bind", str(idx), str(idx)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(idx)], check=True)
        write_notes(notes, IDENTS[10:])
        result = run("index", notes, "--index", idx)
        _assert_write_refused(result, "système de fichiers en lecture seule", idx, before)
        assert run("check", "--index", idx).returncode == 0  # reading a read-only index is fine
    finally:
        subprocess.run(["umount", "-l", str(idx)], check=False)


def test_read_only_folder(tmp_path):
    """chmod 555 on the index folder (as root: without the capabilities that ignore it)."""
    prefix = unprivileged()
    if prefix is None:
        pytest.skip("running as root, which ignores chmod, and setpriv cannot drop CAP_DAC_OVERRIDE here; "
                    "test_read_only_bind_mount covers a read-only index folder")
    notes, idx = tmp_path / "notes", tmp_path / "idx"
    write_notes(notes, IDENTS[:10])
    assert run("index", notes, "--index", idx, "-q").returncode == 0
    before = indexed(idx)
    write_notes(notes, IDENTS[10:])
    idx.chmod(0o555)
    try:
        result = run_as(prefix, "index", notes, "--index", idx)
        _assert_write_refused(result, "permission refusée", idx, before)
        query = run_as(prefix, "query", "commun", "--index", idx)
        assert query.returncode == 0, query.stderr  # a read-only index can still be searched
    finally:
        idx.chmod(0o755)


def test_an_index_of_an_older_version_is_rebuilt_and_its_files_removed(tmp_path):
    from searchkit.index import INDEX_NAME

    notes, idx = tmp_path / "notes", tmp_path / "idx"
    write_notes(notes, IDENTS[:5])
    update_index(idx, [notes])
    old = "sk1" if INDEX_NAME != "sk1" else "sk0"
    for p in list(idx.iterdir()):  # make it look like an index of analysis version 1
        if p.name.startswith((f"_{INDEX_NAME}_", f"{INDEX_NAME}_")):
            p.rename(idx / p.name.replace(INDEX_NAME, old, 1))
    code, _, err = query_json(idx)
    assert code == 2 and "construit par une autre version de searchkit" in one_line_error(err)
    result = run("index", notes, "--index", idx)
    assert result.returncode == 0
    assert "l'index venait d'une autre version de searchkit : reconstruit entièrement" in result.stderr
    assert not [p.name for p in idx.iterdir() if old in p.name]
    assert sorted(indexed(idx)) == IDENTS[:5]
