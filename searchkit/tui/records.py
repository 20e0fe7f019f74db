"""What the keys do with a record: cite it, find related records, copy its path, open its link, edit it.

``RecordActions`` is a mixin of ``SearchApp``: each action works on the record
shown in the preview, else on the highlighted hit.  It uses the app's state,
set up in ``SearchApp.__init__``; its handlers are named ``on_<message>``, not
decorated with ``@on`` (``searchkit.tui.app`` says why).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from textual import work
from textual.app import SuspendNotSupported
from textual.content import Content

from searchkit.cite import bibtex_entry, citekey
from searchkit.display import escaped, safe
from searchkit.errors import SearchkitError
from searchkit.messages import t
from searchkit.model import Hit, Record
from searchkit.tui.events import Failure, RelatedFound
from searchkit.tui.keys import editor_command
from searchkit.tui.preview import Preview
from searchkit.tui.results import ResultList
from searchkit.tui.screens import ChoiceScreen
from searchkit.urls import openable


class RecordActions:
    """Citing, related records, copying a path, opening a link, editing a file, for ``SearchApp``."""

    def _target(self) -> Record | Hit | None:
        """The record shown, else the highlighted hit."""
        if self.view is not None:
            return self.view.record
        return self._q(ResultList).current

    def action_cite(self) -> None:
        target = self._target()
        record = self.backend.record(target.id) if target is not None else None
        if record is None:
            self.notify(t("tui.notify.no_record"), severity="warning")
            return
        self.copy_to_clipboard(bibtex_entry(record))
        self.notify(t("tui.notify.cited", key=citekey(record)), timeout=3)

    # ------------------------------------------------------------ related records
    def action_related(self) -> None:
        target = self._target()
        if target is None:
            self.notify(t("tui.notify.no_record"), severity="warning")
            return
        self._find_related(target.id)

    @work(thread=True, group="related", exclusive=True, exit_on_error=False)
    def _find_related(self, record_id: str) -> None:
        try:
            record = self.backend.record(record_id)
            found = self.backend.related(record_id) if record is not None else []
        except SearchkitError as exc:
            self.post_message(Failure(exc.message))
            return
        self.post_message(RelatedFound(record.title if record else record_id, found))

    def on_related_found(self, message: RelatedFound) -> None:
        if not self._alive():
            return
        choices = []
        for r in message.found:
            reasons = [t(f"related.linked.{r.linked}")] if r.linked else []
            if r.shared_tags:
                reasons.append(t("related.tags", tags=", ".join(r.shared_tags)))
            if r.words:
                reasons.append(t("related.words", words=", ".join(r.words)))
            choices.append((r.id, Content.assemble((r.title or r.id, "bold"), "\n", (" · ".join(reasons), "dim"))))
        self.push_screen(ChoiceScreen(t("tui.related.title", title=message.title), choices, t("tui.related.empty")),
                         self._related_chosen)

    def _related_chosen(self, record_id: str | None) -> None:
        if record_id is None:
            return
        if self.view is not None and self.view.record.id != record_id:
            self.history.append((self.view.record.id, self.view.record.title or self.view.record.id))
        self.main_screen.add_class("-preview-open")
        self.load_view(record_id)
        self._q(Preview).focus()

    # ------------------------------------------------------------ its file and its link
    def action_copy_path(self) -> None:
        target = self._target()
        if target is None:
            self.notify(t("tui.notify.no_record"), severity="warning")
            return
        self.copy_to_clipboard(target.path)
        self.notify(t("tui.notify.copied", path=escaped(target.path)), timeout=3)

    def action_open_link(self) -> None:
        target = self._target()
        if target is None:
            self.notify(t("tui.notify.no_record"), severity="warning")
        elif not target.url:
            self.notify(t("tui.notify.no_link"), severity="warning")
        else:
            self._browse(target.url)

    def _browse(self, url: str) -> None:
        target = openable(url)
        if target is None:  # javascript:, file:, a value a browser would take as an option...
            self.notify(t("tui.notify.unsafe_link", url=safe(url)), severity="warning", timeout=6)
            return
        self.notify(t("tui.notify.opening", url=target), timeout=3)
        if self._open_url is not None:
            self._open_url(target)
        else:
            self.open_url(target)  # the terminal driver calls webbrowser.open

    def action_edit(self) -> None:
        target = self._target()
        if target is None:
            self.notify(t("tui.notify.no_record"), severity="warning")
            return
        path = target.path
        if not Path(path).is_file():
            self.notify(t("tui.notify.no_file", path=escaped(path)), severity="error")
            return
        argv = editor_command()
        if argv is None:
            self.notify(t("tui.notify.no_editor"), severity="error")
            return
        try:
            if self.is_headless:  # tests: nothing to hand the terminal over to
                code = subprocess.run([*argv, path], check=False).returncode
            else:
                with self.suspend():
                    code = subprocess.run([*argv, path], check=False).returncode
        except (OSError, SuspendNotSupported) as exc:
            self.notify(t("tui.notify.editor_failed", editor=" ".join(argv), reason=exc), severity="error")
            return
        if code:
            self.notify(t("tui.notify.editor_status", code=code), severity="warning")
        self._update_index("edit")
