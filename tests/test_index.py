"""The index on disk: build, incremental update, lock, interruptions."""

import os
import time

import pytest

from searchkit.index import folder, open as index_open, schema, update as index_mod
from searchkit.errors import IndexLocked, IndexMissing
from searchkit.index import Manifest, index_lock, open_index, update_index
from searchkit.query import Engine
from tests.helpers import copy_notes, write_note


@pytest.fixture
def notes(tmp_path):
    return copy_notes(tmp_path)


def ids(index_dir):
    engine = Engine(index_dir)
    try:
        return sorted(d["id"] for d in engine.searcher().documents())
    finally:
        engine.close()


def test_first_build_indexes_every_readable_note(tmp_path, notes):
    report = update_index(tmp_path / "idx", [notes])
    assert (report.added, report.updated, report.removed, report.unchanged) == (10, 0, 0, 0)
    assert report.records == 9  # image.md is binary and skipped
    assert report.rebuilt
    assert ids(tmp_path / "idx") == sorted([
        "20230114093015", "20230114093100", "20230114093200", "20230114093300", "20230114093400",
        "casse.md", "cp1252.md", "sans-entete.md", "vide.md",
    ])
    warned = sorted({os.path.basename(p.path) for p in report.problems})
    assert warned == ["casse.md", "cp1252.md", "image.md", "sans-entete.md", "vide.md"]


def test_second_run_reads_nothing(tmp_path, notes):
    update_index(tmp_path / "idx", [notes])
    report = update_index(tmp_path / "idx", [notes])
    assert (report.added, report.updated, report.removed, report.unchanged, report.records) == (0, 0, 0, 10, 0)
    assert not report.rebuilt


def test_edit_delete_rename_and_touch(tmp_path, notes):
    idx = tmp_path / "idx"
    update_index(idx, [notes])
    etalab = notes / "etalab.md"
    etalab.write_text(etalab.read_text("utf-8").replace("Licence Ouverte", "licence ouverte et le RGPD"), "utf-8")
    (notes / "sub" / "peche.md").unlink()
    os.rename(notes / "sans-entete.md", notes / "sub" / "renommee.md")
    t = time.time() + 5
    os.utime(notes / "vide.md", (t, t))  # touched, content unchanged
    report = update_index(idx, [notes])
    assert (report.added, report.updated, report.removed, report.moved, report.unchanged) == (0, 1, 1, 1, 7)
    assert report.records == 2
    found = ids(idx)
    assert "20230114093400" not in found
    assert "sub/renommee.md" in found and "sans-entete.md" not in found
    engine = Engine(idx)
    assert engine.search("RGPD").hits[0].id == "20230114093015"
    engine.close()


def test_rebuild_starts_afresh(tmp_path, notes):
    idx = tmp_path / "idx"
    update_index(idx, [notes])
    report = update_index(idx, [notes], rebuild=True)
    assert report.rebuilt and report.added == 10 and report.records == 9
    assert len(ids(idx)) == 9


def test_second_writer_waits_then_names_the_holder(tmp_path, notes):
    idx = tmp_path / "idx"
    update_index(idx, [notes])
    with index_lock(idx):
        started = time.monotonic()
        with pytest.raises(IndexLocked) as err:
            update_index(idx, [notes], lock_timeout=0.5)
        assert time.monotonic() - started >= 0.5
    assert f"(pid {os.getpid()})" in err.value.message
    assert "réessayez" in err.value.message
    update_index(idx, [notes])  # the lock is free again


def test_interrupted_update_keeps_the_previous_index(tmp_path, notes, monkeypatch):
    idx = tmp_path / "idx"
    update_index(idx, [notes])
    before = ids(idx)
    write_note(notes, "nouvelle.md", "Nouvelle", "texte neuf", id="20240101000000")
    (notes / "etalab.md").write_text("---\ntitle: Etalab modifié\n---\n", "utf-8")
    calls = {"n": 0}
    real = index_mod.read_source

    def dying(source):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(source)

    monkeypatch.setattr(index_mod, "read_source", dying)
    with pytest.raises(KeyboardInterrupt):
        update_index(idx, [notes])
    assert ids(idx) == before
    monkeypatch.setattr(index_mod, "read_source", real)
    report = update_index(idx, [notes])
    assert (report.added, report.updated) == (1, 1)
    assert "20240101000000" in ids(idx)


def test_manifest_records_every_file(tmp_path, notes):
    update_index(tmp_path / "idx", [notes])
    manifest = Manifest.load(tmp_path / "idx")
    entry = manifest.files[str(notes / "etalab.md")]
    assert set(entry) == {"size", "mtime_ns", "hash", "records"}  # no empty lists: it is read on every update
    assert entry["records"] == 1
    image = manifest.files[str(notes / "image.md")]
    assert image["records"] == 0 and image["problems"][0]["path"] == str(notes / "image.md")


def test_an_index_of_another_version_is_rebuilt_and_said(tmp_path, notes, monkeypatch):
    idx = tmp_path / "idx"
    update_index(idx, [notes])
    for module in (schema, index_open, folder, index_mod):
        monkeypatch.setattr(module, "INDEX_NAME", "sk999")
    report = update_index(idx, [notes])
    assert report.rebuilt
    assert any("autre version" in p.message for p in report.problems)


def test_missing_index_says_what_to_do(tmp_path):
    with pytest.raises(IndexMissing) as err:
        open_index(tmp_path / "nope")
    assert "searchkit index" in err.value.message


def test_duplicate_note_ids_keep_both_notes(tmp_path, notes):
    write_note(notes, "copie.md", "Copie d'Etalab", "copie", id="20230114093015")
    report = update_index(tmp_path / "idx", [notes])
    found = ids(tmp_path / "idx")
    # files are read in name order: copie.md takes the id, etalab.md falls back to its path
    assert "20230114093015" in found and "etalab.md" in found and len(found) == 10
    [problem] = [p for p in report.problems if "déjà utilisé" in p.message]
    assert problem.path.endswith("etalab.md") and "indexée sous « etalab.md »" in problem.message


def test_opening_an_index_does_not_read_it_into_memory(tmp_path):
    """Whoosh's mmap path copied every part of a segment (BytesIO over the map) on open."""
    import random
    import tracemalloc

    from searchkit.query import Engine

    rnd = random.Random(7)
    words = [f"mot{i}" for i in range(20_000)]
    for i in range(300):
        write_note(tmp_path / "notes", f"n{i}.md", f"Note {i}", " ".join(rnd.choices(words, k=2_000)))
    update_index(tmp_path / "idx", [tmp_path / "notes"])
    size = sum(p.stat().st_size for p in (tmp_path / "idx").glob("*.seg"))
    assert size > 4_000_000
    tracemalloc.start()
    engine = Engine(tmp_path / "idx")
    assert engine.search("introuvable").total == 0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    engine.close()
    assert peak < size / 4, (peak, size)


def test_opening_for_a_query_reads_the_seal_not_the_whole_manifest(tmp_path, notes, monkeypatch):
    """The seal (a few numbers written after the manifest) is enough while it fits the
    manifest and the index; any change to either and the whole manifest is read and checked."""
    import json

    from searchkit.errors import IndexDamaged

    idx = tmp_path / "idx"
    update_index(idx, [notes])
    reads = []
    real = Manifest.read.__func__
    monkeypatch.setattr(Manifest, "read", classmethod(lambda cls, folder: reads.append(folder) or real(cls, folder)))
    open_index(idx).close()
    assert reads == []
    data = json.loads((idx / "manifest.json").read_text("utf-8"))
    data["documents"] += 1
    (idx / "manifest.json").write_text(json.dumps(data), "utf-8")
    with pytest.raises(IndexDamaged) as err:
        open_index(idx)
    assert reads == [idx] and "le manifeste annonce 10 fiche(s), l'index en contient 9" in err.value.message


def test_a_killed_commits_temporary_toc_is_removed_by_the_next_run(tmp_path, notes):
    # Whoosh writes "<toc>.<time()>" then renames it: a kill between the two leaves it
    index = tmp_path / "idx"
    update_index(index, [notes])
    toc = next(p.name for p in index.iterdir() if p.name.endswith(".toc"))
    (index / f"{toc}.1796620246.961875").write_bytes(b"half a toc")
    (index / f"{toc}.1796620247").write_bytes(b"")
    (index / "notes.toc.backup").write_bytes(b"not ours")  # not Whoosh's pattern: kept
    update_index(index, [notes])
    assert sorted(p.name for p in index.iterdir() if ".toc." in p.name) == ["notes.toc.backup"]


def _udata(path, records):
    import json

    path.write_text(json.dumps([{"id": ident, "slug": ident, "title": title, "description": "Un jeu de données.",
                                 "license": "lov2", "resources": [], "last_modified": modified}
                                for ident, title, modified in records]), encoding="utf-8")


def _stored(index_dir) -> dict[str, tuple[str, str]]:
    engine = Engine(index_dir)
    try:
        return {d["id"].split(":")[-1]: (os.path.basename(d["path"]), d["title"]) for d in engine.searcher().documents()}
    finally:
        engine.close()


def test_a_catalogue_sharing_ids_with_an_edited_one_is_read_again_for_those_ids_only(tmp_path):
    from searchkit.check import check_index

    cats, idx = tmp_path / "cats", tmp_path / "idx"
    cats.mkdir()
    # a large export and a newer copy of one of its datasets elsewhere
    _udata(cats / "export.json", [(f"d{i}", f"Export {i}", "2020-01-01") for i in range(200)])
    _udata(cats / "api.json", [("d7", "API 7", "2024-01-01")])
    first = update_index(idx, [cats])
    assert (first.records, first.duplicates) == (200, 1)
    assert _stored(idx)["d7"] == ("api.json", "API 7")
    # the copy loses d7: the export's own comes back, and only it is written again
    _udata(cats / "api.json", [("d300", "API 300", "2024-01-01")])
    report = update_index(idx, [cats])
    assert (report.records, report.updated, report.unchanged) == (2, 2, 0)
    stored = _stored(idx)
    assert stored["d7"] == ("export.json", "Export 7") and stored["d300"] == ("api.json", "API 300")
    assert len(stored) == 201 and stored["d150"] == ("export.json", "Export 150")
    # a newer d7 again, then the copy goes
    _udata(cats / "api.json", [("d7", "API 7 bis", "2025-01-01")])
    assert update_index(idx, [cats]).records == 1
    assert _stored(idx)["d7"] == ("api.json", "API 7 bis") and len(_stored(idx)) == 200
    (cats / "api.json").unlink()
    report = update_index(idx, [cats])
    assert (report.records, report.removed) == (1, 1)
    stored = _stored(idx)
    assert stored["d7"] == ("export.json", "Export 7") and len(stored) == 200
    manifest = Manifest.read(idx)
    entry = manifest.files[str((cats / "export.json").resolve())]
    assert entry["records"] == 200 and "shadowed" not in entry
    assert not [p for p in check_index(idx).problems if "manifest" in p.message.lower()]


def test_a_catalogue_unreadable_when_read_again_for_shared_ids_keeps_its_records(tmp_path, monkeypatch):
    from searchkit.model import Problem

    cats, idx = tmp_path / "cats", tmp_path / "idx"
    cats.mkdir()
    _udata(cats / "export.json", [(f"d{i}", f"Export {i}", "2020-01-01") for i in range(50)])
    _udata(cats / "api.json", [("d7", "API 7", "2024-01-01")])
    update_index(idx, [cats])
    real_read = index_mod.read_source

    def failing(source):
        if source.path.name == "export.json":
            return [], [Problem(str(source.path), "illisible")]
        return real_read(source)

    monkeypatch.setattr(index_mod, "read_source", failing)
    _udata(cats / "api.json", [("d300", "API 300", "2024-01-01")])
    report = update_index(idx, [cats])
    assert [(os.path.basename(p.path), p.message) for p in report.problems] == [("export.json", "illisible")]
    stored = _stored(idx)
    assert len(stored) == 50 and "d7" not in stored and stored["d8"] == ("export.json", "Export 8")
    # readable again: the next change of the copy gives d7 back
    monkeypatch.setattr(index_mod, "read_source", real_read)
    _udata(cats / "api.json", [("d300", "API 300 bis", "2024-02-01")])
    update_index(idx, [cats])
    stored = _stored(idx)
    assert len(stored) == 51 and stored["d7"] == ("export.json", "Export 7")
