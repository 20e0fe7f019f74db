"""Screens over the main one: the help, the index progress view, a list to pick from, a name to give."""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, ProgressBar, Static
from textual.widgets.option_list import Option

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


class ChoiceScreen(ModalScreen[str | None]):
    """A list to pick one entry from (saved searches, related records); enter picks, escape closes."""

    BINDINGS = [("escape", "dismiss", "")]

    def __init__(self, title: str, choices: list[tuple[str, Content]], empty: str) -> None:
        super().__init__()
        self.title_text = title
        self.choices = choices
        self.empty = empty

    def compose(self) -> ComposeResult:
        with Vertical(id="choice-box") as box:
            box.border_title = self.title_text
            box.border_subtitle = t("tui.choice.close")
            if self.choices:
                yield OptionList(*[Option(prompt, id=key) for key, prompt in self.choices], id="choices")
            else:
                yield Static(self.empty, id="choices-empty")

    @on(OptionList.OptionSelected, "#choices")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)


class NameScreen(ModalScreen[str | None]):
    """Asks for a name (to save the current search); enter saves, escape cancels."""

    BINDINGS = [("escape", "dismiss", "")]

    def __init__(self, title: str, value: str) -> None:
        super().__init__()
        self.title_text = title
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical(id="name-box") as box:
            box.border_title = self.title_text
            box.border_subtitle = t("tui.name.hint")
            yield Input(value=self.value, id="name")

    @on(Input.Submitted, "#name")
    def _named(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip():
            self.dismiss(event.value.strip())

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)
