"""Safety (issue 7): file modes follow the umask, nothing is written outside the
index folder, stored paths are the real paths of files inside the sources,
front matter is loaded safely."""

from __future__ import annotations

import os
import stat

from searchkit.query import Engine
from tests.test_reliability_support import indexed, run, write_notes


def _tree(path):
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


def test_index_files_follow_the_umask_and_stay_in_the_index_folder(tmp_path):
    notes, idx, tmp = tmp_path / "notes", tmp_path / "idx", tmp_path / "tmpdir"
    write_notes(notes, [f"n{i:05d}" for i in range(50)])
    tmp.mkdir()
    before = _tree(tmp_path)
    env = dict(os.environ, TMPDIR=str(tmp))
    for args in (["index", notes], ["index", notes, "--rebuild"], ["query", "commun"], ["check"]):
        result = run(*args, "--index", idx, preexec_fn=lambda: os.umask(0o027), env=env)
        assert result.returncode == 0, result.stderr
    assert os.listdir(tmp) == []  # no temporary file anywhere else
    outside = [p for p in _tree(tmp_path) if p not in before and not p.startswith("idx")]
    # the files written elsewhere: the search history, in the state folder, and the thesaurus
    # tables, in the cache folder (and their parent folders)
    history = os.path.join("home", ".local", "state", "searchkit", "history.jsonl")
    cache = [os.path.join("home", ".cache", "searchkit", f"thesaurus-{name}.marshal") for name in ("terms", "words")]
    assert [p for p in outside if not any(f.startswith(p) for f in (history, *cache))] == []
    assert all((tmp_path / f).is_file() for f in cache)
    assert stat.S_IMODE((tmp_path / history).lstat().st_mode) & 0o077 == 0  # private to its owner
    for path in (tmp_path / cache[0]).parent, *(tmp_path / f for f in cache):
        assert stat.S_IMODE(path.lstat().st_mode) & 0o027 == 0, f"{path.name} ignores umask 027"
    assert {p.name for p in idx.iterdir()} >= {"manifest.json", ".lock"}
    for path in [idx, *idx.rglob("*")]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        assert mode & 0o027 == 0, f"{path.name}: {oct(mode)} ignores umask 027"
        if path.is_file():
            assert mode & 0o111 == 0, f"{path.name} is executable: {oct(mode)}"


def test_stored_paths_are_real_paths_inside_the_sources(tmp_path):
    notes, idx = tmp_path / "notes", tmp_path / "idx"
    (notes / "sub").mkdir(parents=True)
    (notes / "réel.md").write_text("---\ntitle: Réel\n---\ncorps\n", "utf-8")
    (notes / "sub" / "autre.md").write_text("---\ntitle: Autre\nid: autre\n---\ncorps\n", "utf-8")
    (notes / "alias.md").symlink_to("réel.md")  # a file link inside the root
    (notes / "raccourci").symlink_to("sub", target_is_directory=True)  # a folder link inside the root
    (tmp_path / "entrée").symlink_to(notes, target_is_directory=True)  # the source itself given through a link
    result = run("index", tmp_path / "entrée", "--index", idx)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    engine = Engine(idx)
    try:
        stored = sorted((d["id"], d["path"]) for d in engine.searcher().documents())
    finally:
        engine.close()
    real = os.path.realpath(notes)
    assert stored == [("autre", f"{real}/sub/autre.md"), ("réel.md", f"{real}/réel.md")]  # each note once


def test_front_matter_cannot_run_code(tmp_path):
    notes, idx = tmp_path / "notes", tmp_path / "idx"
    notes.mkdir()
    marker = tmp_path / "pwned"
    (notes / "piege.md").write_text(
        f"---\ntitle: !!python/object/apply:os.system ['touch {marker}']\n"
        f"x: !!python/object/new:subprocess.Popen [['touch', '{marker}']]\n---\ncorps\n", "utf-8")
    result = run("index", notes, "--index", idx)
    assert result.returncode == 0
    assert "en-tête YAML invalide" in result.stderr
    assert not marker.exists()
    assert list(indexed(idx)) == ["piege.md"]
