"""Durability: the new segments reach the disk before the TOC that names them, the TOC before the manifest."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from whoosh.index import TOC

from searchkit import whoosh_internals
from searchkit.errors import IndexWriteError
from searchkit.index import INDEX_NAME, update_index
from tests.test_reliability_support import indexed, write_notes

IDENTS = [f"n{i:05d}" for i in range(8)]


@pytest.fixture
def built(tmp_path):
    notes, idx = tmp_path / "notes", tmp_path / "idx"
    write_notes(notes, IDENTS)
    update_index(idx, [notes])
    write_notes(notes, ["n00003"], version=1)  # one edited note
    return notes, idx


def _record(monkeypatch, events: list, fail_on=None):
    real_fsync, real_write, real_replace = whoosh_internals.fsync_path, TOC.write, os.replace

    def fsync_path(path):
        events.append(("fsync", Path(path).name))
        if fail_on is not None and fail_on(Path(path)):
            raise OSError(errno.EIO, "injected")
        real_fsync(path)

    def write(toc, storage, indexname):
        events.append(("toc", TOC._filename(indexname, toc.generation)))
        real_write(toc, storage, indexname)

    def replace(src, dst, *args, **kwargs):
        events.append(("rename", Path(dst).name))
        real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(whoosh_internals, "fsync_path", fsync_path)
    monkeypatch.setattr(TOC, "write", write)
    monkeypatch.setattr(os, "replace", replace)


def test_segments_then_folder_then_toc_then_manifest(built, monkeypatch):
    notes, idx = built
    events: list = []
    _record(monkeypatch, events)
    update_index(idx, [notes])
    [toc] = [i for i, e in enumerate(events) if e[0] == "toc"]
    segments = [i for i, e in enumerate(events) if e[0] == "fsync" and e[1].endswith(".seg")]
    folder_before = [i for i, e in enumerate(events[:toc]) if e == ("fsync", idx.name)]
    manifest = events.index(("rename", "manifest.json"))
    assert segments and max(segments) < folder_before[-1] < toc < manifest
    assert events[toc + 1:toc + 3] == [("fsync", events[toc][1]), ("fsync", idx.name)]
    assert indexed(idx)["n00003"] == "1"


def test_a_fault_before_the_toc_leaves_the_previous_index_then_the_next_run_finishes(built, monkeypatch):
    """The folder's fsync fails after the new segment was written and synced: no TOC names
    it, searches answer from the previous commit, and the next run writes the edit."""
    notes, idx = built
    before = sorted(p.name for p in idx.glob(f"_{INDEX_NAME}_*.toc"))
    events: list = []
    _record(monkeypatch, events, fail_on=lambda path: path == idx)
    with pytest.raises(IndexWriteError):
        update_index(idx, [notes])
    assert ("fsync", next(e[1] for e in events if e[1].endswith(".seg"))) in events
    assert not [e for e in events if e[0] == "toc"]
    assert sorted(p.name for p in idx.glob(f"_{INDEX_NAME}_*.toc")) == before
    assert indexed(idx)["n00003"] == "0"
    assert len(list(idx.glob("*.seg"))) == 1  # the unnamed segment was removed
    monkeypatch.undo()
    report = update_index(idx, [notes])
    assert (report.updated, report.records) == (1, 1)
    assert indexed(idx)["n00003"] == "1"


def test_a_run_killed_before_its_commit_keeps_the_journal_of_the_run_it_was_resuming(tmp_path, monkeypatch):
    """Run A commits a new note then dies before its manifest; the note's file is deleted; run B,
    resuming A, dies before its own commit; run C must still remove A's note (found by a random
    SIGKILL test: B's journal replaced A's, and the note stayed in the index for ever)."""
    from searchkit.index import update as index_update
    from tests.test_reliability_support import note_path

    notes, idx = tmp_path / "notes", tmp_path / "idx"
    write_notes(notes, IDENTS)
    update_index(idx, [notes])
    write_notes(notes, ["n00100"])

    def killed(*args, **kwargs):
        raise KeyboardInterrupt  # a kill, as far as the index is concerned: nothing cleans up

    with monkeypatch.context() as patch:  # A: committed, killed before the manifest
        patch.setattr(index_update._Update, "_finish", killed)
        with pytest.raises(KeyboardInterrupt):
            update_index(idx, [notes])
    assert "n00100" in indexed(idx)
    note_path(notes, "n00100").unlink()
    with monkeypatch.context() as patch:  # B: killed while reading, before its commit
        patch.setattr(index_update._Update, "_read", killed)
        with pytest.raises(KeyboardInterrupt):
            update_index(idx, [notes])
    update_index(idx, [notes])  # C
    assert indexed(idx) == {i: "0" for i in IDENTS}


@pytest.mark.parametrize("odd_name", ["", "/notes/caf\udce9.md"])  # a file name with an undecodable byte
def test_a_manifest_of_many_files_round_trips(tmp_path, odd_name):
    from searchkit.index.manifest import MANIFEST, MANY_FILES, Manifest

    files = {f"/notes/n{i:05d} é.md": {"records": 1, "size": i, "mtime_ns": 1_796_611_593_124_559_085 + i,
                                        "hash": f"{i:032x}"} for i in range(MANY_FILES + 500)}
    if odd_name:
        files[odd_name] = {"records": 2, "size": 7, "mtime_ns": 3, "hash": "x",
                           "duplicates": {"a": "/notes/b.md"}, "problems": [{"path": odd_name, "message": "m"}]}
    written = Manifest(version=8, files=files, generation=4, documents=len(files), segments=["sk8_a", "sk8_b"])
    written.save(tmp_path)
    assert (tmp_path / MANIFEST).stat().st_size > 1 << 17  # read by orjson, unless the odd name is there
    assert Manifest.read(tmp_path) == written
