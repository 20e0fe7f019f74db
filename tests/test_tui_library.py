"""The app's history, saved searches, related records, citations and small keys, driven with Pilot."""

from __future__ import annotations

import tomllib

import bibtexparser
import pytest
from textual.widgets import Input, OptionList

from searchkit import history
from searchkit.config import config_dir
from searchkit.tui.preview import Preview
from searchkit.tui.screens import ChoiceScreen, HelpScreen, NameScreen
from tests.test_tui import anyio_backend, make_app, notes, opened, ready, shown_title, titles, type_query, until  # noqa: F401

pytestmark = pytest.mark.anyio


def search_field(app) -> Input:
    return app.query_one("#search", Input)


async def test_typed_searches_are_remembered_and_walked_with_the_arrows(make_app):
    async with make_app().run_test(size=(100, 30)) as pilot:
        app = await ready(pilot)
        for text in ("licence", "cnil"):
            await type_query(pilot, text)
            await until(pilot, lambda: [e.query for e in history.entries()][-1:] == [text], what=f"{text} remembered")
        assert {e.origin for e in history.entries()} == {"app"}
        search_field(app).value = ""
        await pilot.pause(0.05)
        await pilot.press("up")
        assert search_field(app).value == "cnil"
        await pilot.press("up")
        assert search_field(app).value == "licence"
        await pilot.press("up")  # the oldest stays
        assert search_field(app).value == "licence"
        await pilot.press("down")
        assert search_field(app).value == "cnil"
        await until(pilot, lambda: app.results.query == "cnil")
        assert titles(app) == ["CNIL", "RGPD"]
        await pilot.press("down")  # past the newest: the empty field again
        assert search_field(app).value == ""
        await pilot.press("down")  # then down goes to the results, as before
        assert app.focused is not search_field(app)
    assert [e.query for e in history.entries()] == ["licence", "cnil"]  # walking remembers nothing new


async def test_question_mark_opens_the_help_from_the_empty_field_and_is_typed_otherwise(make_app):
    async with make_app().run_test(size=(100, 30)) as pilot:
        app = await ready(pilot)
        await pilot.press("slash")
        search_field(app).value = ""
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert search_field(app).value == ""
        await pilot.press("l", "a", "question_mark")
        assert search_field(app).value == "la?"
        await pilot.press("f1")  # the key the footer shows works from the field
        assert isinstance(app.screen, HelpScreen)


async def test_enter_takes_the_did_you_mean_suggestion(make_app):
    async with make_app().run_test(size=(100, 30)) as pilot:
        app = await ready(pilot)
        await type_query(pilot, "xartographie")
        assert app.results.total == 0 and app.results.suggestions == ("cartographie",)
        await pilot.press("enter")
        await until(pilot, lambda: app.results.query == "cartographie")
        assert search_field(app).value == "cartographie"
        assert titles(app) == ["OpenStreetMap"]


async def test_c_copies_the_citation_of_the_selected_record(make_app):
    async with make_app().run_test(size=(100, 30)) as pilot:
        app = await ready(pilot)
        await type_query(pilot, "cnil")
        await pilot.press("enter")
        await until(pilot, lambda: shown_title(app) == "CNIL")
        await pilot.press("c")
        library = bibtexparser.parse_string(app.clipboard)
        assert library.failed_blocks == []
        entry = library.entries[0]
        assert (entry.entry_type, entry.key, entry.fields_dict["url"].value) == ("online", "1005", "https://www.cnil.fr")


async def test_m_lists_related_records_with_reasons_and_opens_one(make_app):
    async with make_app().run_test(size=(120, 40)) as pilot:
        app = await ready(pilot)
        await type_query(pilot, "rgpd")
        await pilot.press("enter")
        await until(pilot, lambda: shown_title(app) == "RGPD")
        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, ChoiceScreen), what="related list")
        choices = app.screen.query_one(OptionList)
        first = str(choices.get_option_at_index(0).prompt)
        assert first.startswith("CNIL\nliens dans les deux sens · tags communs : vie privée")
        await pilot.press("enter")
        await until(pilot, lambda: shown_title(app) == "CNIL", what="CNIL shown")
        assert app.main_screen.has_class("-preview-open") and isinstance(app.focused, Preview)
        assert app.history == [("1006", "RGPD")]  # b goes back to RGPD


async def test_save_the_search_then_run_it_from_the_list_with_its_new_count(make_app):
    async with make_app().run_test(size=(120, 40)) as pilot:
        app = await ready(pilot)
        await type_query(pilot, "donnees")
        app.query_one("#facets").toggle("tag", "opendata")
        await until(pilot, lambda: app.filters == {"tag": ["opendata"]} and app.results.query == "donnees")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, NameScreen))
        app.screen.query_one(Input).value = "ouverture"
        await pilot.press("enter")
        await until(pilot, lambda: (config_dir() / "saved.toml").exists())
        saved = tomllib.loads((config_dir() / "saved.toml").read_text("utf-8"))
        assert saved == {"ouverture": {"query": "donnees", "tag": ["open data"]}}

        app.query_one("#facets").toggle("tag", "opendata")
        search_field(app).value = "meteo"
        await until(pilot, lambda: app.results.query == "meteo" and not app.filters)
        await pilot.press("ctrl+o")
        await until(pilot, lambda: isinstance(app.screen, ChoiceScreen), what="saved list")
        prompt = str(app.screen.query_one(OptionList).get_option_at_index(0).prompt)
        assert prompt == 'ouverture  3 nouvelle(s)\n"donnees" tag=open data'
        await pilot.press("enter")
        await until(pilot, lambda: app.results.query == "donnees" and app.filters == {"tag": ["opendata"]})
        assert sorted(titles(app)) == ["Etalab", "Licence Ouverte", "data.gouv.fr"]
        await pilot.press("ctrl+o")  # it ran: nothing new since
        await until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        assert str(app.screen.query_one(OptionList).get_option_at_index(0).prompt).startswith("ouverture  0 nouvelle(s)")
