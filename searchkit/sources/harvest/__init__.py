"""``searchkit harvest``: keep a local copy of a portal's catalogue, page by page.

The pages are written as the portal's API returned them, in files the
catalogue readers of ``sources.catalogs`` index (``<harvest>/<host>/udata-0001.json``),
with a hidden state file beside them.  A source: it never imports the index.

- ``client``: the polite HTTP client (timeouts, retries, Retry-After, rate
  limit, User-Agent, same-host redirects only, size limit);
- ``kinds``: the APIs (udata, CKAN, OpenDataSoft, DCAT with hydra paging, CSW),
  their paging and their modification-date filter;
- ``store``: the files on disk, written atomically;
- ``runner``: one run (full or update), resumable, then published.

    >>> report = harvest("https://demo.data.gouv.fr/api/1/datasets/", "udata",
    ...                  Path("catalogues/demo.data.gouv.fr"))     # doctest: +SKIP
"""

from __future__ import annotations

from searchkit.config import Portal

from .client import USER_AGENT, Client, Policy, Stop, Unreachable
from .kinds import KINDS, detect
from .runner import Progress, Report, harvest
from .store import Store

__all__ = ["USER_AGENT", "Client", "Policy", "Stop", "Unreachable", "KINDS", "detect", "Progress", "Report",
           "harvest", "last_harvested"]


def last_harvested(portal: Portal) -> str | None:
    """When ``portal`` was last harvested to the end (ISO 8601, UTC), from its state file; None if never."""
    kind = portal.kind or detect(portal.url)
    if kind is None:
        return None
    state = Store(portal.folder, kind).load()
    return state.get("last_complete") if state.get("url", "").split("?")[0] == portal.url.split("?")[0] else None
