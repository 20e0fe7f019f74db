"""Shared helpers of the reliability tests (issue 7): real processes, real files.

No test lives here; the ``test_`` name only keeps the file among the
reliability tests.  Every command runs as ``python -m searchkit.cli`` in a
subprocess, with the environment the autouse fixture of conftest.py prepared
(HOME in tmp_path, French messages, no colour).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from searchkit.query import Engine

CLI = [sys.executable, "-m", "searchkit.cli"]
WORDS = ("données ouvertes budget commune région transport réseau ferré école santé eau énergie "
         "agriculture forêt climat").split()


def run(*args, timeout: float = 60, **kwargs) -> subprocess.CompletedProcess:
    """``searchkit ARGS`` in a subprocess; stdout and stderr as text."""
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, timeout=timeout, **kwargs)


def start(*args, **kwargs) -> subprocess.Popen:
    """``searchkit ARGS`` started in the background (stdout and stderr captured)."""
    return subprocess.Popen([*CLI, *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def note_text(ident: str, version: int = 0, extra: str = "", tags=("commun",)) -> str:
    seed = sum(map(ord, ident))
    body = " ".join(WORDS[(seed * 7 + i * i) % len(WORDS)] for i in range(120))
    return (f"---\nid: {ident}\ntitle: Note {ident}\ntags: [{', '.join(tags)}]\ntypes: essai\nversion: {version}\n---\n"
            f"# Note {ident}\n{body} {extra}\n")


def write_notes(root: Path, idents, version: int = 0, extra: str = "") -> None:
    for ident in idents:
        path = root / f"d{int(ident[1:]) % 20:02d}" / f"{ident}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(note_text(ident, version, extra), "utf-8")


def note_path(root: Path, ident: str) -> Path:
    return root / f"d{int(ident[1:]) % 20:02d}" / f"{ident}.md"


def indexed(index_dir: Path) -> dict[str, str]:
    """id -> the ``version`` front-matter value stored for it, read through the public Engine."""
    engine = Engine(index_dir)
    try:
        out = {}
        for doc in engine.searcher().documents():
            extra = dict(tuple(p) for p in (doc.get("data") or {}).get("extra", ()))
            out[doc["id"]] = extra.get("version", "")
        return out
    finally:
        engine.close()


def query_json(index_dir: Path, text: str = "commun", limit: int = 0) -> tuple[int, dict | None, str]:
    """(exit status, parsed JSON or None, stderr) of ``searchkit query TEXT --format json``."""
    result = run("query", text, "--index", index_dir, "--format", "json", "--limit", limit)
    data = json.loads(result.stdout) if result.returncode == 0 else None
    return result.returncode, data, result.stderr


def one_line_error(stderr: str) -> str:
    """The single ``erreur: ...`` line of a failed command; fails on tracebacks or extra lines."""
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("erreur: "), stderr
    return lines[0]


def can_mount() -> bool:
    """Whether this process may mount filesystems (root with CAP_SYS_ADMIN, not in every container)."""
    if os.geteuid() != 0:
        return False
    probe = Path(os.environ.get("TMPDIR", "/tmp")) / f"sk-mount-probe-{os.getpid()}"
    probe.mkdir(exist_ok=True)
    try:
        ok = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(probe)],
                            capture_output=True).returncode == 0
        if ok:
            subprocess.run(["umount", str(probe)], capture_output=True)
        return ok
    except OSError:
        return False
    finally:
        try:
            probe.rmdir()
        except OSError:
            pass


def unprivileged() -> list[str] | None:
    """A command prefix under which file permissions apply, or None when there is none.

    Root ignores permissions (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH); ``setpriv``
    runs a command as root *without* those two capabilities, so chmod 000 and a
    chmod 555 folder stop it as they stop any user.  Not root: no prefix needed."""
    if os.geteuid() != 0:
        return []
    import shutil

    setpriv = shutil.which("setpriv")
    if not setpriv:
        return None
    prefix = [setpriv, "--bounding-set", "-dac_override,-dac_read_search", "--"]
    probe = Path(os.environ.get("TMPDIR", "/tmp")) / f"sk-perm-probe-{os.getpid()}"
    probe.write_text("x")
    probe.chmod(0)
    try:
        denied = subprocess.run([*prefix, sys.executable, "-c", f"open({str(probe)!r}).read()"],
                                capture_output=True).returncode != 0
    except OSError:
        denied = False
    finally:
        probe.unlink()
    return prefix if denied else None


def run_as(prefix: list[str], *args, timeout: float = 60, **kwargs) -> subprocess.CompletedProcess:
    """``searchkit ARGS`` under a command prefix (see ``unprivileged``)."""
    return subprocess.run([*prefix, *CLI, *map(str, args)], capture_output=True, text=True, timeout=timeout, **kwargs)


def remove_tree(path: Path) -> None:
    """rmtree after giving back every permission a test took away."""
    import shutil

    for dirpath, dirnames, filenames in os.walk(path):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            if not os.path.islink(full):  # never touch what a link points to
                try:
                    os.chmod(full, 0o700)
                except OSError:
                    pass
    shutil.rmtree(path, ignore_errors=True)
