"""Small measuring tools: subprocess wall time and peak memory, percentiles, machine info."""

from __future__ import annotations

import os
import platform
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

PY = sys.executable
_SCRIPT = Path(PY).with_name("searchkit")
SEARCHKIT = [str(_SCRIPT)] if _SCRIPT.exists() else [PY, "-m", "searchkit.cli"]
# bytecode written and used, as in an installed package (any non-empty PYTHONDONTWRITEBYTECODE, "0" too, turns it off)
ENV = {k: v for k, v in dict(os.environ, NO_COLOR="1", SEARCHKIT_LANG="en").items() if k != "PYTHONDONTWRITEBYTECODE"}
ENV.pop("SEARCHKIT_INDEX", None)
ENV.pop("SEARCHKIT_SOURCES", None)


@dataclass
class Run:
    cmd: list[str]
    wall: float  # seconds
    maxrss_mb: float  # peak resident memory of that process (ru_maxrss of wait4)
    rc: int
    out: str
    err: str
    timed_out: bool = False
    tree_mb: float = 0.0  # peak of the summed PSS of the process and its children (sampled; Linux), 0 if unknown

    def check(self, ok=(0, 1)) -> "Run":
        if self.timed_out or self.rc not in ok:
            raise RuntimeError(f"{' '.join(self.cmd)} -> rc {self.rc}{' (timeout)' if self.timed_out else ''}\n{self.err[-2000:]}")
        return self


_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None
# fallback launcher: a small process that forks the command and reports its peak RSS
_LAUNCHER = (
    "import os, sys\n"
    "pid = os.fork()\n"
    "if pid == 0:\n"
    "    os.execvp(sys.argv[2], sys.argv[2:])\n"
    "_, status, usage = os.wait4(pid, 0)\n"
    "open(sys.argv[1], 'w').write(str(usage.ru_maxrss))\n"
    "sys.exit(os.waitstatus_to_exitcode(status) & 255)\n"
)


def run(cmd: list[str], timeout: float = 900, cwd: Path | None = None) -> Run:
    """Run ``cmd``: wall time, exit status, output, and its own peak RSS.

    The peak RSS is not read from this process's ``wait4``: on Linux a child's
    ``ru_maxrss`` starts at its parent's RSS at fork time (the high-water mark is
    carried across fork and exec), and this benchmark process is large.  So the
    command is started by a small process, ``/usr/bin/time`` (``%M``), or else a
    tiny Python launcher that forks it and reports ``wait4``'s ``ru_maxrss``.
    The child runs in its own session; on timeout that session is killed."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        if _TIME:
            full = [_TIME, "-f", "%M", "-o", rss.name, *cmd]
        else:
            full = [PY, "-S", "-c", _LAUNCHER, rss.name, *cmd]
        started = time.perf_counter()
        proc = subprocess.Popen(full, stdout=out, stderr=err, cwd=cwd, env=ENV, start_new_session=True)
        flag = {"timed_out": False}

        def kill():
            flag["timed_out"] = True
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout, kill)
        timer.start()
        peak = {"kib": 0}
        done = threading.Event()
        sampler = threading.Thread(target=_sample_tree, args=(proc, peak, done), daemon=True)
        sampler.start()
        try:
            proc.wait()
        finally:
            wall = time.perf_counter() - started  # before waiting for the sampler
            timer.cancel()
            done.set()
            sampler.join()
        out.seek(0)
        err.seek(0)
        rss.seek(0)
        kib = 0.0
        for line in rss.read().splitlines():
            if line.strip().isdigit():
                kib = float(line.strip())
        return Run(cmd, wall, kib / 1024.0, proc.returncode,
                   out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"), flag["timed_out"],
                   peak["kib"] / 1024.0)


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    todo += [int(c) for c in fh.read().split()]
        except OSError:
            pass
    return found


def _sample_tree(proc: subprocess.Popen, peak: dict, done: threading.Event, every: float = 0.1) -> None:
    """Peak of the summed proportional set size (PSS: shared pages split between the
    processes sharing them) of ``proc`` and all its descendants, every ``every`` s.
    A multi-process build (``searchkit index`` with workers) is measured whole."""
    if not os.path.exists("/proc/self/smaps_rollup"):
        return
    while proc.poll() is None:
        total = 0
        for pid in _descendants(proc.pid):
            try:
                with open(f"/proc/{pid}/smaps_rollup") as fh:
                    for line in fh:
                        if line.startswith("Pss:"):
                            total += int(line.split()[1])
                            break
            except (OSError, ValueError):
                pass
        peak["kib"] = max(peak["kib"], total)
        if done.wait(every):
            return


def percentile(values, p: float) -> float:
    """Linear interpolation between closest ranks (p in 0..100)."""
    data = sorted(values)
    if not data:
        return float("nan")
    k = (len(data) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (k - lo)


def median(values) -> float:
    values = list(values)
    return statistics.median(values) if values else float("nan")


def dir_size(path: Path) -> int:
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                total += os.path.getsize(os.path.join(root, f))
            except OSError:
                pass
    return total


def machine() -> dict:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 2**20:.1f} GiB"
    except OSError:
        pass
    try:
        import whoosh

        whoosh_v = whoosh.versionstring()
    except Exception:  # pragma: no cover
        whoosh_v = "?"
    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:
        affinity = os.cpu_count()
    return {
        "cpu": cpu,
        "cores": f"{os.cpu_count()} logical ({affinity} usable)",
        "memory": mem,
        "python": f"{platform.python_version()} ({platform.python_implementation()})",
        "sqlite": sqlite3.sqlite_version,
        "whoosh": whoosh_v,
        "os": platform.platform(),
        "date": datetime.now(timezone.utc).astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "searchkit": source_digest(),
    }


def source_digest() -> str:
    """Digest of searchkit's sources, to tell which code a result measured (no git needed)."""
    import hashlib

    import searchkit

    root = Path(searchkit.__file__).resolve().parent
    h = hashlib.sha256()
    newest = 0.0
    files = sorted(p for p in root.rglob("*") if p.suffix in (".py", ".yaml") and "__pycache__" not in p.parts)
    for path in files:
        h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
        newest = max(newest, path.stat().st_mtime)
    stamp = datetime.fromtimestamp(newest).strftime("%Y-%m-%d %H:%M")
    return f"{h.hexdigest()[:12]} ({len(files)} files, newest changed {stamp})"


def load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"
