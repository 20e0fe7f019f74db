"""The writer's lock: one process writes an index at a time, and a second one can name it."""

from __future__ import annotations

import fcntl
import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from searchkit import config
from searchkit.errors import IndexLocked, IndexWriteError
from searchkit.messages import t
from searchkit.sources.read import os_reason

LOCKFILE = ".lock"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def index_lock(index_dir: Path, timeout: float = config.LOCK_TIMEOUT) -> Iterator[None]:
    """Exclusive writer lock on ``index_dir/.lock``, waiting at most ``timeout`` seconds.

    ``flock`` is released by the kernel when its holder dies, even by SIGKILL:
    a lock left by a killed run never blocks the next one (the dead pid still
    written in the file is simply overwritten).  The holder's pid is written in
    the file so that a second writer can name it.
    """
    path = Path(index_dir) / LOCKFILE
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as exc:
        raise IndexWriteError(t("index.write_error", path=index_dir, reason=os_reason(exc))) from exc
    locked = False
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    try:
                        pid = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
                    except OSError:
                        pid = ""
                    if not pid.isdigit() or not _pid_alive(int(pid)):
                        pid = ""
                    raise IndexLocked(
                        t("index.locked", path=index_dir, pid=t("index.locked_pid", pid=pid) if pid else "")
                    ) from None
                time.sleep(0.05)
        locked = True
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
        except OSError:
            pass  # a full disk: the pid is only informative
        yield
    finally:
        if locked:  # never erase the pid of the process that holds the lock
            try:
                os.ftruncate(fd, 0)
            except OSError:
                pass
        os.close(fd)


