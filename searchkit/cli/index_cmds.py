"""The commands that build and look after the index: ``index``, ``watch``, ``check``, and ``tui``
(which updates the index before it opens the app)."""

from __future__ import annotations

import gc
import sys
from pathlib import Path

import click

from searchkit.cli.app import EXIT_ERROR, echo_err, index_option, json_text, main, warn
from searchkit.config import settings
from searchkit.display import escaped, problem_line, safe
from searchkit.messages import t
from searchkit.model import IndexReport


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
    enabled = gc.isenabled()
    gc.disable()  # the index's imports (Whoosh) make 100k long-lived objects, and no garbage
    try:
        from searchkit.index import update_index
    finally:
        if enabled:
            gc.enable()

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
    except KeyboardInterrupt:
        echo_err(t("cli.interrupted"))
        sys.exit(130)
    for problem in report.problems:
        warn(problem)
    if not quiet:
        click.echo(report_line(report))


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
        echo_err(f"{t('cli.error')}: {t('watch.nothing', paths=', '.join(escaped(p) for p in cfg.sources))}")
        sys.exit(EXIT_ERROR)
    try:
        report = update_index(cfg.index, cfg.sources)
        for problem in report.problems:
            warn(problem)
        click.echo(report_line(report))
        echo_err(t("watch.started", paths=", ".join(escaped(p) for p in watched)))
        for _changed in watch_changes(watched):
            report = update_index(cfg.index, cfg.sources)
            for problem in report.problems:
                warn(problem)
            click.echo(t("watch.update", time=_time.strftime("%H:%M:%S"), summary=report_line(report)), nl=True)
    except KeyboardInterrupt:
        pass


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
    report = check_index(cfg.index, [Path(p).absolute() for p in paths], follow_links=follow_links)
    if fmt == "json":
        click.echo(json_text(report.to_json(), indent=2))
    elif report.error is not None:
        echo_err(f"{t('cli.error')}: {report.error}")
    else:
        click.echo(render_check(report))
    sys.exit(report.exit_code)


@main.command("tui")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@index_option
def tui_cmd(paths, index_dir):
    """Open the terminal app (builds or updates the index first)."""
    try:
        from searchkit.tui.app import run
    except ImportError as exc:  # the app is not installed in this environment
        echo_err(f"{t('cli.error')}: {exc}")
        sys.exit(EXIT_ERROR)
    cfg = settings(index_dir, paths)
    sys.exit(run(cfg.index, cfg.sources))
