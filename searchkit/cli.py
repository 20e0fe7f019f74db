"""The command line: ``searchkit index | query | check | watch | tui | harvest | config``.

Renders what the core returns and turns domain errors into one line on stderr.
Exit status: 0 something matched (or the work is done), 1 nothing matched,
2 usage error, missing or unreadable index, or any other error.
Textual is imported only by the command that opens the app.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import click

from searchkit import __version__
from searchkit.config import settings, state_dir
from searchkit.display import escaped, problem_line, safe, safe_marked
from searchkit.errors import SearchkitError
from searchkit.messages import t
from searchkit.model import FACET_ALIASES, FACETS, MAX_LIMIT, NOTE_FACETS, SORTS, IndexReport, Problem, Results

EXIT_FOUND, EXIT_NOTHING, EXIT_ERROR = 0, 1, 2


def _err(message: str) -> None:
    click.echo(safe(message, newlines=True), err=True)


def warn(problem: Problem) -> None:
    _err(f"{t('cli.warning')}: {problem_line(problem)}")


def fail(exc: SearchkitError) -> "NoReturn":  # noqa: F821
    _err(f"{t('cli.error')}: {exc.message}")
    sys.exit(exc.exit_code)


ERROR_LOG = "errors.log"  # in the state folder (else the temporary folder): details of unexpected errors


def _log_details(exc: BaseException) -> str:
    """Append the traceback of ``exc`` to the error log; its path, or "" when none can be written."""
    import tempfile
    import time
    import traceback

    entry = (f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} searchkit {__version__} {' '.join(sys.argv[1:])}\n"
             + "".join(traceback.format_exception(exc)) + "\n")
    for path in (state_dir() / ERROR_LOG, Path(tempfile.gettempdir()) / f"searchkit-{ERROR_LOG}"):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "a", encoding="utf-8", errors="backslashreplace") as fh:
                fh.write(entry)
            return str(path)
        except OSError:
            continue
    return ""


def fail_unexpected(exc: BaseException) -> "NoReturn":  # noqa: F821
    """A bug or an error nobody foresaw: one line on stderr and exit 2, never a traceback;
    the traceback goes to the error log that the line names."""
    first = (str(exc).splitlines() or [""])[0][:200]
    text = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    log = _log_details(exc)
    line = t("cli.unexpected", error=text) + (" " + t("cli.unexpected_log", path=escaped(log)) if log else "")
    _err(f"{t('cli.error')}: {line}")
    sys.exit(EXIT_ERROR)


class DefaultGroup(click.Group):
    """``searchkit`` alone opens the terminal app; every command has the same last resort."""

    def parse_args(self, ctx, args):
        if ctx.resilient_parsing:  # shell completion: complete the command names
            return super().parse_args(ctx, args)
        if not args or (args[0].startswith("-") and args[0] not in ("--help", "-h", "--version")):
            args = ["tui", *args]
        return super().parse_args(ctx, args)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except SearchkitError as exc:
            fail(exc)
        except KeyboardInterrupt:
            _err(t("cli.interrupted_plain"))
            sys.exit(130)
        except Exception as exc:  # noqa: BLE001 - the edge: one line, exit 2, details in the log
            fail_unexpected(exc)


@click.group(cls=DefaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="searchkit")
def main() -> None:
    """Recherche plein texte dans des notes Markdown et des catalogues de données ouvertes.

    Full-text search for French Markdown notes and open-data catalogues.
    Without a command, opens the terminal app.
    """


index_option = click.option("--index", "index_dir", type=click.Path(file_okay=False, path_type=Path),
                             help="Index folder (default ./index, or $SEARCHKIT_INDEX).")


def _progress_bar():
    """A progress callback drawing a bar on stderr when it is a terminal, else None."""
    if not sys.stderr.isatty():
        return None, None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(TextColumn(t("index.progress")), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                   transient=True, console=None)
    state = {"task": None}

    def callback(done: int, total: int, path: str) -> None:
        if total < 20:
            return
        if state["task"] is None:
            bar.start()
            state["task"] = bar.add_task("index", total=total)
        bar.update(state["task"], completed=done)

    return callback, bar


def report_line(report: IndexReport) -> str:
    line = t("index.summary", added=report.added, updated=report.updated, removed=report.removed,
             moved=report.moved, unchanged=report.unchanged, problems=len(report.problems),
             records=report.records, seconds=report.seconds)
    if report.duplicates:
        line += "\n" + t("index.duplicates", n=report.duplicates)
    return line


def run_index(index_dir, sources, rebuild=False, follow_links=False, quiet=False) -> IndexReport:
    from searchkit.index import update_index

    cfg = settings(index_dir, sources)
    callback, bar = (None, None) if quiet else _progress_bar()
    try:
        report = update_index(cfg.index, cfg.sources, rebuild=rebuild, follow_links=follow_links, progress=callback,
                              workers=cfg.workers)
    finally:
        if bar is not None:
            bar.stop()
    return report


@main.command("index")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@index_option
@click.option("--rebuild", is_flag=True, help="Start afresh instead of updating what changed.")
@click.option("--follow-links", is_flag=True, help="Follow symbolic links that lead outside the sources.")
@click.option("-q", "--quiet", is_flag=True, help="Print warnings and errors only.")
def index_cmd(paths, index_dir, rebuild, follow_links, quiet):
    """Build or update the index from notes folders and catalogue files (default ./notes).

    Only files whose content changed are read again; deleted files leave the
    index.  Prints what was added, updated, removed, moved and unchanged.
    """
    try:
        report = run_index(index_dir, paths, rebuild, follow_links, quiet)
    except SearchkitError as exc:
        fail(exc)
    except KeyboardInterrupt:
        _err(t("cli.interrupted"))
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - the edge: one line, exit 2
        fail_unexpected(exc)
    for problem in report.problems:
        warn(problem)
    if not quiet:
        click.echo(report_line(report))


def _parse_facets(pairs, **named) -> dict[str, list[str]]:
    """The filters of ``filter_options``: facet values, and date filters (one value each)
    checked here so that a bad date is one line before anything runs."""
    from searchkit.query import date_bounds

    filters: dict[str, list[str]] = {}
    for name, values in named.items():
        if isinstance(values, str):  # a date filter
            try:
                date_bounds(name, values)
            except SearchkitError as exc:
                raise click.UsageError(exc.message) from None
            values = [values]
        if values:
            filters.setdefault(name, []).extend(values)
    for pair in pairs:
        if "=" not in pair:
            raise click.UsageError(t("query.bad_facet", value=pair))
        key, value = pair.split("=", 1)
        key = key.strip().lower()
        key = FACET_ALIASES.get(key, key)
        if key not in FACETS:
            raise click.UsageError(t("query.unknown_facet", name=key, known=", ".join(FACETS)))
        filters.setdefault(key, []).append(value)
    return filters


def _style(text: str, marks, colour: bool) -> str:
    if not colour or not marks:
        return text
    out, last = [], 0
    for a, b in marks:
        out.append(text[last:a])
        out.append(click.style(text[a:b], bold=True, fg="yellow"))
        last = b
    out.append(text[last:])
    return "".join(out)


def render_text(results: Results, colour: bool, show_facets: bool, explain: bool = False) -> str:
    """The text format: every field from the records goes through ``display.safe`` (colours are ours)."""
    lines = []
    for rank, hit in enumerate(results.hits, 1):
        badge = safe(", ".join(hit.types) or t(f"kind.{hit.kind}"))
        title = safe(hit.title)
        head = f"{rank:>2}. {click.style(title, bold=True) if colour else title}  [{badge}]"
        if hit.tags:
            head += "  # " + safe(", ".join(hit.tags[:8]))
        lines.append(head)
        if hit.snippet:
            lines.append("    " + _style(*safe_marked(hit.snippet, hit.marks), colour))
        location = escaped(hit.path) + (f"  {safe(hit.url)}" if hit.url and hit.kind == "dataset" else "")
        lines.append("    " + (click.style(location, dim=True) if colour else location))
        if explain:
            lines.append(f"    score {hit.score:.3f}: " + safe(" ".join(hit.explain)))
    lines.append(t("cli.results", total=results.total, ms=results.took_ms))
    if show_facets:
        for name, values in results.facets.items():
            if values:
                lines.append(f"{t('facet.' + name)}: " + ", ".join(f"{safe(v.label)} ({v.count})" for v in values))
    return "\n".join(lines)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _json(payload, indent: int | None = None) -> str:
    """JSON with the data as it is, in UTF-8; the undecodable bytes of a typed query or a file
    name (lone surrogates, which UTF-8 cannot carry) as ``\\udcXX`` escapes."""
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(payload, ensure_ascii=False, indent=indent))


def _complete_facet(name: str):
    """Shell completion of ``--NAME`` values: the facet's values in the index (none when it cannot be read)."""

    def complete(ctx, param, incomplete: str):
        from click.shell_completion import CompletionItem

        from searchkit.textnorm import fold

        try:
            from searchkit.query import Engine

            engine = Engine(settings(ctx.params.get("index_dir")).index)
            try:
                values = engine.search("", limit=0, facets=(name,), facet_top=0).facets.get(name, ())
            finally:
                engine.close()
        except Exception:  # noqa: BLE001 - completion never shows an error
            return []
        start = fold(incomplete).casefold()
        return [CompletionItem(v.label, help=str(v.count)) for v in values if fold(v.label).casefold().startswith(start)]

    return complete


def filter_options(command):
    """The facet filters ``query`` and ``saved add`` share."""
    options = [
        click.option("--type", "types", multiple=True, shell_complete=_complete_facet("type"),
                     help="Only this type (repeatable: any of them)."),
        click.option("--tag", "tags", multiple=True, shell_complete=_complete_facet("tag"),
                     help="Only this tag (repeatable: any of them)."),
        click.option("--publisher", "publishers", multiple=True, help="Only this publisher (datasets)."),
        click.option("--licence", "licences", multiple=True, help="Only this licence (datasets)."),
        click.option("--format-of", "formats", multiple=True, help="Only datasets offering this file format (csv, geojson...)."),
        click.option("--zone", "zones", multiple=True, shell_complete=_complete_facet("zone"),
                     help="Only datasets covering this place (as the catalogue names it: France, country:fr...)."),
        click.option("--granularity", "granularities", multiple=True, shell_complete=_complete_facet("granularity"),
                     help="Only datasets of this spatial granularity (fr:commune, country...)."),
        click.option("--frequency", "frequencies", multiple=True, shell_complete=_complete_facet("frequency"),
                     help="Only datasets updated this often (annual, monthly, daily...)."),
        click.option("--since", metavar="DATE", help="Only records modified on or after DATE (YYYY, YYYY-MM or YYYY-MM-DD)."),
        click.option("--until", metavar="DATE", help="Only records modified on or before DATE (YYYY, YYYY-MM or YYYY-MM-DD)."),
        click.option("--covers", metavar="YEAR[-YEAR]",
                     help="Only datasets whose temporal coverage overlaps these years (e.g. 2020 or 2019-2021)."),
        click.option("--facet", "facet_pairs", multiple=True, metavar="KEY=VALUE", help="Any facet filter, e.g. --facet tag=budget."),
        click.option("--kind", type=click.Choice(["note", "dataset"]), help="Only notes or only datasets."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


# what ``query --format`` and ``saved run --format`` print: hits, or the records cited and exported
HIT_FORMATS = ("text", "json", "jsonl", "paths", "paths0")
RECORD_FORMATS = ("csv", "csl-json", "bibtex")


@main.command("query")
@click.argument("text", nargs=-1)
@index_option
@filter_options
@click.option("-n", "--limit", type=int, default=10, show_default=True, help="How many hits to show (0 to 10000).")
@click.option("--format", "fmt", type=click.Choice(HIT_FORMATS + RECORD_FORMATS), default="text", show_default=True,
              help="paths: one path a line (odd characters escaped); paths0: NUL-separated, as is; csv: one row per hit; "
                   "csl-json and bibtex: citations (datasets and notes).")
@click.option("--facets", "show_facets", is_flag=True, help="Print facet counts after the hits (text format).")
@click.option("--sort", type=click.Choice(SORTS), default=SORTS[0], show_default=True)
@click.option("--explain", is_flag=True, help="Show which words matched and the score of each hit.")
@click.option("--no-fuzzy", is_flag=True, help="No typo tolerance.")
def query_cmd(text, index_dir, types, tags, publishers, licences, formats, zones, granularities, frequencies,
              since, until, covers, facet_pairs, kind, limit, fmt, show_facets, sort, explain, no_fuzzy):
    """Search the index.  Exit status: 0 found, 1 nothing found, 2 error.

    \b
    Query language: words (all required, with a fallback to some),
    "a phrase", a OR b (OU), -word / NOT word (SAUF), prefix*,
    field:value for title: tag: type: kesako: publisher: licence: format: zone:
    granularity: frequency: kind: and any other front-matter key.
    """
    from searchkit.query import search

    query_text = " ".join(text).strip()
    if limit < 0 or limit > MAX_LIMIT:
        _err(f"{t('cli.error')}: {t('query.bad_limit', max=MAX_LIMIT)}")
        sys.exit(EXIT_ERROR)
    try:
        filters = _parse_facets(facet_pairs, type=types, tag=tags, publisher=publishers, licence=licences, format=formats,
                                zone=zones, granularity=granularities, frequency=frequencies, since=since, until=until,
                                covers=covers)
    except click.UsageError as exc:
        _err(f"{t('cli.error')}: {exc.message}")
        sys.exit(EXIT_ERROR)
    if not query_text and not (filters or kind):
        _err(f"{t('cli.error')}: {t('query.empty')}")
        sys.exit(EXIT_ERROR)
    cfg = settings(index_dir)
    # facets are counted only when they are printed
    facet_names = FACETS if fmt == "json" or show_facets else ()
    try:
        results = search(cfg.index, query_text, filters=filters, kind=kind, limit=limit, facets=facet_names,
                         sort=sort, fuzzy=not no_fuzzy, explain=explain)
    except SearchkitError as exc:
        fail(exc)
    except Exception as exc:  # noqa: BLE001 - the edge: one line, exit 2
        fail_unexpected(exc)
    remember_search(query_text, filters, kind)
    if fmt in RECORD_FORMATS:
        click.echo(render_records(fmt, cfg.index, results.hits))
    elif fmt == "json":
        payload = results.to_json()
        payload["facets"] = {k: v for k, v in payload["facets"].items() if k in NOTE_FACETS or v}
        click.echo(_json(payload, indent=2))
    elif fmt == "jsonl":
        for hit in results.hits:
            click.echo(_json(hit.to_json()))
    elif fmt == "paths":
        for path in dict.fromkeys(h.path for h in results.hits):
            click.echo(escaped(path))
    elif fmt == "paths0":  # the exact bytes of each path, for xargs -0
        out = click.get_binary_stream("stdout")
        for path in dict.fromkeys(h.path for h in results.hits):
            out.write(os.fsencode(path) + b"\0")
        out.flush()
    else:
        colour = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
        if results.notice:
            _err(results.notice)
        if not results.total:
            _err(t("query.no_results", query=query_text))
            if results.suggestions:
                _err(t("query.did_you_mean", words=", ".join(results.suggestions)))
        else:
            click.echo(render_text(results, colour, show_facets, explain))
    sys.exit(EXIT_FOUND if results.total else EXIT_NOTHING)


def _exists(path: Path) -> bool:
    """Whether ``path`` can be watched (a name too long or unreadable counts as absent)."""
    try:
        return path.exists()
    except OSError:
        return False


@main.command("watch")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@index_option
def watch_cmd(paths, index_dir):
    """Update the index whenever a note or catalogue changes; one line per update."""
    import time as _time

    from searchkit.index import update_index
    from searchkit.watcher import watch_changes

    cfg = settings(index_dir, paths)
    watched = tuple(p for p in cfg.sources if _exists(p))
    if not watched:  # nothing to watch: say so, never "watching" then exit 0
        _err(f"{t('cli.error')}: {t('watch.nothing', paths=', '.join(escaped(p) for p in cfg.sources))}")
        sys.exit(EXIT_ERROR)
    try:
        report = update_index(cfg.index, cfg.sources)
        for problem in report.problems:
            warn(problem)
        click.echo(report_line(report))
        _err(t("watch.started", paths=", ".join(escaped(p) for p in watched)))
        for _changed in watch_changes(watched):
            report = update_index(cfg.index, cfg.sources)
            for problem in report.problems:
                warn(problem)
            click.echo(t("watch.update", time=_time.strftime("%H:%M:%S"), summary=report_line(report)), nl=True)
    except SearchkitError as exc:
        fail(exc)
    except KeyboardInterrupt:
        pass


# --- check (reliability) ---


def render_check(report) -> str:
    """The human-readable ``searchkit check`` report: a header, one section per kind of problem."""
    lines = [t("check.index", path=escaped(report.index), records=report.records, notes=report.notes,
               datasets=report.datasets),
             t(f"check.manifest.{report.manifest}")]
    if report.reread:
        lines.append(t("check.reread", n=len(report.reread)))

    def section(title_key: str, items: list[str]) -> None:
        if items:
            lines.append("")
            lines.append(t(title_key, n=len(items)))
            lines.extend("  " + item for item in items)

    # every value below comes from the notes: ``safe`` and ``escaped`` keep escape sequences off the terminal
    section("check.problems", [problem_line(p) for p in report.problems])
    section("check.links", [t("check.link_line", path=escaped(b.path), id=safe(b.source_id), target=safe(b.target))
                            for b in report.broken_links])
    section("check.duplicates", [t("check.duplicate_line", id=safe(d.id), paths=", ".join(map(escaped, d.paths)))
                                 for d in report.duplicate_ids])
    section("check.spellings", [
        t("check.spelling_line", facet=t(f"check.facet.{s.facet}"),
          spellings=", ".join(t("check.spelling", label=safe(label), n=n) for label, n in s.spellings))
        for s in report.spellings
    ])
    lines.append("")
    lines.append(t("check.summary", n=report.problem_count) if report.problem_count else t("check.healthy"))
    return "\n".join(lines)


@main.command("check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@index_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--follow-links", is_flag=True, help="Follow symbolic links that lead outside the PATHS.")
def check_cmd(paths, index_dir, fmt, follow_links):
    """Report the health of the index and of the notes.

    Reads the whole index (damage anywhere is found), then lists notes with
    warnings (stored when they were indexed, or read again now for the PATHS
    given), [[id]] links that lead nowhere, ids declared by several notes and
    tags written several ways.  Exit status: 0 healthy, 1 problems found,
    2 the index cannot be read.
    """
    from searchkit.check import check_index

    cfg = settings(index_dir)
    try:
        report = check_index(cfg.index, [Path(p).absolute() for p in paths], follow_links=follow_links)
    except SearchkitError as exc:
        fail(exc)
    if fmt == "json":
        click.echo(_json(report.to_json(), indent=2))
    elif report.error is not None:
        _err(f"{t('cli.error')}: {report.error}")
    else:
        click.echo(render_check(report))
    sys.exit(report.exit_code)


# --- end check ---


# --- saved searches, history, related records, citations and exports ---


def remember_search(query_text: str, filters: dict[str, list[str]], kind: str | None) -> None:
    """Add a search to the history (never its results; off with SEARCHKIT_HISTORY=0)."""
    from searchkit.history import remember

    remember(query_text, filters, kind, origin="cli")


def _records(index_dir: Path, hits) -> list:
    """The stored records of ``hits``, in their order (what citations and exports need)."""
    from searchkit.query import Engine

    engine = Engine(index_dir)
    try:
        return [r for r in (engine.get(h.id) for h in hits) if r is not None]
    finally:
        engine.close()


def render_csv(records) -> str:
    import csv
    import io

    from searchkit.cite import CSV_COLUMNS, csv_row

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: _spreadsheet_safe(v) for k, v in csv_row(r).items()} for r in records)
    return out.getvalue().rstrip("\n")


def _spreadsheet_safe(value):
    """A cell a spreadsheet will not run as a formula: text starting with = + - @ gets a leading '."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def render_csl_json(records) -> str:
    from searchkit.cite import csl_items

    return _json(csl_items(records), indent=2)


def render_bibtex(records) -> str:
    from searchkit.cite import bibtex

    return bibtex(records)


def render_records(fmt: str, index_dir: Path, hits) -> str:
    """``hits`` as CSV rows, CSL-JSON items or BibTeX entries."""
    render = {"csv": render_csv, "csl-json": render_csl_json, "bibtex": render_bibtex}[fmt]
    return render(_records(index_dir, hits))


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
        filters = _parse_facets(facet_pairs, type=types, tag=tags, publisher=publishers, licence=licences,
                                format=formats, zone=zones, granularity=granularities, frequency=frequencies,
                                since=since, until=until, covers=covers)
        search = SavedSearch(check_name(name), " ".join(text).strip(), filters, kind, sort)
        if not (search.query or filters or kind):
            raise click.UsageError(t("query.empty"))
        replaced = add(search)
    except click.UsageError as exc:
        _err(f"{t('cli.error')}: {exc.message}")
        sys.exit(EXIT_ERROR)
    except SearchkitError as exc:
        fail(exc)
    click.echo(t("saved.replaced" if replaced else "saved.added", name=safe(search.name), search=safe(search.describe())))


@saved_cmd.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def saved_list_cmd(fmt):
    """List the saved searches and when each last ran."""
    from searchkit.saved import last_runs, load, saved_path

    try:
        searches = load()
    except SearchkitError as exc:
        fail(exc)
    runs = last_runs()
    if fmt == "json":
        click.echo(_json([{"name": s.name, "query": s.query, "filters": s.filters, "kind": s.kind, "sort": s.sort,
                           "last_run": runs.get(s.name)} for s in searches.values()], indent=2))
        return
    if not searches:
        _err(t("saved.none", path=escaped(saved_path())))
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
    from searchkit.model import Results
    from searchkit.query import Engine
    from searchkit.saved import get, run

    if limit < 0 or limit > MAX_LIMIT:
        _err(f"{t('cli.error')}: {t('query.bad_limit', max=MAX_LIMIT)}")
        sys.exit(EXIT_ERROR)
    cfg = settings(index_dir)
    try:
        search = get(name)
        engine = Engine(cfg.index)
        try:
            done = run(engine, search)
        finally:
            engine.close()
    except SearchkitError as exc:
        fail(exc)
    except Exception as exc:  # noqa: BLE001 - the edge: one line, exit 2
        fail_unexpected(exc)
    hits = done.new if only_new else done.results.hits
    shown = hits[:limit]
    if fmt in RECORD_FORMATS:
        if shown:
            click.echo(render_records(fmt, cfg.index, shown))
    elif fmt == "jsonl":
        for hit in shown:
            click.echo(_json(hit.to_json()))
    elif fmt == "paths":
        for path in dict.fromkeys(h.path for h in shown):
            click.echo(escaped(path))
    elif not hits and quiet:
        pass
    elif only_new and not hits:
        _err(t("saved.nothing_new", name=safe(name), since=done.since or "-"))
    else:
        if only_new:
            key = "saved.new_since" if done.since else "saved.new_first"
            click.echo(t(key, n=len(hits), name=safe(name), since=done.since))
        elif not hits:
            _err(t("query.no_results", query=safe(search.query)))
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

    try:
        remove(name)
    except SearchkitError as exc:
        fail(exc)
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
        _err(t("history.off"))
        return
    past = entries()
    numbered = list(enumerate(past, 1))[-count:]
    if fmt == "json":
        click.echo(_json([dict(e.__dict__, n=n) for n, e in numbered], indent=2))
        return
    if not past:
        _err(t("history.empty"))
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
    try:
        engine = Engine(cfg.index)
        try:
            record_id = resolve(engine, record)
            if record_id is None:
                _err(f"{t('cli.error')}: {t('related.unknown', record=escaped(record))}")
                sys.exit(EXIT_ERROR)
            found = related(engine, record_id, limit)
        finally:
            engine.close()
    except SearchkitError as exc:
        fail(exc)
    except Exception as exc:  # noqa: BLE001 - the edge: one line, exit 2
        fail_unexpected(exc)
    if fmt == "json":
        click.echo(_json([r.__dict__ for r in found], indent=2))
    elif found:
        click.echo(render_related(found))
    else:
        _err(t("related.none", record=escaped(record)))
    sys.exit(EXIT_FOUND if found else EXIT_NOTHING)


# --- end saved searches, history, related records, citations and exports ---


@main.command("tui")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@index_option
def tui_cmd(paths, index_dir):
    """Open the terminal app (builds or updates the index first)."""
    try:
        from searchkit.tui.app import run
    except ImportError as exc:  # the app is not installed in this environment
        _err(f"{t('cli.error')}: {exc}")
        sys.exit(EXIT_ERROR)
    cfg = settings(index_dir, paths)
    try:
        sys.exit(run(cfg.index, cfg.sources))
    except SearchkitError as exc:
        fail(exc)

# --- harvest and config ---


def _harvest_progress(name: str, fmt: str):
    """After each page: a bar on a terminal, else one line on stderr (nothing for --format json)."""
    if fmt == "json":
        return None, None
    from searchkit.display import safe

    if not sys.stderr.isatty():
        def line(done) -> None:
            total = t("harvest.page_total", total=done.total) if done.total is not None else ""
            _err(t("harvest.page", name=safe(name), page=done.pages, datasets=done.datasets, total=total))

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
    from searchkit.display import escaped, safe
    from searchkit.sources.harvest import harvest

    cfg = settings()
    try:
        targets = _harvest_targets(url, kind, into, cfg)
        since_value = _since(since)
    except click.UsageError as exc:
        _err(f"{t('cli.error')}: {exc.message}")
        sys.exit(EXIT_ERROR)
    if not targets:
        from searchkit.config import config_file

        _err(f"{t('cli.error')}: {t('harvest.no_portals', path=escaped(config_file()))}")
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
            _err(t("harvest.interrupted"))
            sys.exit(130)
        except SearchkitError as exc:
            fail(exc)
        except OSError as exc:
            _err(f"{t('cli.error')}: {t('harvest.write_error', path=escaped(folder), reason=exc.strerror or exc)}")
            sys.exit(EXIT_ERROR)
        except Exception as exc:  # noqa: BLE001 - the edge: one line, exit 2
            fail_unexpected(exc)
        finally:
            if bar is not None:
                bar.stop()
        reports.append(report)
        shown = safe(name)
        if report.outcome == "unreachable":
            _err(f"{t('cli.error')}: " + t("harvest.unreachable", name=shown, reason=report.reason,
                                            pages=report.pages))
            status = EXIT_ERROR
        elif report.outcome == "stopped":
            reason = t(f"harvest.stop.{report.stop.code}", **{k: escaped(v) if k in ("url", "target") else v
                                                              for k, v in report.stop.values.items()})
            _err(f"{t('cli.error')}: " + t("harvest.stopped", name=shown, reason=reason, datasets=report.fetched,
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
    from searchkit.display import escaped, safe
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


# --- end harvest and config ---


if __name__ == "__main__":  # pragma: no cover
    main()
