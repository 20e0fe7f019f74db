"""The app's keys, its command palette entries and the editor it opens.

Descriptions are message keys (``searchkit.messages``): the app translates
them when it starts, so the footer speaks the user's language.
"""

from __future__ import annotations

import os
import shlex
import shutil

# (keys, action, description key, shown in the footer); the help screen lists them all
KEYS: tuple[tuple[str, str, str, bool], ...] = (
    # f1 first: the footer shows the key that also works from the search field (? opens the help there
    # only when the field is empty; elsewhere it is typed)
    ("f1,question_mark", "help", "tui.key.help", True),
    ("slash,ctrl+f", "focus_search", "tui.key.search", True),
    ("s", "cycle_sort", "tui.key.sort", True),
    ("x", "clear_filters", "tui.key.clear", True),
    ("e", "edit", "tui.key.edit", True),
    ("o", "open_link", "tui.key.link", True),
    ("y", "copy_path", "tui.key.copy", True),
    ("b,backspace", "back", "tui.key.back", True),
    ("r", "reindex", "tui.key.reindex", True),
    ("q", "quit", "tui.key.quit", True),
    ("j", "down", "tui.key.move", False),
    ("k", "up", "tui.key.move", False),
    ("down", "down", "tui.key.move", False),
    ("up", "up", "tui.key.move", False),
    ("c", "cite", "tui.key.cite", False),
    ("m", "related", "tui.key.related", False),
    ("ctrl+s", "save_search", "tui.key.save", False),
    ("ctrl+o", "saved_searches", "tui.key.saved", False),
    ("escape", "close_preview", "tui.key.close", False),
)
# what the help screen shows for keys handled by the widgets themselves
HELP_KEYS = (
    ("/  ctrl+f", "tui.key.search"), ("↑ ↓  j k", "tui.key.move"), ("enter", "tui.key.open"),
    ("escape", "tui.key.close"), ("tab  shift+tab", "tui.key.focus"), ("space  enter", "tui.key.check"),
    ("e", "tui.key.edit"), ("o", "tui.key.link"), ("y", "tui.key.copy"), ("s", "tui.key.sort"),
    ("x", "tui.key.clear"), ("b  backspace", "tui.key.back"), ("r", "tui.key.reindex"),
    ("c", "tui.key.cite"), ("m", "tui.key.related"), ("ctrl+s", "tui.key.save"), ("ctrl+o", "tui.key.saved"),
    ("↑ ↓", "tui.key.history"), ("enter", "tui.key.suggest"),
    ("f1  ?", "tui.key.help"), ("ctrl+p", "tui.key.palette"), ("q", "tui.key.quit"),
)
# actions allowed while a modal screen (help, progress, palette) is on top
MODAL_ACTIONS = {"quit"}
# the command palette: (title key, help key, action)
PALETTE = (
    ("tui.key.search", "tui.cmd.search", "focus_search"),
    ("tui.key.edit", "tui.cmd.edit", "edit"),
    ("tui.key.link", "tui.cmd.link", "open_link"),
    ("tui.key.copy", "tui.cmd.copy", "copy_path"),
    ("tui.key.sort", "tui.cmd.sort", "cycle_sort"),
    ("tui.key.clear", "tui.cmd.clear", "clear_filters"),
    ("tui.key.reindex", "tui.cmd.reindex", "reindex"),
    ("tui.key.back", "tui.cmd.back", "back"),
    ("tui.key.cite", "tui.cmd.cite", "cite"),
    ("tui.key.related", "tui.cmd.related", "related"),
    ("tui.key.save", "tui.cmd.save", "save_search"),
    ("tui.key.saved", "tui.cmd.saved", "saved_searches"),
    ("tui.key.help", "tui.cmd.help", "help"),
)
KEY_DISPLAY = {"question_mark": "?", "slash": "/"}


def editor_command() -> list[str] | None:
    """``$VISUAL`` or ``$EDITOR`` split like a shell would (no shell runs), else a common editor."""
    for var in ("VISUAL", "EDITOR"):
        value = os.environ.get(var, "").strip()
        if value:
            try:
                argv = shlex.split(value)
            except ValueError:
                argv = value.split()
            if argv:
                return argv
    for name in ("sensible-editor", "nano", "vi"):
        found = shutil.which(name)
        if found:
            return [found]
    return None
