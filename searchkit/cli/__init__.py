"""The command line: ``searchkit index | query | check | watch | tui | harvest | config``
(and ``saved``, ``history``, ``related``).

Renders what the core returns and turns domain errors into one line on stderr.
Exit status: 0 something matched (or the work is done), 1 nothing matched,
2 usage error, missing or unreadable index, or any other error.
Textual is imported only by the command that opens the app.

One module per role: ``app`` (the group and what commands share), ``index_cmds``,
``query_cmd``, ``library`` (saved searches, history, related records) and
``harvest_cmds``.  Each command module registers its commands on ``main`` when imported.
"""

from searchkit.cli import harvest_cmds, index_cmds, library, query_cmd  # noqa: F401 - they register their commands
from searchkit.cli.app import EXIT_ERROR, EXIT_FOUND, EXIT_NOTHING, fail, fail_unexpected, main, warn
from searchkit.cli.index_cmds import render_check, report_line, run_index
from searchkit.cli.query_cmd import render_records, render_text

__all__ = ["EXIT_ERROR", "EXIT_FOUND", "EXIT_NOTHING", "fail", "fail_unexpected", "main", "render_check",
           "render_records", "render_text", "report_line", "run_index", "warn"]
