"""One harvest run: walk a portal's pages, stage them, then publish them.

A run is *full* (every page; what the portal no longer lists leaves the local
copy) the first time, with ``full=True``, when the last full run is older than
``FULL_EVERY``, and always for dcat and csw (whose pages are asked again with
ETag / If-Modified-Since: an unchanged page costs a 304).  Otherwise it is an
*update*: the API is asked only for the datasets modified since the last run,
and they are merged by id into the pages on disk.

Each page is staged (written atomically) and the state file saved after it: a
run killed at any point resumes at the page it had not saved.  At the end the
plan (the page files to replace, those to remove) is written in the staging
folder, then applied; a kill while applying it applies it again.

When the portal answers something unusable (``client.Stop``: a redirect to
another host, an oversized page, not the expected JSON, a paging loop, a
catalogue that never ends) the run keeps what it fetched (merged like an
update, nothing removed) and reports why.  When the retries are spent
(``client.Unreachable``) or the run is interrupted, the staged pages wait for
the next run, which resumes.

Long, and one thing: fetching and publishing read and write the one state of
a run (the state file and the plan), whose resume rules are the ones above.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urljoin

from .client import Client, Policy, Stop, Unreachable
from .kinds import KINDS, Kind, suffix_for
from .store import Store, atomic_write, dump, page_number

FULL_EVERY = timedelta(days=7)  # an update run older than this becomes a full run (deleted datasets leave)
MAX_PAGES = 100_000  # a catalogue with more pages than this is taken as endless
SINCE_MARGIN = timedelta(minutes=10)  # the next update asks from this long before the run started (clock skew)


@dataclass
class Progress:
    """What a run has done so far (given to the progress callback after each page)."""

    pages: int = 0
    datasets: int = 0
    total: int | None = None
    unchanged: int = 0  # pages answered 304 Not Modified
    url: str = ""


@dataclass
class Report:
    url: str
    kind: str
    folder: Path
    mode: str  # "full", "update", "sample" (--max), "stopped" (kept what was fetched)
    resumed: bool = False
    pages: int = 0
    unchanged: int = 0
    fetched: int = 0  # datasets in the pages fetched
    datasets: int = 0  # datasets in the local copy after the run
    removed: int = 0  # datasets that left the local copy (full runs)
    requests: int = 0
    seconds: float = 0.0
    outcome: str = "done"  # "done", "stopped" (Stop: kept what was fetched), "unreachable" (resumable)
    stop: Stop | None = None
    reason: str = ""  # why the portal was unreachable

    def to_json(self) -> dict:
        return {
            "url": self.url, "kind": self.kind, "folder": str(self.folder), "mode": self.mode,
            "resumed": self.resumed, "pages": self.pages, "unchanged_pages": self.unchanged,
            "fetched": self.fetched, "datasets": self.datasets, "removed": self.removed,
            "requests": self.requests, "seconds": round(self.seconds, 3), "outcome": self.outcome,
            "stop": self.stop.code if self.stop else None, "reason": self.reason,
        }


def now_iso() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            return parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None


def _since_value(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).replace(microsecond=0, tzinfo=None).isoformat()


def _new_run(state: dict, kind: Kind, url: str, since: str | None, full: bool, limit: int | None) -> dict:
    last_full = _parse_time(state.get("last_full"))
    if not kind.by_record:
        mode = "full"
    elif since:
        mode = "update"
    elif full or last_full is None or state.get("url") != url or datetime.now(timezone.utc) - last_full > FULL_EVERY:
        mode = "full"
    else:
        mode, since = "update", state.get("since")
    if limit:
        mode = "sample"
    return {"mode": mode, "since": since if mode != "full" else None, "limit": limit, "started": now_iso(),
            "next": None, "pages": [], "seen": [], "fetched": 0, "total": None, "phase": "fetch",
            "server_date": None}


def harvest(url: str, kind_name: str, folder: Path, *, since: str | None = None, full: bool = False,
            limit: int | None = None, name: str = "", policy: Policy | None = None,
            progress: Callable[[Progress], None] | None = None, client: Client | None = None) -> Report:
    """Harvest one portal into ``folder``; resumes an unfinished run of the same URL.

    Raises SearchkitError when another process is harvesting the same folder."""
    store = Store(folder, KINDS[kind_name].name)
    with store.locked():
        return _harvest(url, KINDS[kind_name], store, since, full, limit, name, policy, progress, client)


def _harvest(url, kind, store, since, full, limit, name, policy, progress, client) -> Report:
    state = store.load()
    run = state.get("run")
    resumed = bool(run) and state.get("url") == url
    own_client = client is None
    client = client or Client(policy)
    if not resumed:
        run = _new_run(state, kind, url, since, full, limit)
        run["page_size"] = client.policy.page_size
        run["next"] = kind.first(url, run["since"], run["page_size"])
        store.start_run()
    state.update(url=url, kind=kind.name, name=name or state.get("name") or url, run=run)
    store.save(state)
    report = Report(url, kind.name, store.folder, run["mode"], resumed=resumed)
    started = time.monotonic()
    try:
        if run["phase"] == "fetch":
            try:
                _fetch(client, kind, store, state, progress)
            except Stop as stop:
                report.outcome, report.stop = "stopped", stop
                run["mode"] = "stopped"
            except Unreachable as exc:
                report.outcome, report.reason = "unreachable", exc.reason
                state["last_run"] = now_iso()
                store.save(state)
        if report.outcome != "unreachable":
            run["phase"] = "publish"
            store.save(state)
            _publish(kind, store, state, report)
    finally:
        report.requests = client.requests
        if own_client:
            client.close()
    report.mode = run["mode"]
    report.pages = len(run["pages"])
    report.unchanged = sum(1 for p in run["pages"] if p.get("unchanged"))
    report.fetched = run["fetched"]
    report.seconds = time.monotonic() - started
    return report


def _fetch(client: Client, kind: Kind, store: Store, state: dict, progress) -> None:
    run = state["run"]
    done = Progress(len(run["pages"]), run["fetched"], run["total"])
    while run["next"]:
        url = run["next"]
        if url in run["seen"]:
            raise Stop("loop", url=url)
        if len(run["pages"]) >= MAX_PAGES or (
                run["total"] is not None and run["fetched"] > 2 * run["total"] + 2 * run["page_size"]):
            raise Stop("endless", url=url, pages=len(run["pages"]), datasets=run["fetched"])
        before = state["pages"].get(url) if not kind.by_record else None
        headers = {}
        if before and (before.get("etag") or before.get("modified")):
            headers = {k: v for k, v in (("If-None-Match", before.get("etag")),
                                         ("If-Modified-Since", before.get("modified"))) if v}
        answer, page = client.get(url, headers, check=lambda a: kind.parse(a.body, a.url, run["since"]))
        if not run["server_date"]:
            run["server_date"] = answer.headers.get("Date") or now_iso()
        number = len(run["pages"]) + 1
        if page is None:  # 304: the page on disk is still right
            entry = dict(before, url=url, unchanged=True)
            count, following, total = before["count"], before.get("next"), before.get("total")
            done.unchanged += 1
        else:
            staged = store.stage(number, suffix_for(kind, answer.body), answer.body)
            following = urljoin(answer.url, page.next_url) if page.next_url else None
            count, total = page.count, page.total
            entry = {"url": url, "staged": staged, "etag": answer.headers.get("ETag"),
                     "modified": answer.headers.get("Last-Modified"), "count": count, "next": following,
                     "total": total}
        run["pages"].append(entry)
        run["seen"].append(url)
        run["fetched"] += count
        run["total"] = total if total is not None else run["total"]
        run["next"] = following
        if run["limit"] and run["fetched"] >= run["limit"]:
            run["next"] = None
        store.save(state)
        if progress:
            done.pages, done.datasets, done.total, done.url = len(run["pages"]), run["fetched"], run["total"], url
            progress(done)


# --- publishing ---


def _publish(kind: Kind, store: Store, state: dict, report: Report) -> None:
    run = state["run"]
    if not store.plan_path.is_file():
        plan = _plan_records(kind, store, state) if kind.by_record else _plan_pages(kind, store, state)
        atomic_write(store.plan_path, dump(plan))
    plan = json.loads(store.plan_path.read_bytes())
    for name in plan["write"]:
        if (store.plan_dir / name).exists():
            os.replace(store.plan_dir / name, store.folder / name)
    keep = set(plan["files"])
    removed_files = []
    if plan["complete"]:
        for path in store.published():
            if path.name not in keep:
                path.unlink(missing_ok=True)
                removed_files.append(path.name)
    complete_full = plan["complete"]
    moment = _parse_time(run["server_date"]) or _parse_time(run["started"]) or datetime.now(timezone.utc)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    report.removed = max(0, plan["before"] - plan["datasets"]) if complete_full else 0
    report.datasets = plan["datasets"]
    if kind.by_record:
        state["ids"] = plan["ids"]
    else:
        state["pages"] = plan["pages"]
    if run["mode"] in ("full", "update"):
        state["last_complete"] = run["started"]
        state["since"] = _since_value(moment - SINCE_MARGIN)
    if complete_full:
        state["last_full"] = run["started"]
    state["last_run"] = now_iso()
    state["datasets"] = plan["datasets"]
    state["run"] = None
    store.save(state)
    store.finish()


def _link(source: Path, target: Path) -> None:
    """``target`` with the content of ``source``: a hard link, else an atomic copy."""
    try:
        os.link(source, target)
    except OSError:
        atomic_write(target, source.read_bytes())


def _load(path: Path) -> object:
    return json.loads(path.read_bytes())


def _plan_records(kind: Kind, store: Store, state: dict) -> dict:
    """Full run: the staged pages become the pages (a dataset listed twice is kept in its last page).
    Otherwise: the staged datasets replace theirs in the pages on disk; new ones go to new pages."""
    run = state["run"]
    store.plan_dir.mkdir(parents=True, exist_ok=True)
    staged = [p for p in run["pages"] if p.get("staged")]
    old_ids: dict[str, str] = state.get("ids") or {}
    if run["mode"] == "full":
        plan = _plan_full(kind, store, staged)
    else:  # an update (or a stopped / sampled run): merge by id
        plan = _plan_merge(kind, store, run, staged, old_ids)
    return {**plan, "before": len(old_ids)}


def _plan_full(kind: Kind, store: Store, staged: list[dict]) -> dict:
    """Staged page N becomes page N, without the datasets a later page lists again."""
    last: dict[str, int] = {}  # id -> the last page listing it
    pages = []
    for number, entry in enumerate(staged, 1):
        records = kind.records_of(_load(store.staged(entry["staged"])))
        pages.append((number, entry, records))
        for record in records:
            if kind.id_of(record) is not None:
                last[kind.id_of(record)] = number
    ids: dict[str, str] = {}
    write = []
    for number, entry, records in pages:
        name = store.page_name(number, kind.suffix)
        kept = [r for r in records if kind.id_of(r) is None or last[kind.id_of(r)] == number]
        if len(kept) == len(records):  # the page as the portal returned it
            if not (store.plan_dir / name).exists():
                _link(store.staged(entry["staged"]), store.plan_dir / name)
        else:
            obj = kind.with_records(_load(store.staged(entry["staged"])), kept)
            atomic_write(store.plan_dir / name, dump(obj))
        ids.update((kind.id_of(r), name) for r in kept if kind.id_of(r) is not None)
        write.append(name)
    return {"complete": True, "write": write, "files": list(write), "ids": ids, "datasets": len(ids)}


def _plan_merge(kind: Kind, store: Store, run: dict, staged: list[dict], old_ids: dict[str, str]) -> dict:
    """Each staged dataset replaces its copy in its page on disk; the others go to new pages."""
    changed, fresh, template = _split_staged(kind, store, run, staged, old_ids)
    write, orphans = _replace_in_pages(kind, store, changed)
    new_write, new_ids = _new_pages(kind, store, run["page_size"], fresh + orphans, template, old_ids)
    write += new_write
    ids = {**old_ids, **new_ids}
    files = sorted(set(ids.values()) | set(write) | {p.name for p in store.published()})
    return {"complete": False, "write": write, "files": files, "ids": ids, "datasets": len(ids)}


def _split_staged(kind: Kind, store: Store, run: dict, staged: list[dict],
                 old_ids: dict[str, str]) -> tuple[dict[str, dict[str, dict]], list[dict], object]:
    """(page file -> id -> new record, the datasets not on disk yet, a staged page to copy the shape of)."""
    changed: dict[str, dict[str, dict]] = {}
    fresh: list[dict] = []
    template = None
    since = run["since"] if run["mode"] == "update" else None
    room = run["limit"] or float("inf")  # --max: exactly that many datasets, though pages hold more
    for entry in staged:
        obj = _load(store.staged(entry["staged"]))
        template = template or obj
        for record in kind.records_of(obj):
            if since and isinstance(record, dict) and kind.modified(record) < since:
                continue  # a page of changes ends with older datasets: they are already on disk
            room -= 1
            if room < 0:
                break
            ident = kind.id_of(record)
            if ident in old_ids:
                changed.setdefault(old_ids[ident], {})[ident] = record
            else:
                fresh = [r for r in fresh if ident is None or str(r.get(kind.ident)) != ident] + [record]
    return changed, fresh, template


def _replace_in_pages(kind: Kind, store: Store, changed: dict[str, dict[str, dict]]) -> tuple[list[str], list[dict]]:
    """(the pages rewritten with their new datasets, the datasets whose page went missing)."""
    write: list[str] = []
    orphans: list[dict] = []
    for name, replacements in changed.items():
        path = store.folder / name
        try:
            obj = _load(path)
            records = kind.records_of(obj)
        except (OSError, ValueError, KeyError, TypeError):  # the page went missing: its datasets are new
            orphans.extend(replacements.values())
            continue
        records = [replacements.get(str(r.get(kind.ident)), r) if isinstance(r, dict) else r for r in records]
        atomic_write(store.plan_dir / name, dump(kind.with_records(obj, records)))
        write.append(name)
    return write, orphans


def _new_pages(kind: Kind, store: Store, size: int, fresh: list[dict], template: object,
               old_ids: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """(the new pages, numbered after every page on disk, holding ``fresh``; id -> new page)."""
    number = max([page_number(n) for n in set(old_ids.values())] + [page_number(p.name) for p in store.published()]
                 + [0])
    write: list[str] = []
    ids: dict[str, str] = {}
    for start in range(0, len(fresh), size):
        number += 1
        name = store.page_name(number, kind.suffix)
        chunk = fresh[start:start + size]
        atomic_write(store.plan_dir / name, dump(kind.with_records(json.loads(json.dumps(template)), chunk)))
        write.append(name)
        ids.update((kind.id_of(r), name) for r in chunk if kind.id_of(r) is not None)
    return write, ids


def _plan_pages(kind: Kind, store: Store, state: dict) -> dict:
    """dcat / csw: page N of this run becomes ``K-000N``; a page answered 304 keeps its file."""
    run = state["run"]
    store.plan_dir.mkdir(parents=True, exist_ok=True)
    complete = run["mode"] != "stopped"
    old_pages: dict[str, dict] = state.get("pages") or {}
    before = sum(p.get("count", 0) for p in old_pages.values())
    pages: dict[str, dict] = {} if complete else dict(old_pages)
    write, files = [], []
    for number, entry in enumerate(run["pages"], 1):
        if entry.get("staged"):
            suffix = Path(entry["staged"]).suffix
            source = store.staged(entry["staged"])
        else:
            suffix = Path(entry["file"]).suffix
            source = store.folder / entry["file"]
        name = store.page_name(number, suffix)
        if source != store.folder / name:
            if not (store.plan_dir / name).exists():
                atomic_write(store.plan_dir / name, source.read_bytes())
            write.append(name)
        info = {k: v for k, v in entry.items() if k not in ("staged", "unchanged")}
        pages[entry["url"]] = dict(info, file=name)
        files.append(name)
    if not complete:
        files = sorted(set(files) | {p["file"] for p in pages.values()})
    datasets = sum(p.get("count", 0) for p in pages.values())
    return {"complete": complete, "write": write, "files": files, "pages": pages, "datasets": datasets,
            "before": before}
