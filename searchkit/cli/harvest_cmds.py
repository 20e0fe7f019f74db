"""``searchkit harvest`` (a portal's catalogue copied over its API) and ``searchkit config`` (the
settings, and the portals to harvest).  The HTTP client is imported only when a command runs."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from searchkit.cli.app import EXIT_ERROR, EXIT_FOUND, EXIT_NOTHING, echo_err, index_option, main
from searchkit.config import settings
from searchkit.display import escaped, safe
from searchkit.messages import t


def _harvest_progress(name: str, fmt: str):
    """After each page: a bar on a terminal, else one line on stderr (nothing for --format json)."""
    if fmt == "json":
        return None, None

    if not sys.stderr.isatty():
        def line(done) -> None:
            total = t("harvest.page_total", total=done.total) if done.total is not None else ""
            echo_err(t("harvest.page", name=safe(name), page=done.pages, datasets=done.datasets, total=total))

        return line, None
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(TextColumn(t("harvest.progress", name=safe(name)).replace("[", r"\[")), BarColumn(),
                   MofNCompleteColumn(), TextColumn(t("harvest.bar_pages", pages="{task.fields[pages]}")),
                   TimeElapsedColumn(), transient=True, console=Console(stderr=True))
    state = {"task": None}

    def update(done) -> None:
        if state["task"] is None:
            bar.start()
            state["task"] = bar.add_task("harvest", total=done.total, pages=0)
        bar.update(state["task"], completed=done.datasets, total=done.total, pages=done.pages)

    return update, bar


def _harvest_targets(url, kind, into, cfg):
    """(name, url, kind, folder) for the URL given, else for every configured portal."""
    from urllib.parse import urlsplit

    from searchkit.config import host_folder
    from searchkit.sources.harvest import detect

    root = Path(into).absolute() if into else cfg.harvest
    if url:
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
            raise click.UsageError(t("harvest.bad_url", url=url))
        known = next((p for p in cfg.portals if p.url == url), None)
        portals = [(known.name, url, kind or known.kind, known.folder if not into else root / host_folder(url))
                   if known else (urlsplit(url).hostname, url, kind, root / host_folder(url))]
    else:
        portals = [(p.name, p.url, kind or p.kind, root / host_folder(p.url) if into else p.folder)
                   for p in cfg.portals]
    out = []
    for name, address, api, folder in portals:
        api = api or detect(address)
        if api is None:
            from searchkit.config import HARVEST_KINDS

            raise click.UsageError(t("harvest.unknown_kind", url=address, kinds=", ".join(HARVEST_KINDS)))
        out.append((name, address, api, folder))
    return out


def _since(value: str | None) -> str | None:
    from datetime import datetime, timezone

    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise click.UsageError(t("harvest.bad_since", value=value)) from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment.isoformat()


@main.command("harvest")
@click.argument("url", required=False)
@click.option("--kind", type=click.Choice(["udata", "ckan", "ods", "dcat", "csw"]),
              help="The portal's API (default: detected from the URL).")
@click.option("--into", type=click.Path(file_okay=False, path_type=Path),
              help="Folder receiving one sub-folder per portal host (default ./catalogues, or the config file's).")
@click.option("--since", "since", metavar="DATE", help="Only the datasets modified since DATE (YYYY-MM-DD).")
@click.option("--max", "limit", type=click.IntRange(min=1), help="Stop after N datasets (a sample: nothing is removed).")
@click.option("--full", is_flag=True, help="Walk the whole catalogue: datasets deleted on the portal leave the copy.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def harvest_cmd(url, kind, into, since, limit, full, fmt):
    """Copy a portal's catalogue over its API, page by page, for `searchkit index`.

    \b
    Without URL: every portal of the configuration file.  A second run fetches
    only what changed; an interrupted run resumes where it stopped.
    Exit status: 0 done, 1 the portal lists no dataset, 2 error (the datasets
    received are kept).
    """
    from searchkit.sources.harvest import harvest

    cfg = settings()
    try:
        targets = _harvest_targets(url, kind, into, cfg)
        since_value = _since(since)
    except click.UsageError as exc:
        echo_err(f"{t('cli.error')}: {exc.message}")
        sys.exit(EXIT_ERROR)
    if not targets:
        from searchkit.config import config_file

        echo_err(f"{t('cli.error')}: {t('harvest.no_portals', path=escaped(config_file()))}")
        sys.exit(EXIT_ERROR)
    reports, status = [], EXIT_FOUND
    for name, address, api, folder in targets:
        callback, bar = _harvest_progress(name, fmt)
        try:
            report = harvest(address, api, folder, since=since_value, full=full, limit=limit, name=name,
                             progress=callback)
        except KeyboardInterrupt:
            if bar is not None:
                bar.stop()
            echo_err(t("harvest.interrupted"))
            sys.exit(130)
        except OSError as exc:
            echo_err(f"{t('cli.error')}: {t('harvest.write_error', path=escaped(folder), reason=exc.strerror or exc)}")
            sys.exit(EXIT_ERROR)
        finally:
            if bar is not None:
                bar.stop()
        reports.append(report)
        shown = safe(name)
        if report.outcome == "unreachable":
            echo_err(f"{t('cli.error')}: " + t("harvest.unreachable", name=shown, reason=report.reason,
                                            pages=report.pages))
            status = EXIT_ERROR
        elif report.outcome == "stopped":
            reason = t(f"harvest.stop.{report.stop.code}", **{k: escaped(v) if k in ("url", "target") else v
                                                              for k, v in report.stop.values.items()})
            echo_err(f"{t('cli.error')}: " + t("harvest.stopped", name=shown, reason=reason, datasets=report.fetched,
                                            folder=escaped(folder)))
            status = EXIT_ERROR
        elif not report.datasets and status == EXIT_FOUND:
            status = EXIT_NOTHING
        if fmt == "text" and report.outcome != "unreachable":
            click.echo(t("harvest.done", name=shown, mode=t(f"harvest.mode.{report.mode}"), pages=report.pages,
                         unchanged=report.unchanged, fetched=report.fetched, datasets=report.datasets,
                         folder=escaped(folder), removed=report.removed, requests=report.requests,
                         seconds=report.seconds))
    if fmt == "json":
        click.echo(json.dumps({"portals": [dict(r.to_json(), name=n) for r, (n, *_rest) in zip(reports, targets)]},
                              ensure_ascii=False, indent=2))
    sys.exit(status)


@main.command("config")
@index_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def config_cmd(index_dir, fmt):
    """Print the effective settings and where each comes from (default, file, environment, option)."""
    from searchkit.config import config_file
    from searchkit.sources.harvest import detect, last_harvested

    cfg = settings(index_dir)
    values = {
        "index": str(cfg.index), "sources": [str(p) for p in cfg.sources], "lang": cfg.lang,
        "thesaurus": str(cfg.thesaurus) if cfg.thesaurus else None, "workers": cfg.workers,
        "harvest": str(cfg.harvest), **{f"ranking.{k}": v for k, v in cfg.ranking.items()},
    }
    portals = [{"name": p.name, "url": p.url, "kind": p.kind or detect(p.url), "schedule": p.schedule,
                "folder": str(p.folder), "last_harvested": last_harvested(p)} for p in cfg.portals]
    if fmt == "json":
        click.echo(json.dumps({"file": str(config_file()), "exists": cfg.config_file is not None,
                               "settings": {k: {"value": v, "from": cfg.origins.get(k, "default")}
                                            for k, v in values.items()},
                               "portals": portals}, ensure_ascii=False, indent=2))
        return
    path = escaped(config_file())
    click.echo(t("config.file", path=path) if cfg.config_file else t("config.no_file", path=path))
    width = max(len(k) for k in values)
    for key, value in values.items():
        shown = ", ".join(escaped(v) for v in value) if isinstance(value, list) else "-" if value is None else (
            escaped(value) if isinstance(value, str) else value)
        click.echo(f"{key:<{width}}  {shown}  ({t('config.origin.' + cfg.origins.get(key, 'default'))})")
    for portal in portals:
        click.echo(t("config.portal", name=safe(portal["name"]), url=escaped(portal["url"]),
                     kind=portal["kind"] or t("config.kind_auto"), schedule=safe(portal["schedule"]) or t("config.no_schedule"),
                     folder=escaped(portal["folder"]), last=portal["last_harvested"] or t("harvest.never")))
