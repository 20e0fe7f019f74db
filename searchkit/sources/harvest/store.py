"""What a harvest keeps on disk, beside the pages, and how pages are written.

In the portal's folder (``<harvest>/<host>/``), for an API kind ``K``:

- ``K-0001.json``, ``K-0002.json``...: the pages, as the portal returned them (a
  second run rewrites a page whose datasets changed, with those datasets
  replaced, and adds new datasets in new pages); the catalogue readers index them;
- ``.harvest-K.json``: the state file (the last runs, the resume point of an
  unfinished run, the ETag of each page, where each dataset id is);
- ``.harvest-K.partial/``: the pages of the run in progress, then the plan of
  the files to replace; hidden, so never indexed;
- ``.harvest-K.lock``: held (``flock``) by the process harvesting, released by the
  kernel when it dies, even by SIGKILL: two runs never write the same folder.

Every file is written atomically (a temporary file, fsync, rename): a kill
leaves the previous version or the new one, never half a page.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

from searchkit.errors import SearchkitError

STATE_VERSION = 1


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file, fsynced, then renamed."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    sync_dir(path.parent)


def sync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def dump(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")


class Store:
    """The files of one portal and one API kind in ``folder``."""

    def __init__(self, folder: Path, kind: str) -> None:
        self.folder = Path(folder)
        self.kind = kind
        self.state_path = self.folder / f".harvest-{kind}.json"
        self.partial = self.folder / f".harvest-{kind}.partial"
        self.plan_dir = self.partial / "plan"
        self.plan_path = self.partial / "plan.json"

    @contextlib.contextmanager
    def locked(self):
        """Hold the folder's harvest lock; SearchkitError when another process holds it."""
        from searchkit.display import escaped
        from searchkit.messages import t

        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.folder / f".harvest-{self.kind}.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise SearchkitError(t("harvest.locked", path=escaped(self.folder))) from None
            self._remove_temporary()
            yield
        finally:
            os.close(fd)

    def _remove_temporary(self) -> None:
        """Temporary files a killed run left behind (nobody else writes here: the lock is held)."""
        for folder in (self.folder, self.partial, self.plan_dir):
            for path in folder.glob(".*.tmp") if folder.is_dir() else ():
                path.unlink(missing_ok=True)

    def load(self) -> dict:
        """The state, or a fresh one when there is none (an unreadable state counts as none)."""
        try:
            state = json.loads(self.state_path.read_bytes())
        except (OSError, ValueError):
            state = None
        if not isinstance(state, dict) or state.get("version") != STATE_VERSION:
            state = {"version": STATE_VERSION, "kind": self.kind, "pages": {}, "ids": {}, "run": None}
        return state

    def save(self, state: dict) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        atomic_write(self.state_path, dump(state))

    def start_run(self) -> None:
        """An empty folder for the pages of a new run."""
        shutil.rmtree(self.partial, ignore_errors=True)
        self.partial.mkdir(parents=True)

    def stage(self, number: int, suffix: str, body: bytes) -> str:
        name = f"{number:04d}{suffix}"
        self.partial.mkdir(parents=True, exist_ok=True)
        atomic_write(self.partial / name, body)
        return name

    def staged(self, name: str) -> Path:
        return self.partial / name

    def page_name(self, number: int, suffix: str) -> str:
        return f"{self.kind}-{number:04d}{suffix}"

    def published(self) -> list[Path]:
        """The page files of this kind in the folder."""
        pattern = re.compile(rf"{re.escape(self.kind)}-\d{{4,}}\.\w+$")
        if not self.folder.is_dir():
            return []
        return sorted(p for p in self.folder.iterdir() if pattern.match(p.name))

    def finish(self) -> None:
        shutil.rmtree(self.partial, ignore_errors=True)


def page_number(name: str) -> int:
    found = re.search(r"-(\d+)\.\w+$", name)
    return int(found.group(1)) if found else 0
