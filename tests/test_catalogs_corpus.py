"""The shared real corpus (``../shared/corpus/datasets``): every file, exact counts and problems.

Skipped when the corpus is absent.  Totals: 7,274 dataset records from 379
files (data.gouv.fr CSV 6,872, udata JSON 366, CKAN 16, DCAT/ISO 20); the only
problems are the two truncated export slices described in the corpus README.
Reading all of it takes about 1.5 s.
"""

from __future__ import annotations

import collections
from pathlib import Path

import pytest

from searchkit.model import Problem, Record
from searchkit.sources.catalogs import iter_catalog, sniff

TRUNCATED = (
    "fichier tronqué : le dernier enregistrement (ligne {line}) est incomplet "
    "(10 colonnes sur 40) et a été ignoré."
)

# file -> (format, records, [(where, message)])
EXPECTED: dict[str, tuple[str, int, list[tuple[str, str]]]] = {
    "datagouv_csv/export-dataset-20260116-055249-part1.csv": (
        "datagouv-csv", 432, [("ligne 2000", TRUNCATED.format(line=2000))],
    ),
    "datagouv_csv/export-dataset-20260116-055249-part136.csv": ("datagouv-csv", 911, []),
    "datagouv_csv/export-dataset-20260116-055249-part161.csv": ("datagouv-csv", 643, []),
    "datagouv_csv/export-dataset-20260116-055249-part281.csv": (
        "datagouv-csv", 1346, [("ligne 1998", TRUNCATED.format(line=1998))],
    ),
    "datagouv_csv/export-dataset-20260116-055249-part34.csv": ("datagouv-csv", 678, []),
    "datagouv_csv/pgsearch_export_2020-01-11_spatial-France.csv": ("datagouv-csv", 2862, []),
    "ckan_json/datasud_package_search__conciergerie-open-data__fake_api_results.json": ("ckan-json", 8, []),
    "ckan_json/dkan-french-w-license.json": ("ckan-json", 1, []),
    # 1 package_search (7 results) + 7 package_show of the same datasets: 7 records
    "ckan_json/udata_snapshot_ckan_datasud_gap-tallard.json": ("http-session", 7, []),
    "dcat_rdf/datara--5a26b0f6-0ccf-46ad-ac58-734054b91977.rdf.xml": ("dcat-rdfxml", 1, []),
    "dcat_rdf/datara--f40c3860-7236-4b30-a141-23b8ae33f7b2.rdf.xml": ("dcat-rdfxml", 1, []),
    "dcat_rdf/evian.json": ("dcat-us-json", 8, []),
    # a CSW GetRecordsResponse wrapping two rdf:RDF blocks
    "dcat_rdf/geonetwork-dcat-page-1.xml": ("dcat-rdfxml", 2, []),
    "dcat_rdf/geoplateforme-iso19139-IGNF_RPG.xml": ("iso19139", 1, []),
    # one node typed both dcat:Dataset and dcat:DatasetSeries
    "dcat_rdf/series.xml": ("dcat-rdfxml", 1, []),
    # the catalogue also references a dataset it does not describe
    "dcat_rdf/sig.oreme.rdf": ("dcat-rdfxml", 1, []),
    # two identical CSW answers of 4 ISO records, and an XSL stylesheet
    "dcat_rdf/udata_snapshot_csw-iso19139_geo-ide_ddt24.json": ("http-session", 4, []),
    # the same OpenDataSoft DCAT export answered twice
    "dcat_rdf/udata_snapshot_ods-dcat-export_capatlantique.json": ("http-session", 1, []),
}
UDATA_FILES = 366  # udata_json/*.json: one dataset object each
TOTALS = {"datagouv_csv": 6872, "udata_json": 366, "ckan_json": 16, "dcat_rdf": 20}
TOTAL = 7274


_READ: dict[str, list[Record | Problem]] = {}  # the corpus is parsed once per test session


@pytest.fixture
def datasets(corpus) -> Path:
    return corpus / "datasets"


@pytest.fixture
def read_all(datasets) -> dict[str, list[Record | Problem]]:
    """Every file of the corpus: {path relative to datasets/: items}."""
    if not _READ:
        for path in sorted(datasets.rglob("*")):
            if path.is_file():
                _READ[str(path.relative_to(datasets))] = list(iter_catalog(path))
    return _READ


def test_the_corpus_holds_the_expected_files(read_all):
    udata = {f for f in read_all if f.startswith("udata_json/")}
    assert len(udata) == UDATA_FILES
    assert set(read_all) - udata == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_file_exact_counts_and_problems(read_all, datasets, name):
    fmt, count, expected_problems = EXPECTED[name]
    items = read_all[name]
    assert sniff(datasets / name) == fmt
    assert sum(isinstance(i, Record) for i in items) == count
    assert [(p.where, p.message) for p in items if isinstance(p, Problem)] == expected_problems
    assert all(p.path == str(datasets / name) for p in items if isinstance(p, Problem))


def test_every_udata_file_is_one_dataset(read_all):
    for name, items in read_all.items():
        if name.startswith("udata_json/"):
            assert len(items) == 1 and isinstance(items[0], Record), name
            assert items[0].id == "datagouv:" + Path(name).stem
            assert items[0].position == "enregistrement 1"


def test_totals(read_all):
    per_folder: collections.Counter[str] = collections.Counter()
    for name, items in read_all.items():
        per_folder[name.split("/")[0]] += sum(isinstance(i, Record) for i in items)
    assert dict(per_folder) == TOTALS
    assert sum(per_folder.values()) == TOTAL
    all_problems = [p for items in read_all.values() for p in items if isinstance(p, Problem)]
    assert len(all_problems) == 2  # the two truncated slices, nothing else


def test_records_are_well_formed(read_all):
    canonical = {
        "", "Licence Ouverte 2.0", "Licence Ouverte 1.0", "Licence Ouverte", "ODbL", "PDDL", "CC-BY", "CC-BY-SA",
        "Autre (attribution)", "Autre (ouverte)", "Autre (domaine public)", "Non spécifiée", "Autre",
    }
    for name, items in read_all.items():
        ids = [r.id for r in items if isinstance(r, Record)]
        assert len(ids) == len(set(ids)), name  # sessions are deduplicated
        for r in items:
            if not isinstance(r, Record):
                continue
            assert r.kind == "dataset" and r.types == ("dataset",)
            assert r.id.split(":", 1)[0] in ("datagouv", "ckan", "dcat") and r.title
            assert r.licence in canonical, (name, r.licence_original)
            assert all(f == f.lower() and f.strip() == f for f in r.formats)
            assert len(r.formats) == len(set(r.formats))
            assert "\u00a0" not in r.body and "\u200b" not in r.body and "data:image" not in r.body
            assert r.summary == "" or len(r.summary) <= 201
            assert 0.0 <= r.richness <= 1.0
            assert r.position.startswith("ligne " if name.endswith(".csv") else "enregistrement ")


def test_readme_facts_survive_the_reading(read_all):
    csv = [r for name, items in read_all.items() if name.startswith("datagouv_csv/") for r in items
           if isinstance(r, Record)]
    titles = collections.Counter(r.title for r in csv)
    assert titles.most_common(1)[0][1] == 215  # one title repeats 215 times across distinct ids
    assert titles["{{name}}"] == 3
    old = {r.id for name, items in read_all.items() if "pgsearch" in name for r in items if isinstance(r, Record)}
    new = {r.id for name, items in read_all.items() if "export-dataset" in name for r in items
           if isinstance(r, Record)}
    assert len(old & new) == 881  # ids in both the 2020 and the 2026 exports
    assert max(len(r.tags) for r in csv) == 44
    archived = collections.Counter(dict(r.extra).get("archived") for r in csv)
    assert archived == {"non": 3187, "oui": 823, None: 2862}


def test_licence_spellings_of_the_corpus(read_all):
    pairs = {(r.licence_original, r.licence) for items in read_all.values() for r in items if isinstance(r, Record)}
    assert pairs == {
        ("", ""),
        ("Licence Ouverte / Open Licence", "Licence Ouverte 1.0"),
        ("Licence Ouverte / Open Licence version 2.0", "Licence Ouverte 2.0"),
        ("License Not Specified", "Non spécifiée"),
        ("Open Data Commons Open Database License (ODbL)", "ODbL"),
        ("Other (Attribution)", "Autre (attribution)"),
        ("Other (Public Domain)", "Autre (domaine public)"),
        ("Other (Open)", "Autre (ouverte)"),
        ("Creative Commons Attribution", "CC-BY"),
        ("Creative Commons Attribution Share-Alike", "CC-BY-SA"),
        ("Open Data Commons Public Domain Dedication and Licence (PDDL)", "PDDL"),
        ("lov2", "Licence Ouverte 2.0"),
        ("fr-lo", "Licence Ouverte 1.0"),
        ("notspecified", "Non spécifiée"),
        ("odc-odbl", "ODbL"),
        ("other-pd", "Autre (domaine public)"),
        ("other-open", "Autre (ouverte)"),
        ("cc-by", "CC-BY"),
        ("Licence Ouverte Version 2.0", "Licence Ouverte 2.0"),
        ("Licence Ouverte 2.0", "Licence Ouverte 2.0"),
        ("Autre Licence (spécifique)", "Autre (attribution)"),  # its license_id is other-at
        ("http://www.etalab.gouv.fr/pages/Licence_ouverte_Open_licence-5899923.html", "Licence Ouverte 1.0"),
        ("Soumis à la licence Etalab : https://www.etalab.gouv.fr/licence-ouverte-open-licence/", "Licence Ouverte"),
        ("Soumis à la licence Etalab", "Licence Ouverte"),
        ("Licence ouverte / Open Licence", "Licence Ouverte 1.0"),
        ("Ayant droit IGN Bénéficiaires du RGE", "Autre"),
        ("Licence Ouverte / Open License (compatible ODC-BY, CC-BY 2.0)", "Licence Ouverte 2.0"),
        ("Licence Ouverte / Open Licence Version 2.0 https://www.etalab.gouv.fr/licence-ouverte-open-licence",
         "Licence Ouverte 2.0"),
        ("https://www.etalab.gouv.fr/wp-content/uploads/2017/04/ETALAB-Licence-Ouverte-v2.0.pdf", "Licence Ouverte 2.0"),
    }


def test_a_few_real_records(read_all, datasets):
    def find(name, ident):
        return next(r for r in read_all[name] if isinstance(r, Record) and r.id == ident)

    dkan = find("ckan_json/dkan-french-w-license.json", "ckan:04be6288-696d-4331-850d-a144871a7e3a")
    assert (dkan.created, dkan.licence, dkan.spatial) == (
        "2019-12-10T09:23", "Licence Ouverte 1.0", "1.18652344,48.80546301,4.65820313,51.16423318",
    )
    evian = find("dcat_rdf/evian.json", "dcat:https://www.arcgis.com/home/item.html?id=f6565516d1354383b25793e630cf3f2b&sublayer=5")
    assert evian.body == "Emplacement et description des stationnement vélos à Evian-les-Bains"
    assert evian.formats == ("web page", "esri rest", "csv", "geojson", "zip", "kml")
    rpg = find("dcat_rdf/geoplateforme-iso19139-IGNF_RPG.xml", "dcat:IGNF_RPG")
    assert (rpg.title, rpg.licence, rpg.temporal) == ("RPG", "Licence Ouverte 2.0", "2007-01-01/2025-01-01")
    assert rpg.formats == ("gpkg", "wmts", "wms", "wfs")
    ods = find("dcat_rdf/udata_snapshot_ods-dcat-export_capatlantique.json",
               "dcat:https://data.capatlantique.fr/explore/dataset/264400516_arretes_ccas_guerande/")
    assert (ods.publisher, ods.licence, ods.formats) == ("CCAS Guérande", "Licence Ouverte 2.0", ("csv", "json"))
    series = find("dcat_rdf/series.xml", "dcat:FR-33071536800297-ATLAS_DCE_ARTOIS_PICARDIE_ETATGLOBAL")
    assert (series.publisher, series.temporal) == ("Ifremer", "2008-01-01T00:00:00/2014-01-30T00:00:00")


def test_what_real_records_carry_beyond_their_text(read_all):
    """Usage counts, acronym, coverage and frequency of named records, as the files give them."""

    def find(name, ident):
        return next(r for r in read_all[name] if isinstance(r, Record) and r.id == ident)

    finess = find("datagouv_csv/export-dataset-20260116-055249-part281.csv", "datagouv:53699569a3a729239d2046eb")
    assert finess.title.startswith("FINESS Extraction du Fichier des établissements")
    assert finess.metrics == (
        ("views", 451323.0), ("downloads", 462421.0), ("followers", 72.0), ("reuses", 46.0), ("discussions", 156.0),
    )
    assert (finess.featured, finess.quality, finess.popularity) == (False, 1.0, 1.0)
    assert (finess.zones, finess.granularity, finess.frequency) == (("France",), "fr:commune", "bimonthly")
    assert finess.coverage() == ("2015-03-18", "2024-09-06")
    assert (finess.created, finess.modified) == ("2013-07-08T15:31:16.545000", "2026-01-09T09:16:10.100000")

    accidents = find("datagouv_csv/export-dataset-20260116-055249-part281.csv", "datagouv:53698f4ca3a729239d2036df")
    assert (accidents.featured, accidents.popularity, accidents.granularity) == (True, 1.0, "poi")

    # the same dataset in a 2020 udata API answer: four signals, far fewer views
    old = find("udata_json/53698f4ca3a729239d2036df.json", "datagouv:53698f4ca3a729239d2036df")
    assert old.metrics == (("views", 1521.0), ("followers", 42.0), ("reuses", 50.0), ("discussions", 69.0))
    assert (old.quality, old.popularity, old.zones) == (0.889, 0.889, ("France",))

    road = find("udata_json/53698e4ba3a729239d203415.json", "datagouv:53698e4ba3a729239d203415")
    assert (road.title, road.popularity, road.granularity, road.frequency) == (
        "Accidents de la route", 0.251, "fr:departement", "annual",
    )
    assert road.coverage() == ("1999-01-01", "2011-12-31")

    zapef = find("datagouv_csv/export-dataset-20260116-055249-part34.csv", "datagouv:6823e5bd80919d834c4fd5c9")
    assert (zapef.acronym, zapef.popularity) == ("ZAPEF", 0.146)  # from "(ZAPEF)" in its title

    # the 2020 export has no metrics: neutral, not penalised
    pgsearch = [r for r in read_all["datagouv_csv/pgsearch_export_2020-01-11_spatial-France.csv"]
                if isinstance(r, Record)]
    assert {(r.metrics, r.popularity, r.featured) for r in pgsearch} == {((), 0.0, False)}


def test_catalogue_wide_counts_of_the_new_fields(read_all):
    records = [r for items in read_all.values() for r in items if isinstance(r, Record)]
    assert all(0.0 <= r.popularity <= 1.0 and 0.0 <= r.quality <= 1.0 for r in records)
    assert sum(r.popularity > 0 for r in records) == 4376  # every record with figures
    assert sum(r.popularity == 0.001 for r in records) == 4376 - 4141  # figures, all zero
    assert all(r.popularity > 0 for r in records if r.metrics)
    assert sum(r.featured for r in records) == 31
    assert sum(bool(r.acronym) for r in records) == 878
    acronyms = collections.Counter(r.acronym for r in records if r.acronym)
    assert acronyms.most_common(2) == [("TRI", 250), ("PLF2012", 46)]
    assert collections.Counter(r.granularity for r in records).most_common(2) == [("", 5029), ("other", 1828)]
    assert collections.Counter(r.frequency for r in records).most_common(3) == [
        ("", 4367), ("unknown", 1368), ("annual", 870),
    ]
