"""What a user keeps around the searches: ``saved`` searches, the ``history``, and the records
``related`` to one."""

from __future__ import annotations

import os
import sys

import click

from searchkit.cli.app import (EXIT_ERROR, EXIT_FOUND, EXIT_NOTHING, echo_err, filter_options,
                               index_option, json_text, main, parse_filters)
from searchkit.cli.query_cmd import RECORD_FORMATS, render_records, render_text
from searchkit.config import settings
from searchkit.display import escaped, safe
from searchkit.errors import SearchkitError
from searchkit.messages import t
from searchkit.model import MAX_LIMIT, SORTS, Results


def _complete_saved(ctx, param, incomplete: str):
    from click.shell_completion import CompletionItem

    from searchkit.saved import load

    try:
        searches = load()
    except SearchkitError:
        return []
    return [CompletionItem(name, help=s.describe()) for name, s in searches.items() if name.startswith(incomplete)]


@main.group("saved")
def saved_cmd() -> None:
    """Saved searches, and what is new in them (kept in $XDG_CONFIG_HOME/searchkit/saved.toml)."""


@saved_cmd.command("add")
@click.argument("name")
@click.argument("text", nargs=-1)
@filter_options
@click.option("--sort", type=click.Choice(SORTS), default=SORTS[0], show_default=True)
def saved_add_cmd(name, text, types, tags, publishers, licences, formats, zones, granularities, frequencies,
                  since, until, covers, facet_pairs, kind, sort):
    """Save the search TEXT (with its filters) as NAME; a search of that name is replaced."""
    from searchkit.saved import SavedSearch, add, check_name

    try:
        filters = parse_filters(facet_pairs, type=types, tag=tags, publisher=publishers, licence=licences,
                                format=formats, zone=zones, granularity=granularities, frequency=frequencies,
                                since=since, until=until, covers=covers)
        search = SavedSearch(check_name(name), " ".join(text).strip(), filters, kind, sort)
        if not (search.query or filters or kind):
            raise click.UsageError(t("query.empty"))
        replaced = add(search)
    except click.UsageError as exc:
        echo_err(f"{t('cli.error')}: {exc.message}")
        sys.exit(EXIT_ERROR)
    click.echo(t("saved.replaced" if replaced else "saved.added", name=safe(search.name), search=safe(search.describe())))


@saved_cmd.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def saved_list_cmd(fmt):
    """List the saved searches and when each last ran."""
    from searchkit.saved import last_runs, load, saved_path

    searches = load()
    runs = last_runs()
    if fmt == "json":
        click.echo(json_text([{"name": s.name, "query": s.query, "filters": s.filters, "kind": s.kind, "sort": s.sort,
                           "last_run": runs.get(s.name)} for s in searches.values()], indent=2))
        return
    if not searches:
        echo_err(t("saved.none", path=escaped(saved_path())))
        return
    width = max(len(name) for name in searches)
    for s in searches.values():
        when = t("saved.last_run", at=runs[s.name]) if runs.get(s.name) else t("saved.never_run")
        click.echo(f"{safe(s.name).ljust(width)}  {safe(s.describe())}  ({when})")


@saved_cmd.command("run")
@click.argument("name", shell_complete=_complete_saved)
@index_option
@click.option("--new", "only_new", is_flag=True,
              help="Only the records new or modified since this search last ran; exit 1 when there are none.")
@click.option("-n", "--limit", type=int, default=10, show_default=True, help="How many hits to show (0 to 10000).")
@click.option("--format", "fmt", type=click.Choice(("text", "jsonl", "paths") + RECORD_FORMATS), default="text",
              show_default=True)
@click.option("-q", "--quiet", is_flag=True, help="Say nothing when nothing was found (cron mails only news).")
def saved_run_cmd(name, index_dir, only_new, limit, fmt, quiet):
    """Run the saved search NAME.  Exit status: 0 something to show, 1 nothing, 2 error.

    \b
    For cron, mailing the news of a search (and any error):
      searchkit saved run budget --new --quiet
    """
    from searchkit.query import Engine
    from searchkit.saved import get, run

    if limit < 0 or limit > MAX_LIMIT:
        echo_err(f"{t('cli.error')}: {t('query.bad_limit', max=MAX_LIMIT)}")
        sys.exit(EXIT_ERROR)
    cfg = settings(index_dir)
    search = get(name)
    engine = Engine(cfg.index)
    try:
        done = run(engine, search)
    finally:
        engine.close()
    hits = done.new if only_new else done.results.hits
    shown = hits[:limit]
    if fmt in RECORD_FORMATS:
        if shown:
            click.echo(render_records(fmt, cfg.index, shown))
    elif fmt == "jsonl":
        for hit in shown:
            click.echo(json_text(hit.to_json()))
    elif fmt == "paths":
        for path in dict.fromkeys(h.path for h in shown):
            click.echo(escaped(path))
    elif not hits and quiet:
        pass
    elif only_new and not hits:
        echo_err(t("saved.nothing_new", name=safe(name), since=done.since or "-"))
    else:
        if only_new:
            key = "saved.new_since" if done.since else "saved.new_first"
            click.echo(t(key, n=len(hits), name=safe(name), since=done.since))
        elif not hits:
            echo_err(t("query.no_results", query=safe(search.query)))
        if hits:
            click.echo(render_text(Results(query=search.query, total=len(hits), took_ms=done.results.took_ms,
                                           hits=tuple(shown)), colour=sys.stdout.isatty() and not os.environ.get("NO_COLOR"),
                                   show_facets=False))
    sys.exit(EXIT_FOUND if hits else EXIT_NOTHING)


@saved_cmd.command("rm")
@click.argument("name", shell_complete=_complete_saved)
def saved_rm_cmd(name):
    """Forget the saved search NAME."""
    from searchkit.saved import remove

    remove(name)
    click.echo(t("saved.removed", name=safe(name)))


@main.command("history")
@click.option("-n", "--last", "count", type=click.IntRange(min=1), default=20, show_default=True,
              help="How many of the latest searches to show.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--clear", is_flag=True, help="Forget every search.")
def history_cmd(count, fmt, clear):
    """The latest searches (the app's and searchkit query's; SEARCHKIT_HISTORY=0 turns it off)."""
    from searchkit.history import clear as clear_history
    from searchkit.history import enabled, entries

    if clear:
        clear_history()
        click.echo(t("history.cleared"))
        return
    if not enabled():
        echo_err(t("history.off"))
        return
    past = entries()
    numbered = list(enumerate(past, 1))[-count:]
    if fmt == "json":
        click.echo(json_text([dict(e.__dict__, n=n) for n, e in numbered], indent=2))
        return
    if not past:
        echo_err(t("history.empty"))
    for n, e in numbered:
        filters = " ".join(f"{k}={v}" for k, vs in e.filters.items() for v in vs) + (f" kind={e.kind}" if e.kind else "")
        click.echo(f"{n:>4}  {e.at.replace('T', ' ')}  {safe(e.query)}" + (f"  [{safe(filters.strip())}]" if filters.strip() else ""))


def render_related(found) -> str:
    lines = []
    for rank, r in enumerate(found, 1):
        reasons = []
        if r.linked:
            reasons.append(t(f"related.linked.{r.linked}"))
        if r.shared_tags:
            reasons.append(t("related.tags", tags=", ".join(r.shared_tags)))
        if r.words:
            reasons.append(t("related.words", words=", ".join(r.words)))
        lines.append(f"{rank:>2}. {safe(r.title)}  [{t(f'kind.{r.kind}')}]")
        lines.append("    " + " · ".join(safe(x) for x in reasons))
        lines.append("    " + escaped(r.path))
    return "\n".join(lines)


@main.command("related")
@click.argument("record")
@index_option
@click.option("-n", "--limit", type=click.IntRange(1, 100), default=10, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def related_cmd(record, index_dir, limit, fmt):
    """The records most like RECORD (an id, or a note's file): shared words and tags, links.

    Exit status: 0 some found, 1 none, 2 RECORD is not in the index or an error.
    """
    from searchkit.query import Engine
    from searchkit.related import related, resolve

    cfg = settings(index_dir)
    engine = Engine(cfg.index)
    try:
        record_id = resolve(engine, record)
        if record_id is None:
            echo_err(f"{t('cli.error')}: {t('related.unknown', record=escaped(record))}")
            sys.exit(EXIT_ERROR)
        found = related(engine, record_id, limit)
    finally:
        engine.close()
    if fmt == "json":
        click.echo(json_text([r.__dict__ for r in found], indent=2))
    elif found:
        click.echo(render_related(found))
    else:
        echo_err(t("related.none", record=escaped(record)))
    sys.exit(EXIT_FOUND if found else EXIT_NOTHING)
