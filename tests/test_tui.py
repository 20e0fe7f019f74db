"""The terminal app, driven with Pilot on a real index built from notes written here.

Every test starts the real app (``create_app``, as the command line does); the
app builds the index in tmp_path when it starts.  Waits are bounded polls.
"""

from __future__ import annotations

import os
import shlex
import sys
import time
from pathlib import Path

import pytest
from textual.widgets import Input, Markdown

from searchkit.tui.app import SearchApp, create_app
from searchkit.tui.facets import FacetList, FacetPanel
from searchkit.tui.preview import LinkList, Preview
from searchkit.tui.results import EmptyState, ResultList
from searchkit.tui.screens import HelpScreen, IndexingScreen

# name, id, title, types, tags, link, body
NOTES = [
    ("etalab", "1001", "Etalab", ["organisation"], ["open data", "administration"], "https://www.etalab.gouv.fr",
     "Etalab coordonne la politique d'ouverture des données publiques. "
     "Elle anime le portail [[1002]] et promeut la [[1003]]."),
    ("datagouv", "1002", "data.gouv.fr", ["portail"], ["open data", "catalogue"], "https://www.data.gouv.fr",
     "Le portail national des données ouvertes, animé par [[1001]]. Il référence la [[1004]]."),
    ("licence", "1003", "Licence Ouverte", ["licence"], ["juridique", "open data"], "",
     "La licence d'[[1001]] permet la réutilisation libre des données, même commerciale."),
    ("ban", "1004", "Base Adresse Nationale", ["jeu de données"], ["adresses", "géographie"], "",
     "Le référentiel des adresses de France, publié sur [[1002]]."),
    ("cnil", "1005", "CNIL", ["organisation"], ["vie privée", "administration"], "https://www.cnil.fr",
     "Autorité qui protège les données personnelles. Voir aussi le [[1006]]."),
    ("rgpd", "1006", "RGPD", ["loi"], ["vie privée", "juridique"], "",
     "Règlement européen sur la protection des données personnelles, appliqué en France par la [[1005]]."),
    ("meteo", "1007", "Météo-France", ["organisation"], ["météorologie"], "",
     "Service météorologique national ; ses observations sont publiées sur [[1002]]."),
    ("osm", "1008", "OpenStreetMap", ["projet"], ["cartographie", "communs", "géographie"], "",
     "Carte du monde libre et collaborative, un commun numérique."),
]
pytestmark = pytest.mark.anyio

BASE_TIME = 1_700_000_000  # fixed mtimes: "modified" sorting and the snapshots stay stable


def write_note(folder: Path, name, ident, title, types, tags, link, body, n=0) -> Path:
    lines = ["---", f"id: {ident}", f"title: {title}", f"types: [{', '.join(types)}]", f"tags: [{', '.join(tags)}]",
             f"modified: 2024-01-{n + 1:02d}"]
    if link:
        lines.append(f"link: {link}")
    path = folder / f"{name}.md"
    path.write_text("\n".join(lines + ["---", "", body, ""]), encoding="utf-8")
    os.utime(path, (BASE_TIME + n * 3600,) * 2)
    return path


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def notes(tmp_path) -> Path:
    folder = tmp_path / "notes"
    folder.mkdir()
    for n, note in enumerate(NOTES):
        write_note(folder, *note, n=n)
    return folder


@pytest.fixture
def opened() -> list[str]:
    return []


@pytest.fixture
def make_app(tmp_path, notes, opened):
    def make(watch: bool = False) -> SearchApp:
        return create_app(tmp_path / "index", (notes,), watch=watch, show_timing=False, open_url=opened.append)
    return make


async def until(pilot, condition, timeout: float = 5.0, what: str = "") -> None:
    """Let the app run until ``condition()`` holds (bounded)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        await pilot.pause(0.02)


async def ready(pilot) -> SearchApp:
    app = pilot.app
    await until(pilot, lambda: app.search_count > 0 and not app._indexing and app.view is not None
                and any(lst.option_count for lst in app.query(FacetList)), what="startup")
    await pilot.pause(0.05)
    return app


async def type_query(pilot, text: str) -> None:
    """Focus the search field, replace its text by typing ``text``, wait for its results."""
    app = pilot.app
    await pilot.press("slash")
    search = app.query_one("#search", Input)
    search.value = ""
    if text:
        await pilot.press(*text)
    await until(pilot, lambda: app.results is not None and app.results.query == text, what=f"results of {text!r}")
    await pilot.pause(0.05)


def titles(app: SearchApp) -> list[str]:
    return [h.title for h in app.query_one(ResultList).hits]


def shown_title(app: SearchApp) -> str | None:
    return app.view.record.title if app.view else None


def facet_counts(app: SearchApp, name: str) -> dict[str, int]:
    return {v.label: v.count for v in app.results.facets.get(name, ())}


async def check_facet(pilot, needle: str) -> None:
    """Check the first facet value matching ``needle`` with the keyboard, as a person would."""
    app = pilot.app
    before = app.search_count
    box = app.query_one("#facet-filter", Input)
    box.focus()
    box.value = needle
    await pilot.pause(0.05)
    await pilot.press("enter")  # to the first list with a match
    assert isinstance(app.focused, FacetList)
    await pilot.press("enter")  # check the highlighted value
    await until(pilot, lambda: app.search_count > before, what="search after a facet check")
    box.value = ""
    await pilot.pause(0.05)


# ---------------------------------------------------------------- tests


async def test_startup_builds_index_and_lists_everything_by_title(make_app, tmp_path):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        assert (tmp_path / "index").is_dir()
        assert app.results.total == 8
        assert titles(app) == sorted(titles(app), key=str.casefold)
        assert "8 résultat(s)" in str(app.query_one("#status").render())


async def test_typing_narrows_results_with_prefix_of_last_word(make_app):
    async with make_app().run_test(size=(100, 30)) as pilot:
        app = await ready(pilot)
        await type_query(pilot, "donnees ouv")
        assert "data.gouv.fr" in titles(app) and "Etalab" in titles(app)
        assert "OpenStreetMap" not in titles(app) and app.results.total < 8
        hit = app.query_one(ResultList).hits[0]
        assert hit.marks, "matched words are highlighted in the snippet"
        prompt = app.query_one(ResultList).get_option_at_index(0).prompt
        assert any(span.style == "bold reverse" for span in prompt.spans)
        await type_query(pilot, "cartog")  # last word as a prefix
        assert titles(app) == ["OpenStreetMap"]


async def test_typing_fast_searches_once_for_the_last_text(make_app):
    async with make_app().run_test(size=(100, 30)) as pilot:
        app = await ready(pilot)
        before = app.search_count
        await pilot.press(*"vie priv")  # the search field has the focus at start
        await until(pilot, lambda: app.results.query == "vie priv")
        await pilot.pause(0.3)
        assert app.search_count - before <= 2  # debounced: not one search per key
        assert set(titles(app)) == {"CNIL", "RGPD"}


async def test_the_first_screenful_of_hits_is_shown_before_the_rest_of_the_list(make_app, notes, monkeypatch):
    from searchkit.tui.app import FIRST_PAGE

    for n in range(FIRST_PAGE + 10):
        write_note(notes, f"atelier-{n}", str(2000 + n), f"Atelier {n}", ["atelier"], ["communs"], "",
                   "Un atelier sur les communs numériques" + " et les communs" * (n % 5) + ".", n=n)
    shown = []
    show = ResultList.show

    def recording(self, hits, keep=False, announce=True):
        shown.append(([h.id for h in hits], announce))
        show(self, hits, keep=keep, announce=announce)

    monkeypatch.setattr(ResultList, "show", recording)
    async with make_app().run_test(size=(100, 30)) as pilot:
        app = await ready(pilot)
        before, shown[:] = app.search_count, []
        await type_query(pilot, "communs")
        await until(pilot, lambda: app.search_count > before, what="the whole list")
        assert app.results.total == FIRST_PAGE + 11  # the notes above and OpenStreetMap
        (first, announced), (whole, again) = shown
        assert (len(first), announced, len(whole), again) == (FIRST_PAGE, True, FIRST_PAGE + 11, False)
        assert whole[:FIRST_PAGE] == first  # the same ranking: the list goes on
        assert app.search_count == before + 1 and app.pages_shown >= 2
        assert str(app.query_one("#status").render()).startswith("26 résultat(s)")  # not "15 affiché(s) sur 26"


async def test_facets_filter_and_counts_follow(make_app):
    async with make_app().run_test(size=(100, 30)) as pilot:
        app = await ready(pilot)
        assert facet_counts(app, "tag")["open data"] == 3
        assert facet_counts(app, "type")["organisation"] == 3
        await check_facet(pilot, "vie priv")  # accents and case ignored by the filter box
        assert list(app.filters) == ["tag"] and len(app.filters["tag"]) == 1
        assert set(titles(app)) == {"CNIL", "RGPD"}
        assert facet_counts(app, "type") == {"organisation": 1, "loi": 1}
        # another value of the same facet: OR
        await check_facet(pilot, "CARTO")
        assert set(titles(app)) == {"CNIL", "RGPD", "OpenStreetMap"}
        # a value of another facet: AND; the tag counts ignore the tag selection (disjunctive)
        await check_facet(pilot, "organis")
        assert titles(app) == ["CNIL"]
        assert facet_counts(app, "tag")["administration"] == 2
        assert facet_counts(app, "tag")["vie privée"] == 1
        # the checked values stay visible and marked
        lists = [lst for lst in app.query(FacetList)]
        prompts = [str(lst.get_option_at_index(i).prompt) for lst in lists for i in range(lst.option_count)]
        assert any(p.startswith("[x] vie privée") for p in prompts)


async def test_dataset_facets_in_the_panel(tmp_path, notes, opened):
    """Real catalogue records: the panel adds spatial zone, granularity and update frequency."""
    from tests.conftest import FIXTURES

    catalogs = FIXTURES / "catalogs"
    sources = (notes, catalogs / "udata-dataset.json", catalogs / "datagouv-export.csv")
    app = create_app(tmp_path / "index", sources, watch=False, show_timing=False, open_url=opened.append)
    async with app.run_test(size=(120, 60)) as pilot:
        app = await ready(pilot)
        await until(pilot, lambda: app.query("#facet-frequency FacetList"), what="the dataset facets")
        assert app.facet_names == ("type", "tag", "publisher", "licence", "format", "zone", "granularity", "frequency")
        assert [str(label.render()) for label in app.query(".facet-title")][-3:] == [
            "Couverture spatiale", "Granularité spatiale", "Fréquence de mise à jour"]
        # the catalogues' codes read as words ("fr:commune", "annual"); udata's country:fr is France
        assert facet_counts(app, "zone") == {"France": 1, "Rennes": 1}
        assert facet_counts(app, "granularity") == {"autre": 2, "commune": 1, "département": 1}
        assert facet_counts(app, "frequency") == {"annuelle": 2}
        await check_facet(pilot, "département")
        assert app.filters == {"granularity": ["fr:departement"]}
        assert titles(app) == ["Accidents de la route"]
        assert facet_counts(app, "zone") == {"France": 1}
        # disjunctive: the granularity counts ignore the granularity checked
        assert facet_counts(app, "granularity") == {"autre": 2, "commune": 1, "département": 1}


async def test_long_facet_lists_have_a_more_toggle(make_app):
    async with make_app().run_test(size=(100, 40)) as pilot:
        app = await ready(pilot)
        tags = app.query_one("#facet-tag FacetList", FacetList)
        more = app.query_one("#facet-tag MoreToggle")
        assert tags.option_count == 6 and str(more.render()) == "+ 4 de plus"  # 10 tags
        await pilot.click("#facet-tag MoreToggle")
        assert tags.option_count == 10 and str(more.render()) == "− moins"
        await pilot.click("#facet-tag MoreToggle")
        assert tags.option_count == 6


async def test_mouse_checks_a_facet_and_opens_a_hit(make_app):
    async with make_app().run_test(size=(100, 30)) as pilot:
        app = await ready(pilot)
        before = app.search_count
        await pilot.click("#facet-tag FacetList", offset=(2, 0))  # first tag: open data (3)
        await until(pilot, lambda: app.search_count > before)
        assert set(titles(app)) == {"Etalab", "data.gouv.fr", "Licence Ouverte"}
        await pilot.click("#results", offset=(3, 0))
        await until(pilot, lambda: app.screen.has_class("-preview-open"))
        assert isinstance(app.focused, Preview)
        await pilot.press("escape")
        assert not app.screen.has_class("-preview-open") and app.focused is app.query_one(ResultList)


async def test_clear_filters(make_app):
    async with make_app().run_test(size=(100, 30)) as pilot:
        app = await ready(pilot)
        await check_facet(pilot, "juridique")
        assert app.results.total == 2
        app.query_one(ResultList).focus()
        before = app.search_count
        await pilot.press("x")
        await until(pilot, lambda: app.search_count > before)
        assert app.filters == {} and app.query_one(FacetPanel).selected == {}
        assert app.results.total == 8


async def test_preview_follows_selection(make_app):
    async with make_app().run_test(size=(120, 40)) as pilot:
        app = await ready(pilot)
        await type_query(pilot, "vie privée")
        await pilot.press("down")  # from the search field to the list
        await until(pilot, lambda: shown_title(app) == titles(app)[0])
        first = titles(app)[0]
        await pilot.press("j")
        await until(pilot, lambda: shown_title(app) != first, what="preview of the second hit")
        assert shown_title(app) == titles(app)[1]
        await pilot.press("k")
        await until(pilot, lambda: shown_title(app) == first)
        await pilot.press("enter")
        assert isinstance(app.focused, Preview)


async def test_follow_link_backlink_and_back(make_app):
    async with make_app().run_test(size=(120, 40)) as pilot:
        app = await ready(pilot)
        await type_query(pilot, "etalab")
        await until(pilot, lambda: shown_title(app) == "Etalab")
        body = app.query_one("#preview-body", Markdown)
        await pilot.pause(0.1)
        assert "[data.gouv.fr](searchkit:1002)" in body.source  # [[1002]] shown as its title, followable
        assert "[[" not in body.source
        # follow a link from the keyboard: the link list under the body
        links = app.query_one("#preview-links", LinkList)
        links.focus()
        await pilot.press("enter")
        await until(pilot, lambda: shown_title(app) == "data.gouv.fr", what="followed link")
        backlinks = app.query_one("#preview-backlinks", LinkList)
        assert [b.title for b in backlinks.items] == ["Base Adresse Nationale", "Etalab", "Météo-France"]
        backlinks.focus()
        await pilot.press("down", "down", "enter")
        await until(pilot, lambda: shown_title(app) == "Météo-France", what="followed backlink")
        # a click on a Markdown link does the same
        app.query_one("#preview-body", Markdown).post_message(
            Markdown.LinkClicked(app.query_one("#preview-body", Markdown), "searchkit:1002"))
        await until(pilot, lambda: shown_title(app) == "data.gouv.fr")
        app.query_one(ResultList).focus()
        await pilot.press("b")
        await until(pilot, lambda: shown_title(app) == "Météo-France")
        await pilot.press("b")
        await until(pilot, lambda: shown_title(app) == "data.gouv.fr")
        await pilot.press("b")
        await until(pilot, lambda: shown_title(app) == "Etalab")
        assert app.history == []


async def test_keys_copy_path_and_open_link(make_app, opened, notes):
    async with make_app().run_test(size=(100, 30)) as pilot:
        app = await ready(pilot)
        await type_query(pilot, "cnil")
        await pilot.press("enter")  # to the list
        await until(pilot, lambda: shown_title(app) == "CNIL")
        await pilot.press("y")
        assert app.clipboard == str(notes / "cnil.md")
        await pilot.press("o")
        assert opened == ["https://www.cnil.fr"]


async def test_editor_round_trip(make_app, notes, tmp_path, monkeypatch):
    script = tmp_path / "fake editor.py"
    script.write_text("import sys\nwith open(sys.argv[-1], 'a', encoding='utf-8') as f:\n"
                      "    f.write('\\nAjout : un zygomorphe rare.\\n')\n", encoding="utf-8")
    monkeypatch.setenv("EDITOR", f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}")
    monkeypatch.delenv("VISUAL", raising=False)
    async with make_app().run_test(size=(100, 30)) as pilot:
        app = await ready(pilot)
        await type_query(pilot, "rgpd")
        await pilot.press("enter")
        await until(pilot, lambda: shown_title(app) == "RGPD")
        runs = app.index_runs
        await pilot.press("e")
        await until(pilot, lambda: app.index_runs > runs, what="reindex after the editor")
        assert "zygomorphe" in (notes / "rgpd.md").read_text(encoding="utf-8")
        await until(pilot, lambda: "zygomorphe" in app.view.record.body, what="preview refreshed")
        await type_query(pilot, "zygomorphe")
        assert titles(app) == ["RGPD"]


async def test_changed_file_appears_without_restart(make_app, notes):
    async with make_app(watch=True).run_test(size=(100, 30)) as pilot:
        app = await ready(pilot)
        await pilot.pause(0.6)  # the watcher is running
        write_note(notes, "wiki", "1009", "Wikipédia", ["projet"], ["communs"], "",
                   "Encyclopédie libre, un autre commun numérique.", n=8)
        await until(pilot, lambda: app.results.total == 9, timeout=15, what="new note indexed by the watcher")
        assert "Wikipédia" in titles(app)


async def test_empty_state_with_suggestion_and_filters(make_app):
    async with make_app().run_test(size=(100, 30)) as pilot:
        app = await ready(pilot)
        await check_facet(pilot, "geograph")
        await type_query(pilot, "xartographie")
        assert app.results.total == 0
        assert app.query_one("#body").has_class("-empty")
        text = str(app.query_one(EmptyState).render())
        assert "Aucun résultat pour « xartographie »" in text
        assert "Vouliez-vous dire : cartographie" in text
        assert "Filtres actifs : Mots-clés : géographie" in text
        app.action_suggest("cartographie")  # what a click on the word does
        await until(pilot, lambda: app.results.query == "cartographie")
        assert titles(app) == ["OpenStreetMap"]


async def test_sort_cycles(make_app):
    async with make_app().run_test(size=(100, 30)) as pilot:
        app = await ready(pilot)
        await type_query(pilot, "donnees")
        app.query_one(ResultList).focus()
        status = lambda: str(app.query_one("#status").render())  # noqa: E731
        assert "tri : pertinence" in status()
        for expected in ("title", "modified", "relevance"):
            before = app.search_count
            await pilot.press("s")
            await until(pilot, lambda: app.search_count > before)
            assert app.sort == expected
        assert "tri : pertinence" in status()
        await pilot.press("s")
        await until(pilot, lambda: app.sort == "title" and "tri : titre" in status())
        assert titles(app) == sorted(titles(app), key=str.casefold)
        await pilot.press("s")
        await until(pilot, lambda: "tri : date de modification" in status())
        assert titles(app)[0] == "RGPD"  # the most recent file among the hits


async def test_help_screen_and_quit_keys(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        app.query_one(ResultList).focus()
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        await type_query(pilot, "q")  # q typed in the search field is text, not quit
        assert app.is_running
        app.query_one(ResultList).focus()
        await pilot.press("q")
    assert app.return_code == 0


async def test_reindex_key_shows_progress_then_tells(make_app, notes):
    async with make_app().run_test(size=(100, 30)) as pilot:
        app = await ready(pilot)
        app.query_one(ResultList).focus()
        (notes / "osm.md").unlink()
        runs = app.index_runs
        pushed, push = [], app.push_screen
        app.push_screen = lambda screen, *a, **k: (pushed.append(screen), push(screen, *a, **k))[1]
        await pilot.press("r")
        assert isinstance(pushed[0], IndexingScreen)
        await until(pilot, lambda: app.index_runs > runs and not isinstance(app.screen, IndexingScreen))
        await until(pilot, lambda: app.results.total == 7)
        assert any("1 supprimé(s)" in n.message for n in app._notifications)


async def test_worker_failure_is_a_notification(make_app, monkeypatch):
    async with make_app().run_test(size=(100, 30)) as pilot:
        app = await ready(pilot)

        def broken(*args, **kwargs):
            raise RuntimeError("disque en panne")
        monkeypatch.setattr(app.backend, "search", broken)
        await pilot.press(*"cnil")
        await until(pilot, lambda: any("disque en panne" in n.message for n in app._notifications))
        assert app.is_running
        assert any(n.severity == "error" for n in app._notifications)


async def test_english(make_app, monkeypatch):
    monkeypatch.setenv("SEARCHKIT_LANG", "en")
    async with make_app().run_test(size=(100, 30)) as pilot:
        app = await ready(pilot)
        assert app.query_one("#search", Input).placeholder.startswith("Search notes")
        assert "8 result(s)" in str(app.query_one("#status").render())
        assert "sort: relevance" in str(app.query_one("#status").render())


# ---------------------------------------------------------------- snapshots


def _snap_before(query: str = "", open_first: bool = False, facet: str = ""):
    async def run_before(pilot) -> None:
        app = await ready(pilot)
        app.query_one("#search", Input).cursor_blink = False
        if facet:
            await check_facet(pilot, facet)
        if query:
            await type_query(pilot, query)
        if open_first:
            await pilot.press("enter", "enter")
            await until(pilot, lambda: shown_title(app) == titles(app)[0])
            await pilot.pause(0.2)
    return run_before


def test_snapshot_search_80x24(make_app, snap_compare):
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=_snap_before("donnees ouv"))


def test_snapshot_preview_120x40(make_app, snap_compare):
    assert snap_compare(make_app(), terminal_size=(120, 40), run_before=_snap_before("etalab", open_first=True))


def test_snapshot_empty_state_80x24(make_app, snap_compare):
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=_snap_before("xartographie", facet="geograph"))
