"""Citations and exports: ``searchkit query --format bibtex | csl-json | csv``, read back by real consumers.

BibTeX is parsed with bibtexparser, CSL-JSON rendered with citeproc-py (a CSL
processor) and CSV read with the csv module, on real notes and real catalogue
records indexed here.
"""

from __future__ import annotations

import csv
import io
import json
import warnings

import bibtexparser
import pytest
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON
from click.testing import CliRunner

from searchkit.cite import CSV_COLUMNS
from searchkit.cli import main
from tests.conftest import FIXTURES
from tests.helpers import copy_notes, write_note

ACCIDENTS = "datagouv:53698e4ba3a729239d2034ff"


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cite")
    notes = copy_notes(tmp)
    write_note(notes, "rapport.md", "Rapport {annuel} 50 % & co_data", "Un rapport cité.", id="rapport-2021",
               citekey="Dupont2021", doi="10.1234/abc_5", author="Jeanne Dupont and Paul Martin", date="2021-05-04")
    runner = CliRunner()
    result = runner.invoke(main, ["index", str(notes), str(FIXTURES / "catalogs" / "udata-dataset.json"),
                                  "--index", str(tmp / "idx")])
    assert result.exit_code == 0, result.output
    return tmp / "idx"


def query(index, *args) -> str:
    result = CliRunner().invoke(main, ["query", *args, "--index", str(index)])
    assert result.exit_code == 0, result.output
    return result.stdout


def bibliography(items: list[dict]) -> list[str]:
    """The items rendered by citeproc-py with its bundled Harvard style."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # citeproc-py does not know CSL 1.0.2's "license" and says so
        style = CitationStylesStyle("harvard-cite-them-right", validate=False)
        bib = CitationStylesBibliography(style, CiteProcJSON(items), formatter.plain)
        for item in items:
            bib.register(Citation([CitationItem(item["id"])]))
        return [str(entry) for entry in bib.bibliography()]


def test_a_dataset_in_bibtex_is_parsed_back_by_a_bibtex_parser(index):
    library = bibtexparser.parse_string(query(index, "accidents route", "--kind", "dataset", "--format", "bibtex"))
    assert library.failed_blocks == []
    entry = library.entries[0]
    assert (entry.entry_type, entry.key) == ("dataset", ACCIDENTS)
    assert {k: f.value for k, f in entry.fields_dict.items()} == {
        "author": "{Observatoire national interministériel de la sécurité routière}",
        "title": "Accidents de la route",
        "publisher": "Observatoire national interministériel de la sécurité routière",
        "date": "2016-03-16",
        "year": "2016",
        "origdate": "2013-12-16",
        "number": ACCIDENTS,
        "url": "https://www.data.gouv.fr/fr/datasets/accidents-de-la-route/",
        "note": "Licence : Licence Ouverte 1.0",
        "keywords": "accidents, securite-routiere, sante",
    }


def test_a_dataset_in_csl_json_is_rendered_by_a_csl_processor(index):
    items = json.loads(query(index, "accidents route", "--kind", "dataset", "--format", "csl-json"))
    item = items[0]
    assert item["id"] == ACCIDENTS and item["type"] == "dataset"
    assert item["author"] == [{"literal": "Observatoire national interministériel de la sécurité routière"}]
    assert item["issued"] == {"date-parts": [[2016, 3, 16]]}
    assert item["original-date"] == {"date-parts": [[2013, 12, 16]]}
    assert (item["URL"], item["license"], item["number"]) == (
        "https://www.data.gouv.fr/fr/datasets/accidents-de-la-route/", "Licence Ouverte 1.0", ACCIDENTS)
    assert bibliography(items[:1]) == [
        "Observatoire national interministériel de la sécurité routière (2016) “Accidents de la route”. "
        "Observatoire national interministériel de la sécurité routière. "
        "Available at: https://www.data.gouv.fr/fr/datasets/accidents-de-la-route/."
    ]


def test_a_note_cites_its_link_or_its_bibliographic_keys(index):
    library = bibtexparser.parse_string(query(index, "etalab OR rapport", "--kind", "note", "--format", "bibtex",
                                              "--sort", "title"))
    assert library.failed_blocks == []
    by_key = {e.key: e for e in library.entries}
    etalab = by_key["20230114093015"]
    assert etalab.entry_type == "online"
    assert etalab.fields_dict["url"].value == "https://www.etalab.gouv.fr"
    report = by_key["Dupont2021"]
    assert report.entry_type == "article"
    assert {k: f.value for k, f in report.fields_dict.items()} == {
        "author": "Jeanne Dupont and Paul Martin",
        "title": r"Rapport \{annuel\} 50 \% \& co\_data",  # LaTeX specials escaped, braces balanced
        "date": "2021-05-04",
        "year": "2021",
        "doi": r"10.1234/abc\_5",
    }
    items = {i["id"]: i for i in json.loads(query(index, "rapport", "--kind", "note", "--format", "csl-json"))}
    assert items["Dupont2021"]["DOI"] == "10.1234/abc_5"  # JSON keeps the data as it is
    assert items["Dupont2021"]["author"] == [{"literal": "Jeanne Dupont"}, {"literal": "Paul Martin"}]
    assert bibliography([items["Dupont2021"]])[0].startswith("Jeanne Dupont and Paul Martin (2021)")


def test_csv_has_one_row_per_hit_and_the_facets_as_columns(index):
    text = query(index, "données", "--format", "csv", "-n", "100")
    rows = list(csv.DictReader(io.StringIO(text)))
    hits = json.loads(query(index, "données", "--format", "json", "-n", "100"))["hits"]
    assert tuple(csv.DictReader(io.StringIO(text)).fieldnames) == CSV_COLUMNS
    assert [r["id"] for r in rows] == [h["id"] for h in hits]
    accidents = json.loads(query(index, "accidents route", "--kind", "dataset", "--format", "json"))["hits"][0]["id"]
    row = next(csv.DictReader(io.StringIO(query(index, "accidents route", "--kind", "dataset", "--format", "csv"))))
    assert row["id"] == accidents
    assert (row["publisher"], row["licence"], row["format"], row["tag"]) == (
        "Observatoire national interministériel de la sécurité routière", "Licence Ouverte 1.0",
        "csv; shp; web page", "accidents; securite-routiere; sante")


def test_every_real_catalogue_record_is_cited_in_valid_bibtex_and_csl(corpus, tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["index", str(corpus / "datasets" / "udata_json"), "--index", str(tmp_path / "idx"), "-q"])
    assert result.exit_code == 0, result.output
    total = json.loads(query(tmp_path / "idx", "*", "-n", "0", "--format", "json"))["total"]
    assert total > 300
    library = bibtexparser.parse_string(query(tmp_path / "idx", "*", "-n", "10000", "--format", "bibtex"))
    assert library.failed_blocks == []
    assert len(library.entries) == total
    assert len({e.key for e in library.entries}) == total
    assert all(e.entry_type == "dataset" and "title" in e.fields_dict for e in library.entries)
    items = json.loads(query(tmp_path / "idx", "*", "-n", "10000", "--format", "csl-json"))
    rendered = bibliography(items)
    assert len(rendered) == total and all(rendered)
