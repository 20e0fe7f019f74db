"""The ``searchkit`` group and what every command shares: the exit statuses, one line on stderr
for an error (and the last resort for an unexpected one), JSON output, ``--index`` and the facet filters."""

from __future__ import annotations

import gc

# A search is one short process whose garbage reference counting frees: looking for cycles while
# its modules load cost it 13 ms of 0.15 s.  The collector is off from here to the end of a
# ``query`` command; every other command turns it back on as it starts (``DefaultGroup``):
# indexing, watching and the app run long and make many objects.
gc.disable()

import json  # noqa: E402 - after the collector is set
import os
import re
import sys
from pathlib import Path
from typing import NoReturn

import click

from searchkit import __version__
from searchkit.config import settings, state_dir
from searchkit.display import escaped, problem_line, safe
from searchkit.errors import SearchkitError
from searchkit.messages import t
from searchkit.model import FACET_ALIASES, FACETS, Problem


EXIT_FOUND, EXIT_NOTHING, EXIT_ERROR = 0, 1, 2


def echo_err(message: str) -> None:
    click.echo(safe(message, newlines=True), err=True)


def warn(problem: Problem) -> None:
    echo_err(f"{t('cli.warning')}: {problem_line(problem)}")


def fail(exc: SearchkitError) -> NoReturn:
    echo_err(f"{t('cli.error')}: {exc.message}")
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


def fail_unexpected(exc: BaseException) -> NoReturn:
    """A bug or an error nobody foresaw: one line on stderr and exit 2, never a traceback;
    the traceback goes to the error log that the line names."""
    first = (str(exc).splitlines() or [""])[0][:200]
    text = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    log = _log_details(exc)
    line = t("cli.unexpected", error=text) + (" " + t("cli.unexpected_log", path=escaped(log)) if log else "")
    echo_err(f"{t('cli.error')}: {line}")
    sys.exit(EXIT_ERROR)


# the module that registers each command: imported when the command is asked for, so that
# a search does not import the harvest, library and index commands
COMMAND_MODULES = {"query": "query_cmd", "index": "index_cmds", "watch": "index_cmds", "check": "index_cmds",
                   "tui": "index_cmds", "saved": "library", "history": "library", "related": "library",
                   "harvest": "harvest_cmds", "config": "harvest_cmds"}


class DefaultGroup(click.Group):
    """``searchkit`` alone opens the terminal app; every command has the same last resort;
    a command's module is imported when the command is used (``COMMAND_MODULES``)."""

    def get_command(self, ctx, cmd_name):
        if cmd_name not in self.commands and cmd_name in COMMAND_MODULES:
            import importlib

            importlib.import_module(f"searchkit.cli.{COMMAND_MODULES[cmd_name]}")
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx):
        for name in COMMAND_MODULES:
            self.get_command(ctx, name)
        return super().list_commands(ctx)

    def parse_args(self, ctx, args):
        if ctx.resilient_parsing:  # shell completion: complete the command names
            return super().parse_args(ctx, args)
        if not args or (args[0].startswith("-") and args[0] not in ("--help", "-h", "--version")):
            args = ["tui", *args]
        if args[0] != "query":
            gc.enable()
        return super().parse_args(ctx, args)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except SearchkitError as exc:
            fail(exc)
        except KeyboardInterrupt:
            echo_err(t("cli.interrupted_plain"))
            sys.exit(130)
        except Exception as exc:  # noqa: BLE001 - the edge: one line, exit 2, details in the log
            fail_unexpected(exc)
        finally:
            gc.enable()


@click.group(cls=DefaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="searchkit")
def main() -> None:
    """Recherche plein texte dans des notes Markdown et des catalogues de données ouvertes.

    Full-text search for French Markdown notes and open-data catalogues.
    Without a command, opens the terminal app.
    """


ONE_SHOT = ("query", "index")  # commands whose process ends without tearing Python down (``run``)


def run() -> None:
    """The ``searchkit`` command (``main`` as a program).  After a search or an index update
    the process ends without tearing the interpreter down, once what it wrote is flushed:
    freeing every module and cached block took 20 ms of a 0.15 s search and 27 ms of an
    update that found nothing to do, and neither leaves anything to finish (the index is
    committed and its lock released before the command returns; a worker process still
    running, which the parallel build joins first, makes Python end as usual).  Every
    other command ends as Python ends."""
    try:
        main()
    except SystemExit as exc:
        if sys.argv[1:2] not in ([name] for name in ONE_SHOT) or not isinstance(exc.code, (int, type(None))):
            raise
        if sys.getprofile() is not None or sys.gettrace() is not None:
            raise  # a profiler or a coverage tool is watching: it writes its report as Python ends
        processes = sys.modules.get("multiprocessing")
        if processes is not None and processes.active_children():
            raise
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):  # a closed pipe: the reader has what it wanted
                pass
        os._exit(exc.code or 0)


index_option = click.option("--index", "index_dir", type=click.Path(file_okay=False, path_type=Path),
                             help="Index folder (default ./index, or $SEARCHKIT_INDEX).")


def parse_filters(pairs, **named) -> dict[str, list[str]]:
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


_SURROGATE = re.compile("[\ud800-\udfff]")


def json_text(payload, indent: int | None = None) -> str:
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
                     help="Only datasets covering this place (as the catalogue names it: France, Isère...)."),
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
