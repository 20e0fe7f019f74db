"""The result list, the status line and the empty state.

``ResultList`` posts ``Picked`` when the highlighted hit changes (the preview
follows it) and ``Opened`` on enter or a click (the app opens the preview).
"""

from __future__ import annotations

from textual import on
from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from searchkit.display import safe
from searchkit.messages import t
from searchkit.model import Hit, Results
from searchkit.tui.render import highlight, kind_badge

MAX_TAGS = 5


def hit_prompt(hit: Hit) -> Content:
    """Title, badge, tags on the first line; the snippet with its matches below."""
    badge = kind_badge(hit.kind, hit.types)
    head = Content.assemble((hit.title or hit.id, "bold"), "  ", (f"[{badge}]", "italic"))
    if hit.tags:
        tags = ", ".join(hit.tags[:MAX_TAGS]) + ("…" if len(hit.tags) > MAX_TAGS else "")
        head = head.append(Content.styled(f"  # {tags}", "dim"))
    lines = [head]
    text = hit.snippet or hit.summary
    if text:
        marks = hit.marks if hit.snippet else ()
        lines.append(highlight(text, marks))
    return Content("\n").join(lines)


class ResultList(OptionList):
    """The hits of the last search, best first."""

    class Picked(Message):
        """The highlighted hit changed (None: no hit)."""

        def __init__(self, hit: Hit | None) -> None:
            super().__init__()
            self.hit = hit

    class Opened(Message):
        """Enter or click on a hit: open its preview."""

        def __init__(self, hit: Hit) -> None:
            super().__init__()
            self.hit = hit

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.hits: tuple[Hit, ...] = ()

    def show(self, hits: tuple[Hit, ...], keep: bool = False, announce: bool = True) -> None:
        """Replace the hits, highlighting the first, or with ``keep`` the same record when it is
        still there; ``announce=False``: the rest of a list whose first hits are shown, no new pick."""
        current = self.current
        self.hits = tuple(hits)
        options: list[Option | None] = []
        for n, hit in enumerate(self.hits):
            if n:
                options.append(None)
            options.append(Option(hit_prompt(hit), id=str(n)))
        with self.prevent(OptionList.OptionHighlighted):
            self.clear_options()
            self.add_options(options)
        index = 0
        if keep and current is not None:
            index = next((n for n, h in enumerate(self.hits) if h.id == current.id), 0)
        if self.hits:
            with self.prevent(OptionList.OptionHighlighted):
                self.highlighted = self.get_option_index(str(index))
            if not index:
                self.scroll_home(animate=False)
        if announce:
            self.post_message(self.Picked(self.current))

    @property
    def current(self) -> Hit | None:
        if self.highlighted is None or not self.hits:
            return None
        try:
            option = self.get_option_at_index(self.highlighted)
        except Exception:  # list being rebuilt
            return None
        return self.hits[int(option.id)] if option.id is not None else None

    @on(OptionList.OptionHighlighted)
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self.post_message(self.Picked(self.current))

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        hit = self.current
        if hit is not None:
            self.post_message(self.Opened(hit))


def status_text(results: Results, sort: str, filters: int, show_timing: bool) -> str:
    shown = len(results.hits)
    parts = [t("tui.status.count", total=results.total) if shown >= results.total
             else t("tui.status.shown", shown=shown, total=results.total)]
    parts.append(t("tui.status.sort", sort=t(f"tui.sort.{sort}")))
    if filters:
        parts.append(t("tui.status.filters", n=filters))
    if show_timing:
        parts.append(t("tui.status.ms", ms=results.took_ms))
    line = " · ".join(parts)
    if results.notice:
        line += " — " + results.notice
    return line


def empty_text(results: Results, filters: dict[str, list[str]], labels: dict[tuple[str, str], str],
               sources: str) -> Content:
    """What to say when nothing matched: why, what was meant, which filters hold it back."""
    lines: list[Content] = []
    if results.query.strip():
        lines.append(Content(t("query.no_results", query=results.query.strip())))
    elif not filters:
        lines.append(Content(t("tui.empty.index_empty", paths=sources)))
    else:
        lines.append(Content(t("tui.empty.nothing")))
    if results.suggestions:
        words = [w for w in results.suggestions if w.replace("-", "").replace("'", "").replace(" ", "").isalnum()]
        if words:
            links = Content(", ").join(
                Content.from_markup(f"[@click=app.suggest({w!r})]$w[/]", w=w).stylize("bold underline")
                for w in words
            )
            text = t("query.did_you_mean", words="\0")
            before, _, after = text.partition("\0")
            lines.append(Content.assemble(before, links, after, " ", (t("tui.empty.suggest_hint"), "dim")))
    if filters:
        active = "; ".join(
            t("tui.facet_values", facet=t(f"facet.{name}"), values=", ".join(safe(labels.get((name, v), v)) for v in values))
            for name, values in filters.items() if values
        )
        lines.append(Content(t("query.filters_active", filters=active)))
        lines.append(Content.styled(t("tui.empty.clear_hint"), "dim"))
    return Content("\n\n").join(lines)


class EmptyState(Static):
    """Shown instead of the list when nothing matched."""
