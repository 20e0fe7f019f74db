"""Readers while a writer commits (issue 7): no error, the old state or the new one, never a mix.

A writer process rewrites the same 100 notes again and again, each round
flipping every note from state A to state B (tag and body word), committing
each round (every fourth one a --rebuild, which drops every old segment).
Meanwhile this process searches in a loop: with one long-lived Engine (as the
terminal app does), with a fresh Engine per search, and with ``searchkit query``
subprocesses.
"""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from searchkit.query import Engine
from tests.test_reliability_support import run

N = 100
_WRITER = """
import sys
from pathlib import Path
from searchkit.index import update_index

notes, idx, rounds = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
for r in range(rounds):
    state = "etata" if r % 2 == 0 else "etatb"
    for i in range(int(sys.argv[4])):
        (notes / f"n{i:03d}.md").write_text(
            f"---\\nid: n{i:03d}\\ntitle: Note {i}\\ntags: [{state}]\\n---\\ncorps {state} tour{r}\\n", "utf-8")
    update_index(idx, [notes], rebuild=(r % 4 == 3))
    print(r, flush=True)
"""


def _writer(tmp_path, rounds: int):
    notes, idx = tmp_path / "notes", tmp_path / "idx"
    notes.mkdir()
    first = subprocess.run([sys.executable, "-c", _WRITER, notes, idx, "1", str(N)], capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    proc = subprocess.Popen([sys.executable, "-c", _WRITER, notes, idx, str(rounds), str(N)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return idx, proc


def _one_state(results) -> str:
    """The state every hit of one search is in; fails on a mix."""
    assert results.total == N, results.total
    states = {tag for hit in results.hits for tag in hit.tags}
    assert len(states) == 1 and len(results.hits) == N, f"a mix of states in one search: {states}"
    return states.pop()


def test_searches_never_fail_nor_mix_while_a_writer_commits(tmp_path):
    idx, writer = _writer(tmp_path, rounds=400)
    long_lived = Engine(idx)
    seen, searches, cli_runs = set(), 0, 0
    try:
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline and writer.poll() is None:
            seen.add(_one_state(long_lived.search("corps", limit=500, facets=())))
            fresh = Engine(idx)
            try:
                seen.add(_one_state(fresh.search("corps", limit=500, facets=())))
            finally:
                fresh.close()
            searches += 2
            if searches % 20 == 0:  # text output without --facets: no facet counts
                result = run("query", "corps", "--index", idx, "--limit", 500)
                assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
                assert f"{N} résultat(s)" in result.stdout
                cli_runs += 1
    finally:
        long_lived.close()
        writer.kill()
        out, err = writer.communicate()
    assert "Traceback" not in err, err
    commits = len(out.split())
    assert commits >= 5, "the writer barely committed: the test proved nothing"
    assert seen == {"etata", "etatb"}, seen  # both states were seen, each one whole
    assert cli_runs >= 3


def test_facet_counts_of_one_search_match_its_hits_while_a_writer_commits(tmp_path):
    idx, writer = _writer(tmp_path, rounds=400)
    long_lived = Engine(idx)
    try:
        deadline = time.monotonic() + 3
        n = 0
        while time.monotonic() < deadline and writer.poll() is None:
            results = long_lived.search("corps", limit=500, facets=("tag",))
            state = _one_state(results)
            assert [(v.value, v.count) for v in results.facets["tag"]] == [(state, N)]
            n += 1
            if n % 10 == 0:
                result = run("query", "corps", "--index", idx, "--format", "json", "--limit", 500)
                assert result.returncode == 0, result.stderr
    finally:
        long_lived.close()
        writer.kill()
        writer.communicate()
