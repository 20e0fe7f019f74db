"""The preview of one record: metadata, the body as Markdown, links and backlinks.

``[[id]]`` links become ``[title](searchkit:id)`` before rendering, so a click
on one posts ``Preview.Follow``; so does enter on the link lists below the
body, which also make links reachable from the keyboard.  Other links post
``Preview.OpenUrl``.
"""

from __future__ import annotations

from datetime import datetime

from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Label, Markdown, OptionList, Static
from textual.widgets.option_list import Option

from searchkit.display import escaped, safe
from searchkit.messages import t
from searchkit.query.records import Linked, RecordView
from searchkit.tui.facets import FirstOnFocus
from searchkit.tui.render import display_path, kind_badge, link_target, wiki_to_markdown


def _field(key: str, value: str) -> Content:
    return Content.assemble((t("tui.field", label=t(key)), "bold"), value)


def _date(value: str, mtime: float = 0.0) -> str:
    """ISO dates shortened to the minute; the file's time when the record has none."""
    if value:
        return value[:16].replace("T", " ") if len(value) > 10 and value[10] == "T" else value
    return datetime.fromtimestamp(mtime).strftime("%Y-%m-%d %H:%M") if mtime else ""


def meta_content(view: RecordView, back_to: str | None = None) -> Content:
    r = view.record
    badge = kind_badge(r.kind, r.types)
    lines = [Content.styled(r.title or safe(r.id), "bold underline"), Content.styled(badge, "italic")]
    if r.tags:
        lines.append(_field("tui.preview.tags", ", ".join(r.tags)))
    if r.summary:
        lines.append(_field("tui.preview.summary", r.summary))
    if r.url:
        lines.append(_field("tui.preview.link", safe(r.url)))
    for key, value in (("tui.preview.publisher", r.publisher), ("tui.preview.licence", r.licence),
                       ("tui.preview.formats", ", ".join(r.formats)), ("tui.preview.spatial", r.spatial),
                       ("tui.preview.temporal", r.temporal), ("tui.preview.created", _date(r.created)),
                       ("tui.preview.modified", _date(r.modified, r.mtime))):
        if value:
            lines.append(_field(key, value))
    where = escaped(display_path(r.path)) + (f" ({r.position})" if r.position else "")
    lines.append(_field("tui.preview.path", where))
    if back_to:
        lines.append(Content.styled(t("tui.preview.history", title=back_to), "dim"))
    return Content("\n").join(lines)


class LinkList(FirstOnFocus):
    """Records linked from or to the one shown; enter follows."""

    items: tuple[Linked, ...] = ()

    def fill(self, items: tuple[Linked, ...]) -> None:
        self.clear_options()
        self.add_options([
            Option(it.title or t("tui.preview.missing", id=safe(it.id)), id=str(n), disabled=it.title is None)
            for n, it in enumerate(items)
        ])
        self.items = items
        self.display = bool(items)


class Preview(VerticalScroll):
    """The right-hand side (or the whole width once opened on a narrow screen)."""

    class Follow(Message):
        """Show the record ``record_id`` (a followed link or backlink)."""

        def __init__(self, record_id: str) -> None:
            super().__init__()
            self.record_id = record_id

    class OpenUrl(Message):
        def __init__(self, url: str) -> None:
            super().__init__()
            self.url = url

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.view: RecordView | None = None

    def compose(self) -> ComposeResult:
        yield Static(t("tui.preview.placeholder"), id="preview-meta")
        yield Markdown("", id="preview-body", open_links=False)
        yield Label(t("tui.preview.links"), classes="links-title", id="links-title")
        yield LinkList(id="preview-links")
        yield Static(t("tui.preview.no_links"), classes="links-none", id="links-none")
        yield Label(t("tui.preview.backlinks"), classes="links-title", id="backlinks-title")
        yield LinkList(id="preview-backlinks")
        yield Static(t("tui.preview.no_links"), classes="links-none", id="backlinks-none")

    def on_mount(self) -> None:
        self._show_parts(False)

    def _show_parts(self, on: bool) -> None:
        for selector in ("#preview-body", "#links-title", "#backlinks-title"):
            self.query_one(selector).display = on
        for which in ("links", "backlinks"):
            has = bool(on and self.view and getattr(self.view, which))
            self.query_one(f"#preview-{which}").display = has
            self.query_one(f"#{which}-none").display = on and not has

    def show(self, view: RecordView | None, back_to: str | None = None, gone: bool = False):
        """Show ``view`` (None: the placeholder, or "no longer indexed" when ``gone``)."""
        self.view = view
        meta = self.query_one("#preview-meta", Static)
        body = self.query_one("#preview-body", Markdown)
        if view is None:
            meta.update(t("tui.preview.gone") if gone else t("tui.preview.placeholder"))
            self._show_parts(False)
            return body.update("")
        meta.update(meta_content(view, back_to))
        titles = {link.id: link.title for link in view.links}
        self.query_one("#preview-links", LinkList).fill(view.links)
        self.query_one("#preview-backlinks", LinkList).fill(view.backlinks)
        self._show_parts(True)
        self.scroll_home(animate=False)
        return body.update(wiki_to_markdown(view.record.body, titles.get))

    @on(Markdown.LinkClicked)
    def _link(self, event: Markdown.LinkClicked) -> None:
        event.stop()
        target = link_target(event.href)
        self.post_message(self.Follow(target) if target is not None else self.OpenUrl(event.href))

    @on(OptionList.OptionSelected, "LinkList")
    def _follow(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        items: tuple[Linked, ...] = getattr(event.option_list, "items", ())
        if event.option.id is not None and int(event.option.id) < len(items):
            self.post_message(self.Follow(items[int(event.option.id)].id))
