"""The command line: ``searchkit index | query | check | watch | tui | harvest | config``
(and ``saved``, ``history``, ``related``).

Renders what the core returns and turns domain errors into one line on stderr.
Exit status: 0 something matched (or the work is done), 1 nothing matched,
2 usage error, missing or unreadable index, or any other error.
Textual is imported only by the command that opens the app.

One module per role: ``app`` (the group and what commands share), ``index_cmds``,
``query_cmd``, ``library`` (saved searches, history, related records) and
``harvest_cmds``.  Each command module registers its commands on ``main`` when imported, which
``main`` does when the command is asked for (``app.COMMAND_MODULES``).
"""

from searchkit.cli.app import EXIT_ERROR, EXIT_FOUND, EXIT_NOTHING, fail, fail_unexpected, main, run, warn

__all__ = ["EXIT_ERROR", "EXIT_FOUND", "EXIT_NOTHING", "fail", "fail_unexpected", "main", "render_check",
           "render_records", "render_text", "report_line", "run", "run_index", "warn"]

_LAZY = {"render_check": "index_cmds", "report_line": "index_cmds", "run_index": "index_cmds",
         "render_records": "query_cmd", "render_text": "query_cmd"}


def __getattr__(name: str):
    """The renderers, imported with their command's module when first asked for."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"searchkit.cli.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
