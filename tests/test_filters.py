"""What the portal's users filter on (issue 13): spatial zone and granularity, update
frequency, last modification (--since, --until) and temporal coverage (--covers).

Real records: the catalogue fixtures and the shared corpus (a data.gouv.fr CSV
export and udata JSON files), each checked against the file read on its own.
"""

from __future__ import annotations

import csv
import json
import os
import time
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from searchkit.cli import main
from searchkit.index import update_index
from searchkit.query import Engine
from searchkit.sources.catalogs import iter_catalog
from searchkit.model import Record
from tests.conftest import FIXTURES
from tests.helpers import write_note

CATALOGS = FIXTURES / "catalogs"
EXPORT = "datasets/datagouv_csv/export-dataset-20260116-055249-part1.csv"


def sk(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def ids(index: Path, *args: str) -> list[str]:
    code, out, err = sk("query", *args, "--format", "jsonl", "-n", "10000", "--index", str(index))
    assert code in (0, 1), err
    return sorted(json.loads(line)["id"] for line in out.splitlines())


def local_time(day: str) -> float:
    """Noon of ``day`` in local time: the date a person sees for a file of that mtime."""
    return time.mktime(time.strptime(f"{day} 12:00", "%Y-%m-%d %H:%M"))


# the datasets of the fixtures below, by what they carry (zone, granularity, frequency,
# last modified, temporal coverage)
ACCIDENTS = "datagouv:53698e4ba3a729239d2034ff"  # country:fr, fr:departement, annual, 2016-03-16, 2012
BLOIS = "datagouv:6101126e0083f66f4426e1d2"  # frequency "unknown", 2022-12-02
RENNES = "datagouv:5b3f2c1a8b4c410a1d2e3f40"  # Rennes, fr:commune, annual, 2025-01-20, 2015 to 2020
ATMO = "datagouv:64a1b2c3d4e5f60718293a4b"  # other, 2024-03-01, from 2023 on
SIXT = "datagouv:65f0e1d2c3b4a59687786950"  # 2024-03-13
HAMSTER = "datagouv:6969c228770f993ed4817ef7"  # other, 2026-01-15
FIXTURE_CATALOGS = ("udata-dataset.json", "udata-page.json", "datagouv-export.csv")


@pytest.fixture
def fixtures_index(tmp_path) -> Path:
    """Notes with and without a ``modified`` date, and real catalogue fixtures."""
    notes = tmp_path / "notes"
    dated = write_note(notes, "dated.md", "Note datée", "Un budget.", id="n1", modified="2023-05-10")
    mtime_only = write_note(notes, "mtime.md", "Note sans date", "Un budget.", id="n2")
    os.utime(dated, (local_time("2020-01-01"),) * 2)  # its front matter wins over its file's date
    os.utime(mtime_only, (local_time("2021-06-15"),) * 2)
    index = tmp_path / "idx"
    update_index(index, [notes] + [CATALOGS / name for name in FIXTURE_CATALOGS])
    return index


def test_the_index_gives_back_every_field_of_a_record(fixtures_index):
    engine = Engine(fixtures_index)
    try:
        for name in FIXTURE_CATALOGS:
            records = [r for r in iter_catalog(CATALOGS / name) if isinstance(r, Record)]
            assert records
            for record in records:
                assert engine.get(record.id) == record
        accidents, atmo = engine.get(ACCIDENTS), engine.get(ATMO)
    finally:
        engine.close()
    assert (accidents.zones, accidents.granularity, accidents.frequency) == (("France",), "fr:departement", "annual")
    assert (accidents.coverage(), dict(accidents.metrics)["followers"]) == (("2012-01-01", "2012-12-31"), 4.0)
    assert (atmo.acronym, atmo.coverage()) == ("ATMO", ("2023-01-01", ""))
    # fields of their own are no longer repeated among the other fields
    assert not {"frequency", "granularity"} & {k for k, _ in accidents.extra + atmo.extra}


def test_new_facets_count_the_fixture_records(fixtures_index):
    code, out, err = sk("query", "*", "--format", "json", "--index", str(fixtures_index))
    assert code == 0, err
    facets = json.loads(out)["facets"]
    assert facets["zone"] == [{"value": "france", "label": "France", "count": 1},
                              {"value": "rennes", "label": "Rennes", "count": 1}]
    assert facets["granularity"] == [{"value": "other", "label": "other", "count": 2},
                                     {"value": "fr:commune", "label": "fr:commune", "count": 1},
                                     {"value": "fr:departement", "label": "fr:departement", "count": 1}]
    # "unknown" is no value
    assert facets["frequency"] == [{"value": "annual", "label": "annual", "count": 2}]
    # only notes matched: the dataset facets are left out, as publisher always was
    code, out, _ = sk("query", "budget", "--kind", "note", "--format", "json", "--index", str(fixtures_index))
    assert code == 0
    assert set(json.loads(out)["facets"]) == {"type", "tag"}


def test_filters_on_zone_granularity_and_frequency(fixtures_index):
    assert ids(fixtures_index, "*", "--frequency", "ANNUAL") == [ACCIDENTS, RENNES]
    assert ids(fixtures_index, "*", "--zone", "rennes", "--zone", "country:fr") == [ACCIDENTS, RENNES]
    assert ids(fixtures_index, "*", "--zone", "France") == [ACCIDENTS]  # udata's country:fr, named
    assert ids(fixtures_index, "*", "--facet", "zones=Rennes", "--granularity", "fr:commune") == [RENNES]
    assert ids(fixtures_index, "*", "--granularity", "other", "--frequency", "annual") == []
    # key:value in the query text finds the same records
    assert ids(fixtures_index, "frequency:annual") == [ACCIDENTS, RENNES]
    assert ids(fixtures_index, "granularity:other") == [ATMO, HAMSTER]


def test_since_and_until_on_notes_and_datasets(fixtures_index):
    # n1's front matter says 2023-05-10 (its file: 2020); n2 has only its file's date, 2021-06-15
    assert ids(fixtures_index, "*", "--since", "2023-05-10") == [RENNES, ATMO, SIXT, HAMSTER, "n1"]
    assert ids(fixtures_index, "*", "--since", "2023-05-11", "--kind", "note") == []
    assert ids(fixtures_index, "*", "--until", "2021-06") == [ACCIDENTS, "n2"]
    assert ids(fixtures_index, "*", "--until", "2021-06-14") == [ACCIDENTS]
    assert ids(fixtures_index, "*", "--since", "2021", "--until", "2024-03") == [BLOIS, ATMO, SIXT, "n1", "n2"]
    assert ids(fixtures_index, "budget", "--since", "2022") == ["n1"]


def test_covers_matches_records_whose_coverage_overlaps(fixtures_index):
    assert ids(fixtures_index, "*", "--covers", "2012") == [ACCIDENTS]
    assert ids(fixtures_index, "*", "--covers", "2016-2019") == [RENNES]
    assert ids(fixtures_index, "*", "--covers", "2030") == [ATMO]  # covered from 2023 on, no end
    assert ids(fixtures_index, "*", "--covers", "2020-2023") == [RENNES, ATMO]
    assert ids(fixtures_index, "*", "--covers", "2020-2023", "--since", "2025") == [RENNES]
    code, out, _ = sk("query", "*", "--covers", "2021-2022", "--format", "jsonl", "--index", str(fixtures_index))
    assert (code, out) == (1, "")  # records without coverage (notes too) are never matched


@pytest.mark.parametrize("option, value, message", [
    ("--since", "2024-13", "erreur: --since 2024-13 : date illisible, écrivez AAAA, AAAA-MM ou AAAA-MM-JJ "
                           "(par exemple --since 2024-03)."),
    ("--until", "hier", "erreur: --until hier : date illisible, écrivez AAAA, AAAA-MM ou AAAA-MM-JJ "
                        "(par exemple --until 2024-03)."),
    ("--until", "2023-02-29", "erreur: --until 2023-02-29 : date illisible, écrivez AAAA, AAAA-MM ou AAAA-MM-JJ "
                              "(par exemple --until 2024-03)."),
    ("--covers", "2021-2019", "erreur: --covers 2021-2019 : période illisible, écrivez une année ou deux "
                              "(par exemple --covers 2019-2021)."),
    ("--covers", "2020-06", "erreur: --covers 2020-06 : période illisible, écrivez une année ou deux "
                            "(par exemple --covers 2019-2021)."),
])
def test_a_bad_date_is_one_line_and_exit_2(fixtures_index, option, value, message):
    for command in (["query", "budget", "--index", str(fixtures_index)], ["saved", "add", "budget", "budget"]):
        code, out, err = sk(*command, option, value)
        assert (code, out, err) == (2, "", message + "\n")


def test_saved_searches_keep_the_date_filters(fixtures_index):
    code, out, err = sk("saved", "add", "recent", "*", "--since", "2023", "--frequency", "annual")
    assert code == 0, err
    code, out, _ = sk("saved", "list", "--format", "json")
    assert json.loads(out)[0]["filters"] == {"frequency": ["annual"], "since": ["2023"]}
    code, out, _ = sk("saved", "run", "recent", "--format", "jsonl", "--index", str(fixtures_index))
    assert [json.loads(line)["id"] for line in out.splitlines()] == [RENNES]


# ---------------------------------------------------------------- the real corpus


def _export_rows(corpus: Path) -> list[dict]:
    """The export read with the csv module alone (its last, truncated line left out)."""
    with open(corpus / EXPORT, encoding="utf-8", newline="") as handle:
        return [r for r in csv.DictReader(handle, delimiter=";") if None not in r.values()]


@pytest.fixture
def export_index(tmp_path, corpus) -> Path:
    index = tmp_path / "idx"
    update_index(index, [corpus / EXPORT])
    return index


def test_facets_of_a_real_export_count_what_its_columns_say(export_index, corpus):
    rows = _export_rows(corpus)
    assert len(rows) == 432
    engine = Engine(export_index)
    try:
        results = engine.search("", limit=0, facets=("zone", "granularity", "frequency"), facet_top=0)
    finally:
        engine.close()
    counted = {name: {v.label: v.count for v in values} for name, values in results.facets.items()}
    assert counted["frequency"] == dict(Counter(r["frequency"] for r in rows if r["frequency"] not in ("", "unknown")))
    assert counted["granularity"] == dict(Counter(r["spatial.granularity"] for r in rows if r["spatial.granularity"]))
    zones = Counter(z for r in rows for z in {z.strip() for z in r["spatial.zones"].split(",") if z.strip()})
    assert counted["zone"] == dict(zones)
    # the figures, read once by hand in the file
    assert (counted["frequency"]["annual"], counted["frequency"]["irregular"], counted["frequency"]["notPlanned"]) == (58, 28, 10)
    assert (counted["granularity"]["other"], counted["granularity"]["country"]) == (182, 20)
    assert (counted["zone"]["France"], counted["zone"]["Union Européenne"]) == (15, 13)


def test_a_few_records_are_counted_from_their_own_values_as_from_every_records_codes(export_index):
    from searchkit.model import FACETS

    engine = Engine(export_index)
    try:
        engine.searcher()
        facets = engine._facets()
        everything = set(range(432))
        for docs in (everything, set(range(0, 432, 7))):
            for name in FACETS:
                facets._codes.pop(name, None)
                own = facets.count(name, docs, 0)  # a new process: the records' own values
                assert name not in facets._codes
                facets.codes_of(name)
                assert facets.count(name, docs, 0) == own, name
                if name in ("zone", "granularity", "frequency", "licence", "format") and docs is everything:
                    assert own, name
    finally:
        engine.close()


def test_dates_of_a_real_export(export_index, corpus):
    rows = _export_rows(corpus)

    def overlaps(row: dict, first: str, last: str) -> bool:
        start, end = row["temporal_coverage.start"][:4], row["temporal_coverage.end"][:4]
        return bool(start or end) and (not start or start <= last) and (not end or end >= first)

    since = sorted("datagouv:" + r["id"] for r in rows if r["last_modified"][:10] >= "2025-06-01")
    until = sorted("datagouv:" + r["id"] for r in rows if r["last_modified"] and r["last_modified"][:7] <= "2020-12")
    covers = sorted("datagouv:" + r["id"] for r in rows if overlaps(r, "2018", "2019"))
    assert (len(since), len(until), len(covers)) == (400, 5, 23)
    assert ids(export_index, "*", "--since", "2025-06-01") == since
    assert ids(export_index, "*", "--until", "2020-12") == until
    assert ids(export_index, "*", "--covers", "2018-2019") == covers
    assert ids(export_index, "*", "--covers", "2018-2019", "--until", "2020-12") == sorted(set(covers) & set(until))


def test_udata_records_filter_on_their_dates(tmp_path, corpus):
    folder = corpus / "datasets" / "udata_json"
    index = tmp_path / "idx"
    update_index(index, [folder])
    modified, covering = [], []
    for path in sorted(folder.glob("*.json")):
        d = json.loads(path.read_text("utf-8"))
        when = d.get("last_modified") or d.get("last_update") or ""
        if when[:4] >= "2022":
            modified.append(f"datagouv:{d['id']}")
        coverage = d.get("temporal_coverage") or {}
        start, end = (coverage.get("start") or "")[:4], (coverage.get("end") or "")[:4]
        if (start or end) and (not start or start <= "2018") and (not end or end >= "2018"):
            covering.append(f"datagouv:{d['id']}")
    assert (len(modified), len(covering)) == (102, 22)
    assert ids(index, "*", "--since", "2022") == sorted(modified)
    assert ids(index, "*", "--covers", "2018") == sorted(covering)


def test_vocabulary_codes_read_as_words_on_a_screen_and_stay_codes_in_json(fixtures_index, monkeypatch):
    monkeypatch.setenv("SEARCHKIT_LANG", "fr")
    code, out, err = sk("query", "*", "--kind", "dataset", "--facets", "--limit", "0", "--index", str(fixtures_index))
    assert code == 0, err
    lines = {line.split(": ", 1)[0]: line.split(": ", 1)[1] for line in out.splitlines() if ": " in line}
    assert lines["Couverture spatiale"] == "France (1), Rennes (1)"
    assert lines["Granularité spatiale"] == "autre (2), commune (1), département (1)"
    assert lines["Fréquence de mise à jour"] == "annuelle (2)"
    monkeypatch.setenv("SEARCHKIT_LANG", "en")
    code, out, err = sk("query", "*", "--kind", "dataset", "--facets", "--limit", "0", "--index", str(fixtures_index))
    assert "Spatial granularity: other (2), municipality (1), département (1)" in out.splitlines()
    # the filters take the codes (and what JSON gives as value and label)
    code, out, err = sk("query", "*", "--granularity", "fr:commune", "--format", "json", "--index", str(fixtures_index))
    assert code == 0 and json.loads(out)["total"] == 1
    assert {"value": "fr:commune", "label": "fr:commune", "count": 1} in json.loads(out)["facets"]["granularity"]


def test_zone_ids_read_as_their_kind_and_code(monkeypatch):
    from searchkit.messages import value_label

    monkeypatch.setenv("SEARCHKIT_LANG", "fr")
    assert value_label("zone", "fr:commune:41018@1943-01-01") == "commune 41018"
    assert value_label("zone", "fr:epci:200046977@2014-01-01") == "intercommunalité (EPCI) 200046977"
    monkeypatch.setenv("SEARCHKIT_LANG", "en")
    assert value_label("zone", "fr:departement:2a@1976-01-01") == "département 2A"
    assert value_label("zone", "Rennes") == "Rennes" and value_label("tag", "annual") == "annual"
