"""The facet column: one checkable list per facet, with live counts.

Several values checked in one facet combine with OR, facets combine with AND;
the counts come from the engine, which already counts disjunctively (a facet's
counts ignore its own selection).  One filter box above the lists finds values
ignoring accents and case; long lists show their top values and a toggle.

The panel owns the selection and says so with ``FacetPanel.Changed``; the
app sends counts back with ``show``.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from searchkit.messages import t
from searchkit.model import DATE_FILTERS, FacetValue
from searchkit.textnorm import facet_key
from searchkit.tui.render import matches

TOP_VALUES = 6  # shown before "more"
MAX_VALUES = 200  # shown at most, even expanded (the filter box finds the others)
LIST_WIDTH = 23  # characters of a value line before the list is laid out (see app.tcss)
CHECKED, UNCHECKED = "[x] ", "[ ] "  # plain characters: readable without colour (NO_COLOR)


def _prompt(label: str, count: int, checked: bool, width: int) -> Content:
    room = max(6, width - len(CHECKED) - len(str(count)) - 1)
    if len(label) > room:  # one line per value: the count stays visible
        label = label[:room - 1].rstrip() + "…"
    if checked:
        return Content.assemble((CHECKED, "bold"), (label, "bold"), " ", (str(count), "dim"))
    return Content.assemble(UNCHECKED, label, " ", (str(count), "dim"))


class FirstOnFocus(OptionList):
    """An option list that highlights its first option when it gets the focus
    (also when enter comes right after tab)."""

    def on_focus(self) -> None:
        if self.highlighted is None and self.option_count:
            self.highlighted = 0

    def action_select(self) -> None:
        if self.highlighted is None and self.option_count:  # enter right after tab
            self.highlighted = 0
        super().action_select()


class FacetList(FirstOnFocus):
    """Checkable values: enter, space or a click checks or unchecks the highlighted one."""

    BINDINGS = [Binding("space", "select", show=False)]

    class Toggled(Message):
        def __init__(self, facet_list: "FacetList", value: str) -> None:
            super().__init__()
            self.facet_list, self.value = facet_list, value

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.values: list[str] = []

    def fill(self, items: list[tuple[FacetValue, bool]]) -> None:
        highlighted = self.highlighted
        old = self.values[highlighted] if highlighted is not None and highlighted < len(self.values) else None
        self.values = [v.value for v, _ in items]
        with self.prevent(OptionList.OptionHighlighted):
            self.clear_options()
            width = self.scrollable_content_region.width or LIST_WIDTH
            self.add_options([Option(_prompt(v.label, v.count, on, width), id=str(n))
                              for n, (v, on) in enumerate(items)])
            if old in self.values:
                self.highlighted = self.values.index(old)
            elif self.values and self.has_focus:
                self.highlighted = 0

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.post_message(self.Toggled(self, self.values[int(event.option.id)]))


class MoreToggle(Static, can_focus=True):
    """"+ 12 more" / "fewer": enter, space or a click."""

    BINDINGS = [Binding("enter,space", "press", show=False)]

    class Pressed(Message):
        def __init__(self, toggle: "MoreToggle") -> None:
            super().__init__()
            self.toggle = toggle

    def action_press(self) -> None:
        self.post_message(self.Pressed(self))

    def on_click(self) -> None:
        self.action_press()


class FacetBox(Vertical):
    """Title, checkable values, "more" toggle of one facet."""

    def __init__(self, name: str) -> None:
        super().__init__(id=f"facet-{name}", classes="facet-box")
        self.facet = name
        self.expanded = False

    def compose(self) -> ComposeResult:
        yield Label(t(f"facet.{self.facet}"), classes="facet-title")
        yield FacetList(classes="facet-values")
        yield Static("", classes="facet-empty")
        yield MoreToggle("", classes="facet-more")

    def fill(self, values: tuple[FacetValue, ...], selected: list[str], needle: str,
             labels: dict[tuple[str, str], str] | None = None) -> None:
        """Show ``values`` (the engine's, counted for the current search) with ``selected`` checked."""
        chosen = set(selected)
        shown = [v for v in values if matches(v.label, needle)]
        limit = MAX_VALUES if (self.expanded or needle) else TOP_VALUES
        hidden = max(0, len(shown) - limit)
        shown = shown[:limit]
        # checked values stay visible, even with no hit left or below the top
        present = {v.value for v in shown}
        known = {v.value: v for v in values}
        for key in selected:
            if key not in present:
                label = (labels or {}).get((self.facet, key), key)
                shown.append(known.get(key) or FacetValue(key, label, 0))
        lst = self.query_one(FacetList)
        lst.fill([(v, v.value in chosen) for v in shown])
        lst.display = bool(shown)
        empty = self.query_one(".facet-empty", Static)
        empty.update(t("tui.facets.no_match") if needle and values else t("tui.facets.none"))
        empty.display = not shown
        more = self.query_one(MoreToggle)
        if needle:
            more.display = False
        elif self.expanded and len(values) > TOP_VALUES:
            more.update(t("tui.facets.less"))
            more.display = True
        else:
            more.update(t("tui.facets.more", n=hidden))
            more.display = hidden > 0


class FacetPanel(VerticalScroll):
    """The left column; posts ``Changed`` when a value is checked or unchecked."""

    can_focus = False  # its filter box and lists take the focus

    class Changed(Message):
        def __init__(self, filters: dict[str, list[str]]) -> None:
            super().__init__()
            self.filters = filters

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.selected: dict[str, list[str]] = {}
        self._facets: dict[str, tuple[FacetValue, ...]] = {}
        self._names: tuple[str, ...] = ()
        # (facet, key) -> label of every value seen, for checked values that no hit has any more
        self.labels: dict[tuple[str, str], str] = {}

    def compose(self) -> ComposeResult:
        yield Input(placeholder=t("tui.facets.filter"), id="facet-filter", compact=True)

    @property
    def needle(self) -> str:
        return self.query_one("#facet-filter", Input).value

    def show(self, facets: dict[str, tuple[FacetValue, ...]], names: tuple[str, ...]) -> None:
        """New counts (after a search); ``names`` are the facets to show, in order."""
        self._facets = dict(facets)
        self.labels.update({(name, v.value): v.label for name, values in facets.items() for v in values})
        if names != self._names:
            self._names = names
            for box in self.query(FacetBox):
                if box.facet not in names:
                    box.remove()
            existing = {box.facet for box in self.query(FacetBox)}
            self.mount_all([FacetBox(n) for n in names if n not in existing])
            self.call_after_refresh(self._fill_all)
        else:
            self._fill_all()

    def _fill_all(self) -> None:
        needle = self.needle
        for box in self.query(FacetBox):
            box.fill(self._facets.get(box.facet, ()), self.selected.get(box.facet, []), needle, self.labels)

    def clear(self) -> bool:
        """Uncheck everything; False when nothing was checked."""
        had = any(self.selected.values())
        self.selected = {}
        self._fill_all()
        return had

    @on(Input.Changed, "#facet-filter")
    def _filter(self, event: Input.Changed) -> None:
        event.stop()
        self._fill_all()

    @on(Input.Submitted, "#facet-filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        event.stop()
        lists = [lst for lst in self.query(FacetList) if lst.display]
        if lists:
            lists[0].focus()
            lists[0].highlighted = 0

    @on(MoreToggle.Pressed)
    def _more(self, event: MoreToggle.Pressed) -> None:
        event.stop()
        box = event.toggle.parent
        if isinstance(box, FacetBox):
            box.expanded = not box.expanded
            box.fill(self._facets.get(box.facet, ()), self.selected.get(box.facet, []), self.needle, self.labels)

    @on(FacetList.Toggled)
    def _toggled(self, event: FacetList.Toggled) -> None:
        event.stop()
        box = event.facet_list.parent
        if isinstance(box, FacetBox):
            self.toggle(box.facet, event.value)

    def select(self, filters: dict[str, list[str]]) -> dict[str, list[str]]:
        """Check exactly these values (any spelling; a saved search's filters); the keys checked.
        A date filter (``model.DATE_FILTERS``) has no list: it is kept as it is."""
        self.selected = {name: list(dict.fromkeys(v if name in DATE_FILTERS else facet_key(v) for v in values))
                         for name, values in filters.items() if values}
        self._fill_all()
        return {k: list(v) for k, v in self.selected.items()}

    def toggle(self, facet: str, value: str) -> None:
        """Check or uncheck a value as a click would (for the app and the tests)."""
        current = self.selected.setdefault(facet, [])
        if value in current:
            current.remove(value)
        else:
            current.append(value)
        for box in self.query(FacetBox):
            if box.facet == facet:
                box.fill(self._facets.get(facet, ()), current, self.needle, self.labels)
        self.post_message(self.Changed({k: list(v) for k, v in self.selected.items() if v}))
