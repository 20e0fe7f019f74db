"""Full rebuilds written by several processes (issue 6): the same index as one
process writes, a failing worker fails the rebuild (the previous index stays),
and a killed ``searchkit index`` leaves no worker behind."""

from __future__ import annotations

import errno
import multiprocessing
import os
import random
import signal
import time

import pytest

import searchkit.index as index_module
import searchkit.index.update as index_update
import searchkit.whoosh_internals as internals
from searchkit.errors import IndexWriteError
from searchkit.index import Manifest, update_index
from searchkit.query import Engine
from tests.helpers import copy_notes
from tests.test_reliability_support import indexed, query_json, run, start, write_notes

QUERIES = ("données ouvertes", "licence", "coeur", "etalab", "vélo", "saint", "")


def _leaves(index_dir) -> int:
    engine = Engine(index_dir)
    try:
        return len(engine.searcher().reader().leaf_readers())
    finally:
        engine.close()


def _answers(index_dir) -> list:
    engine = Engine(index_dir)
    try:
        out = []
        for text in QUERIES:
            results = engine.search(text, limit=100, facets=("type", "tag"), facet_top=0)
            out.append((text, results.total, [(h.id, round(h.score, 6)) for h in results.hits], results.facets))
        return out
    finally:
        engine.close()


@pytest.fixture
def small_threshold(monkeypatch):
    monkeypatch.setattr(index_update, "PARALLEL_BYTES", 1)
    monkeypatch.setattr(internals.ParallelWriter, "batch", 2)  # every worker gets records


def test_two_workers_write_the_index_one_process_writes(tmp_path, small_threshold, monkeypatch):
    notes = copy_notes(tmp_path)
    serial = update_index(tmp_path / "serial", [notes], rebuild=True)
    started, original = [], internals.ParallelWriter._new_task
    monkeypatch.setattr(internals.ParallelWriter, "_new_task", lambda self: started.append(original(self)) or started[-1])
    parallel = update_index(tmp_path / "parallel", [notes], rebuild=True, workers=2)
    assert len(started) == 2
    assert (parallel.added, parallel.records, parallel.problems) == (serial.added, serial.records, serial.problems)
    # one segment per worker that got records (the first to start may take them all)
    assert (_leaves(tmp_path / "serial"), _leaves(tmp_path / "parallel")) in ((1, 2), (1, 1))
    assert _answers(tmp_path / "parallel") == _answers(tmp_path / "serial")
    assert multiprocessing.active_children() == []
    # an incremental update afterwards is the usual single writer, on top of both segments
    (notes / "etalab.md").write_text("---\ntitle: Etalab\n---\nMission vélo.\n", encoding="utf-8")
    for name in ("serial", "parallel"):
        report = update_index(tmp_path / name, [notes], workers=2)
        assert (report.updated, report.rebuilt) == (1, False)
    assert _answers(tmp_path / "parallel") == _answers(tmp_path / "serial")


def test_records_held_compressed_give_the_same_index(tmp_path, small_threshold, monkeypatch):
    """Over PACK_BYTES of sources, the records wait to be written compressed: nothing else changes."""
    notes = copy_notes(tmp_path)
    plain = update_index(tmp_path / "plain", [notes], rebuild=True, workers=2)
    held = []
    monkeypatch.setattr(index_update, "PACK_BYTES", 1)
    monkeypatch.setattr(index_update._Update, "_take", lambda self, v, take=index_update._Update._take:
                        held.append(type(v)) or take(self, v))
    packed = update_index(tmp_path / "packed", [notes], rebuild=True, workers=2)
    assert held and set(held) == {bytes}
    assert (packed.added, packed.records, packed.problems) == (plain.added, plain.records, plain.problems)
    assert _answers(tmp_path / "packed") == _answers(tmp_path / "plain")


def test_under_the_threshold_or_for_an_update_one_process_writes(tmp_path):
    notes = copy_notes(tmp_path)  # a few kilobytes: far under PARALLEL_BYTES
    update_index(tmp_path / "idx", [notes], rebuild=True, workers=4)
    assert _leaves(tmp_path / "idx") == 1


def test_a_failing_worker_fails_the_rebuild_and_the_previous_index_stays(tmp_path, small_threshold, monkeypatch):
    notes = copy_notes(tmp_path)
    update_index(tmp_path / "idx", [notes])
    before = _answers(tmp_path / "idx")
    segments = sorted(p.name for p in (tmp_path / "idx").iterdir() if p.suffix == ".seg")

    def disk_full(self, filename, doc_count):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(internals.Worker, "_process_file", disk_full)  # the workers are forked after this
    with pytest.raises(IndexWriteError) as failure:
        update_index(tmp_path / "idx", [notes], rebuild=True, workers=2)
    assert "(disque plein)" in str(failure.value)  # the worker's error, as the parent's one would be
    assert multiprocessing.active_children() == []
    monkeypatch.undo()
    assert _answers(tmp_path / "idx") == before
    assert sorted(p.name for p in (tmp_path / "idx").iterdir() if p.suffix == ".seg") == segments
    assert not (tmp_path / "idx" / f"{index_module.INDEX_NAME}.tmp").exists()


def _children(pid: int) -> set[int]:
    out: set[int] = set()
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                out |= {int(c) for c in f.read().split()}
    except OSError:
        pass
    return out


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[-1][0] != "Z"
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists("/proc/self/task"), reason="needs Linux's /proc")
def test_a_killed_parallel_rebuild_leaves_no_worker_and_the_next_run_finishes(tmp_path, monkeypatch):
    monkeypatch.setenv("SEARCHKIT_WORKERS", "2")
    rnd = random.Random(int(os.environ.get("SEARCHKIT_KILL_SEED", time.time_ns() % 1_000_000)))
    notes, idx = tmp_path / "notes", tmp_path / "idx"
    live = {f"n{i:05d}": 0 for i in range(1200)}
    write_notes(notes, live, extra="remplissage " * 300)  # about 5 MB: over PARALLEL_BYTES
    assert run("index", notes, "--index", idx, "-q").returncode == 0
    before = indexed(idx)
    began = time.monotonic()
    assert run("index", notes, "--index", idx, "-q", "--rebuild").returncode == 0
    took = time.monotonic() - began
    seen = 0
    for _ in range(3):
        proc = start("index", notes, "--index", idx, "-q", "--rebuild")
        workers: set[int] = set()
        # the first kill as soon as the workers exist (they wait for records), then anywhere
        deadline = time.monotonic() + (took if not seen else rnd.uniform(0.3, 0.9 * took))
        while time.monotonic() < deadline and proc.poll() is None and not (not seen and len(workers) >= 2):
            workers |= _children(proc.pid)
            time.sleep(0.01)
        if proc.poll() is None:
            seen += len(workers) >= 2
            os.kill(proc.pid, signal.SIGKILL)
        time.sleep(0.5)
        survivors = [w for w in workers if _alive(w)]
        for w in survivors:
            os.kill(w, signal.SIGKILL)
        proc.communicate()  # (a surviving worker holds its pipes open)
        assert survivors == [], "a worker outlived its killed parent"
        assert indexed(idx) == before
        code, data, err = query_json(idx)
        assert code == 0 and data["total"] == len(live), err
    assert seen, "no kill landed while the workers ran"
    final = run("index", notes, "--index", idx, "-q", "--rebuild")
    assert final.returncode == 0 and "Traceback" not in final.stderr, final.stderr
    assert indexed(idx) == before
    assert Manifest.load(idx).pending is None
    leftovers = sorted(p.name for p in idx.iterdir() if p.name.endswith(".tmp") or ".toc." in p.name)
    assert leftovers == []
