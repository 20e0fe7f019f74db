"""Watch source folders and yield batches of changed files (debounced).

Used by ``searchkit watch`` and by the app's live reindex; it only reports
what changed, the caller runs ``index.update_index``.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Iterator

from searchkit.sources.scan import kind_of


def _interesting(change, path: str) -> bool:
    p = Path(path)
    if any(part.startswith(".") for part in p.parts[1:]):
        return False
    return kind_of(p) is not None


def watch_changes(sources, stop_event: threading.Event | None = None, debounce_ms: int = 400) -> Iterator[set[Path]]:
    """Sets of changed note/catalogue paths below ``sources``, until ``stop_event`` is set."""
    from watchfiles import watch  # only the commands that watch pay for it

    roots = [str(Path(s)) for s in sources if Path(s).exists()]
    if not roots:
        return
    for changes in watch(*roots, watch_filter=_interesting, debounce=debounce_ms, stop_event=stop_event,
                         raise_interrupt=False, rust_timeout=500, yield_on_timeout=False):
        yield {Path(path) for _, path in changes}
