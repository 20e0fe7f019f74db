"""Screens over the main one: the help and the index progress view."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label, ProgressBar, Static

from searchkit.display import escaped
from searchkit.messages import t
from searchkit.tui.render import display_path


class HelpScreen(ModalScreen[None]):
    """Keys and query syntax; escape, ? or q closes it."""

    BINDINGS = [("escape,question_mark,q,f1", "dismiss", "")]

    def __init__(self, keys: list[tuple[str, str]]) -> None:
        super().__init__()
        self.keys = keys

    def compose(self) -> ComposeResult:
        width = max(len(k) for k, _ in self.keys) + 2
        lines = [Content.styled(t("tui.help.keys"), "bold")]
        lines += [Content.assemble((k.ljust(width), "bold"), d) for k, d in self.keys]
        lines += [Content(""), Content.styled(t("tui.help.query"), "bold"), Content(t("tui.help.query_text")),
                  Content(""), Content(t("tui.help.facets"))]
        with VerticalScroll(id="help-box") as box:
            box.border_title = t("tui.help.title")
            box.border_subtitle = t("tui.help.close")
            yield Static(Content("\n").join(lines))

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)


class IndexingScreen(ModalScreen[None]):
    """A progress bar while the index is built or updated; the app closes it."""

    def __init__(self, sources: tuple[Path, ...]) -> None:
        super().__init__()
        self.sources = sources

    def compose(self) -> ComposeResult:
        with Vertical(id="indexing-box") as box:
            box.border_title = t("tui.indexing.title")
            yield Label(t("tui.indexing.scanning", paths=", ".join(display_path(s) for s in self.sources)), id="indexing-label")
            yield ProgressBar(total=None, show_eta=False, id="indexing-bar")

    def progress(self, done: int, total: int, path: str) -> None:
        self.query_one(ProgressBar).update(total=total, progress=done)
        self.query_one("#indexing-label", Label).update(
            Content(t("tui.indexing.file", done=done, total=total, name=escaped(Path(path).name))))
