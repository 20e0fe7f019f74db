"""Ranking priors and acronyms: the popularity prior on the real udata records of the
shared corpus (366 records, indexed once), acronyms on records written for the test."""

import json

import pytest
from click.testing import CliRunner

from searchkit.cli import main
from searchkit.index import update_index
from searchkit.messages import t
from searchkit.query import Engine
from searchkit.query import engine as engine_module
from tests.helpers import write_note

RNA = "datagouv:58e53811c751df03df38f42d"  # Répertoire National des Associations (2,345 views, 53 followers...)


@pytest.fixture(scope="module")
def udata_index(tmp_path_factory):
    from tests.conftest import CORPUS

    folder = CORPUS / "datasets" / "udata_json"
    if not folder.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    index = tmp_path_factory.mktemp("udata") / "idx"
    update_index(index, [folder])
    return index


def _search(index, text, **options):
    engine = Engine(index)
    try:
        return engine.search(text, kind="dataset", facets=(), **options)
    finally:
        engine.close()


def _configure(tmp_path, monkeypatch, popularity: float):
    config = tmp_path / "config.toml"
    config.write_text(f"[ranking]\npopularity = {popularity}\n", encoding="utf-8")
    monkeypatch.setenv("SEARCHKIT_CONFIG", str(config))


def test_a_broad_word_puts_the_popular_national_dataset_first(udata_index):
    hits = _search(udata_index, "associations").hits
    assert hits[0].id == RNA
    assert hits[0].title == "Répertoire National des Associations"


def test_the_weight_is_read_from_the_configuration_file(udata_index, tmp_path, monkeypatch):
    _configure(tmp_path, monkeypatch, 0)
    hits = _search(udata_index, "associations", limit=10).hits
    # by the words alone, short local titles that repeat the word come first
    assert hits[0].title == "Associations sévriennes"
    assert RNA not in [h.id for h in hits[:3]]


def test_a_precise_title_still_comes_first(udata_index):
    # "ASSOCIATIONS (JOAFE)" and the national register are far more popular
    hits = _search(udata_index, "annuaire des associations").hits
    assert hits[0].title == "Annuaire des associations"
    hits = _search(udata_index, "subventions aux associations").hits
    assert [h.title for h in hits[:2]] == ["Subventions aux associations"] * 2


def test_a_record_without_usage_figures_keeps_its_score(udata_index, tmp_path, monkeypatch):
    # the prior alone: the neighbour words are read from the ranking, which the prior changes
    monkeypatch.setitem(engine_module.NEIGHBOURS, "weight", 0.0)
    with_prior = {h.id: h.score for h in _search(udata_index, "associations", limit=200).hits}
    _configure(tmp_path, monkeypatch, 0)
    without = {h.id: h.score for h in _search(udata_index, "associations", limit=200).hits}
    assert with_prior.keys() == without.keys() and len(without) == 94
    engine = Engine(udata_index)
    try:
        engine.searcher()
        popular = engine._popularity()
        docnum = {i: engine._record_numbers("id", i)[0] for i in without}
        popularity = {i: popular.get(d, 0.0) for i, d in docnum.items()}
        estimated = engine._typical(list(docnum.values()), popular)
        local = {i for i, d in docnum.items() if d in engine._coverage().local([d])}
    finally:
        engine.close()
    # every udata record has figures; 31 of them are all zero: measured, not used
    unused = [i for i, p in popularity.items() if p == 0.001]
    assert len(unused) == 31 and not estimated
    assert all(with_prior[i] >= without[i] for i in unused)  # never lowered
    # 94 records: a broad word, so those titled or tagged with it are brought closer to the best
    titled = {h.id for h in _search(udata_index, "associations", limit=200).hits
              if "association" in h.title.casefold() or any("association" in g.casefold() for g in h.tags)}
    # except the datasets of one place: the word names none, their usage does not count
    raised = {i for i in unused if with_prior[i] > without[i]}
    assert raised == {i for i in unused if i in titled and i not in local} and len(raised) == 8
    assert len(titled) == 92  # and 2 records that only mention the word keep their text score
    assert len(local) == 60 and all(with_prior[i] == without[i] for i in local)
    assert all(with_prior[i] > without[i] for i, p in popularity.items() if p > 0.001 and i not in local)


SIRENE = "datagouv:5b7ffc618b4c4169d30727e0"  # Base Sirene des entreprises et de leurs établissements


def test_among_many_records_titled_with_a_broad_word_usage_chooses(udata_index, tmp_path, monkeypatch):
    # 88 records hold "entreprises", a dozen of them in a short title that repeats it
    result = _search(udata_index, "entreprises")
    assert result.total == 88
    assert result.hits[0].id == SIRENE
    _configure(tmp_path, monkeypatch, 0)
    monkeypatch.setitem(engine_module.NEIGHBOURS, "weight", 0.0)  # the words alone
    hits = _search(udata_index, "entreprises", limit=10).hits
    # by the words alone: local lists whose short title repeats the word
    assert [h.title for h in hits[:2]] == ["Béthune - Entreprises", "Aides entreprises"]
    assert SIRENE not in [h.id for h in hits]


def test_a_word_few_records_hold_is_left_to_the_text(udata_index):
    # 8 records: not broad, no part of the score is the broad word's
    result = _search(udata_index, "accidents", explain=True)
    assert result.total == 8
    prefix = t("query.broad", score="").split("+")[0]
    assert not any(line.startswith(prefix) for hit in result.hits for line in hit.explain)
    assert result.hits[0].title.startswith("Bases de données annuelles des accidents corporels")


def test_explain_shows_the_popularity_part(udata_index):
    result = CliRunner().invoke(main, ["query", "associations", "--kind", "dataset", "--explain", "-n", "1",
                                       "--index", str(udata_index)])
    assert result.exit_code == 0, result.output
    assert "Répertoire National des Associations" in result.output
    prefix = t("query.popularity", score="").split("+")[0]
    line = next(line for line in result.output.splitlines() if line.strip().startswith("score"))
    part = line.split(prefix + "+")[1].split()[0]
    assert float(part) > 1.0


def test_explain_shows_the_broad_word_part(udata_index):
    result = CliRunner().invoke(main, ["query", "entreprises", "--kind", "dataset", "--explain", "-n", "1",
                                       "--index", str(udata_index)])
    assert result.exit_code == 0, result.output
    assert "Base Sirene des entreprises" in result.output
    line = next(line for line in result.output.splitlines() if line.strip().startswith("score"))
    for key in ("query.popularity", "query.broad"):
        prefix = t(key, score="").split("+")[0]
        assert float(line.split(prefix + "+")[1].split()[0]) > 1.0


def _dataset(folder, ident, title, acronym=None, description="Un jeu de données."):
    record = {"id": ident, "slug": ident, "title": title, "description": description, "tags": [],
              "license": "lov2", "resources": []}
    if acronym:
        record["acronym"] = acronym
    (folder / f"{ident}.json").write_text(json.dumps(record), encoding="utf-8")


@pytest.fixture
def acronym_engine(tmp_path):
    folder = tmp_path / "catalogue"
    folder.mkdir()
    _dataset(folder, "rna", "Registre des groupements déclarés", acronym="RNA")
    _dataset(folder, "bal", "Fichier des voies de la commune (BAL)")
    _dataset(folder, "ztl", "Périmètre de la zone à trafic limité de la presqu'île")
    _dataset(folder, "enaf", "Consommation d'espaces", acronym="CONSOENAF")
    _dataset(folder, "other", "Tarifs locaux", description="Zone de stationnement, trafic limité.")
    _dataset(folder, "noise", "Bilan annuel", description="Un bilan.")
    notes = tmp_path / "notes"
    notes.mkdir()
    write_note(notes, "plu.md", "Plan local d'urbanisme", "Les règles de construction de la ville.")
    update_index(tmp_path / "idx", [folder, notes])
    engine = Engine(tmp_path / "idx")
    yield engine
    engine.close()


@pytest.mark.parametrize("typed, first", [
    ("RNA", "Registre des groupements déclarés"),  # the record's acronym field
    ("bal", "Fichier des voies de la commune (BAL)"),  # the acronym its title gives in parentheses
    ("ZTL", "Périmètre de la zone à trafic limité de la presqu'île"),  # initials of consecutive words
    ("CONSO", "Consommation d'espaces"),  # a longer acronym that starts with it
    ("PLU", "Plan local d'urbanisme"),  # a note's title
])
def test_a_typed_acronym_finds_its_record(acronym_engine, typed, first):
    hits = acronym_engine.search(typed, facets=(), explain=True).hits
    assert hits[0].title == first
    assert any("(acronym)" in part for part in hits[0].explain)


def test_a_known_lower_case_word_is_not_read_as_initials(acronym_engine):
    # "bilan" is a word of the records: it is not completed as an acronym ("bilan..." initials)
    assert [h.title for h in acronym_engine.search("bilan", facets=()).hits] == ["Bilan annuel"]


def test_when_no_record_holds_every_word_the_rarer_word_leads(udata_index, monkeypatch):
    # no record holds both; "bébés" is in the descriptions of a few first-name files,
    # "noms" in far more records, among them lists of elected officials
    result = _search(udata_index, "noms de bébés", explain=True)
    assert result.notice == t("query.fallback")
    assert result.total == 40
    assert result.hits[0].title == "Liste des prénoms 2004 à 2013"
    prefix = t("query.words", score="").split("+")[0]
    assert any(line.startswith(prefix) for line in result.hits[0].explain)
    monkeypatch.setattr(engine_module, "INFORMED", 0.0)
    assert _search(udata_index, "noms de bébés").hits[0].title == "Élus CACL"


def _neighbour_lines(hit) -> list[str]:
    prefix = t("query.neighbours", score="").split("+")[0]
    return [line for line in hit.explain if line.startswith(prefix)]


@pytest.fixture
def topic_catalogue(tmp_path):
    """Ten local datasets titled 'cadastre ... parcellaire', a national one named only by
    the topic's vocabulary (its description says 'cadastre'), and one that has the typed
    word without that vocabulary."""
    folder = tmp_path / "catalogue"
    folder.mkdir()
    for n in range(10):
        _dataset(folder, f"local{n}", f"Cadastre parcellaire de la commune {n}", description="Le cadastre de la commune.")
    _dataset(folder, "pci", "Plan parcellaire informatisé", description="Le cadastre de toute la France.")
    _dataset(folder, "vignes", "Cadastre des vignes", description="Les vignes.")
    return folder


def test_the_best_datasets_vocabulary_lifts_the_records_named_by_it(topic_catalogue, tmp_path, monkeypatch):
    index = tmp_path / "idx"
    update_index(index, [topic_catalogue])
    result = _search(index, "cadastre", explain=True, limit=20)
    hits = {hit.id.split(":")[-1]: hit for hit in result.hits}
    assert result.total == 12
    # 'parcellaire' is in the title of the ten best: the record titled with it gains,
    # the one titled with the typed word alone does not
    assert len(_neighbour_lines(hits["pci"])) == 1 and not _neighbour_lines(hits["vignes"])
    gain = float(_neighbour_lines(hits["pci"])[0].split("+")[1].split()[0])
    # the part shown is what the record gained: without it, its score is that much lower
    monkeypatch.setitem(engine_module.NEIGHBOURS, "weight", 0.0)
    without = {hit.id.split(":")[-1]: hit.score for hit in _search(index, "cadastre", limit=20).hits}
    assert hits["pci"].score - without["pci"] == pytest.approx(gain, abs=0.01)
    assert hits["vignes"].score == pytest.approx(without["vignes"])
    # nine records or fewer: too few to say what the topic is called
    for n in range(9, 3, -1):
        (topic_catalogue / f"local{n}.json").unlink()
    update_index(index, [topic_catalogue])
    monkeypatch.setitem(engine_module.NEIGHBOURS, "weight", 0.3)
    assert not any(_neighbour_lines(hit) for hit in _search(index, "cadastre", explain=True, limit=20).hits)


def test_notes_are_left_to_their_text(topic_catalogue, tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    for n in range(10):
        write_note(notes, f"local{n}.md", f"Cadastre parcellaire de la commune {n}", "Le cadastre.")
    write_note(notes, "pci.md", "Plan parcellaire informatisé", "Le cadastre de toute la France.")
    index = tmp_path / "idx"
    update_index(index, [notes])
    engine = Engine(index)
    try:
        result = engine.search("cadastre", facets=(), explain=True)
    finally:
        engine.close()
    assert result.total == 11
    assert not any(_neighbour_lines(hit) for hit in result.hits)


def test_a_dataset_without_figures_gets_its_publishers_typical_usage(tmp_path):
    from searchkit.sources.catalogs.common import popularity

    folder = tmp_path / "catalogue"
    folder.mkdir()
    views = {"a1": 1_000, "a2": 5_000, "a3": 100_000, "b1": 50_000, "b2": 80_000}
    for ident, title, org, count in [
        ("a1", "Horaires des trains", "Ministère A", views["a1"]),
        ("a2", "Gares des trains", "Ministère A", views["a2"]),
        ("a3", "Retards des trains", "ministère a", views["a3"]),  # the same publisher, spelt otherwise
        ("a4", "Tarifs des trains", "Ministère A", None),
        ("b1", "Trains touristiques", "Commune B", views["b1"]),
        ("b2", "Navettes et trains", "Commune B", views["b2"]),
        ("b3", "Parkings des trains", "Commune B", None),
    ]:
        record = {"id": ident, "slug": ident, "title": title, "description": "Des trains.", "tags": [],
                  "license": "lov2", "resources": [], "organization": {"name": org}}
        if count is not None:
            record["metrics"] = {"views": count}
        (folder / f"{ident}.json").write_text(json.dumps(record), encoding="utf-8")
    index = tmp_path / "idx"
    update_index(index, [folder])
    hits = {h.id.split(":")[-1]: h for h in _search(index, "trains", explain=True).hits}
    assert len(hits) == 7
    estimated = t("query.typical", score="").split("+")[0]
    measured = t("query.popularity", score="").split("+")[0]
    lines = {i: [line for line in h.explain if line.startswith((estimated, measured))] for i, h in hits.items()}
    # three measured records of Ministère A: the median of theirs stands for a4's
    assert [line.split("+")[0] for line in lines["a4"]] == [estimated]
    # Commune B has two: too few, b3 keeps no popularity part
    assert lines["b3"] == []
    assert all(lines[i] and lines[i][0].startswith(measured) for i in views)
    engine = Engine(index)
    try:
        engine.searcher()
        popular = engine._popularity()
        a4 = engine._record_numbers("id", "datagouv:a4")[0]
        b3 = engine._record_numbers("id", "datagouv:b3")[0]
        assert a4 not in popular and b3 not in popular  # no figures of their own
        assert engine._typical([a4, b3], popular) == {a4: popularity([("views", views["a2"])])}
    finally:
        engine.close()


def _coverage_catalogue(tmp_path, extra=()):
    """24 datasets on parking: 20 communes' own lists, with many views, short titles
    that repeat the word; a ministry's national one, fewer views, a longer title; three others."""
    folder = tmp_path / "catalogue"
    folder.mkdir()
    towns = ["Blois", "Vendôme", "Gap", "Crots", "Baratier", "Orléans", "Tours", "Bourges", "Chartres", "Dreux",
             "Rennes", "Vannes", "Lorient", "Brest", "Quimper", "Morlaix", "Lannion", "Dinan", "Redon", "Fougères"]
    records = [(f"c{i}", f"Parkings de {town}", f"Ville de {town}", [town], 20_000) for i, town in enumerate(towns)]
    records += [("nat", "Base nationale des parkings publics et de leurs places", "Ministère des Transports", [], 8_000),
                ("fr", "Parkings relais en France", "Cerema", ["country:fr"], 3_000),
                ("x1", "Parkings vélo", "NosDonnées.fr", [], 2_000),
                ("x2", "Tarifs des parkings", "NosDonnées.fr", [], 1_000), *extra]
    for ident, title, org, zones, views in records:
        record = {"id": ident, "slug": ident, "title": title, "description": "Des parkings.", "tags": ["parkings"],
                  "license": "lov2", "resources": [], "organization": {"name": org}, "metrics": {"views": views},
                  "spatial": {"zones": zones}}
        (folder / f"{ident}.json").write_text(json.dumps(record), encoding="utf-8")
    index = tmp_path / "idx"
    update_index(index, [folder])
    return index


def test_a_broad_word_naming_no_place_leaves_local_datasets_to_their_text(tmp_path):
    index = _coverage_catalogue(tmp_path)
    result = _search(index, "parkings", explain=True, limit=30)
    assert result.total == 24
    ids = [h.id.split(":")[-1] for h in result.hits]
    # the national, the country-wide and the two of unknown coverage first, every town's after
    assert set(ids[:4]) == {"nat", "fr", "x1", "x2"}
    assert all(i.startswith("c") for i in ids[4:])
    local = t("query.local", score="").split(" ")[0]
    usage = t("query.popularity", score="").split("+")[0]

    def parts(hit):
        return [(line.split(" ")[0], float(line.split()[1 if line.startswith(usage) else 2]))
                for line in hit.explain if line.startswith((local, usage))]

    national = parts(result.hits[ids.index("nat")])
    assert [name for name, _ in national] == [usage.split(" ")[0]]
    for hit in result.hits[4:]:
        # a town's usage is more than the ministry's, and it is shown, then taken back
        (name, lift), (name2, back) = parts(hit)
        assert (name, name2) == (usage.split(" ")[0], local)
        assert lift > national[0][1] and back == -lift


def test_a_broad_word_that_names_a_place_keeps_local_usage(tmp_path):
    extra = [(f"b{i}", f"Blois {topic}", "Ville de Blois", ["Blois"], 100 * i)
             for i, topic in enumerate(["piscines", "écoles", "marchés", "bus", "vélos", "jardins", "musées",
                                        "cimetières", "stades", "gymnases", "crèches", "halles", "ponts",
                                        "fontaines", "églises", "théâtres", "places", "rues", "quais", "parcs"])]
    extra.append(("nb", "Blois dans la base nationale des communes", "Ministère des Communes", [], 50_000))
    index = _coverage_catalogue(tmp_path, extra)
    result = _search(index, "blois", explain=True, limit=30)
    assert result.total == 22  # the town's 21 and its parking list: a broad word, but a place
    local = t("query.local", score="").split(" ")[0]
    assert not any(line.startswith(local) for hit in result.hits for line in hit.explain)


@pytest.mark.parametrize("zones, publisher, others, reach", [
    (("Sixt-sur-Aff",), "Commune de Sixt-sur-Aff", (), -1),
    (("France", "DROM-COM"), "Commune de Sixt-sur-Aff", (), 1),  # the zones say more than the publisher
    (("DROM-COM",), "Premier ministre", (), -1),
    ((), "Ministère de la Culture", (), 1),
    ((), "Région Hauts-de-France", (), -1),  # a local authority, whatever else its name says
    ((), "Direction Départementale des Territoires de l'Orne", (), -1),
    ((), "Météo-France", (), 1),
    ((), "NosDonnées.fr", (), None),
    ((), "Lig'Air", [("Orléans",), ("Tours",), ("France",)], -1),  # its other datasets, by majority
    ((), "OpenStreetMap", [("France",), ()], 1),
    ((), "Yanport", [("Orléans",), ("France",)], None),
    ((), "", [("France",)], None),
])
def test_what_a_dataset_covers(zones, publisher, others, reach):
    from searchkit.query.coverage import reach_of

    assert reach_of(zones, publisher, others) == reach


def test_a_broad_word_is_carried_by_its_own_forms_not_by_its_stem(tmp_path):
    # the stemmer gives "stationnement" and "station" one stem: a weather station's record
    # holds the stem, not the word, and gets no part of the broad word
    folder = tmp_path / "catalogue"
    folder.mkdir()
    records = [(f"s{i}", f"Stationnement {'payant ' * (i % 3)}de la zone {i}", 1_000 + 10 * i) for i in range(24)]
    records.append(("meteo", "Relevés horaires des stations météo du réseau régional de mesure de la qualité", 90_000))
    for ident, title, views in records:
        record = {"id": ident, "slug": ident, "title": title, "description": "Des places.", "tags": [],
                  "license": "lov2", "resources": [], "metrics": {"views": views}}
        (folder / f"{ident}.json").write_text(json.dumps(record), encoding="utf-8")
    index = tmp_path / "idx"
    update_index(index, [folder])
    result = _search(index, "stationnement", explain=True, limit=30)
    assert result.total == 25
    broad = t("query.broad", score="").split("+")[0]
    lifted = {h.id.split(":")[-1] for h in result.hits if any(line.startswith(broad) for line in h.explain)}
    assert "meteo" not in lifted and len(lifted) >= 10 and all(i.startswith("s") for i in lifted)


def test_json_carries_the_explanation_when_asked(udata_index):
    args = ["query", "associations", "--kind", "dataset", "-n", "3", "--index", str(udata_index)]
    plain = json.loads(CliRunner().invoke(main, [*args, "--format", "json"]).output)
    assert all("explain" not in hit for hit in plain["hits"])  # the contract, unchanged without it
    result = CliRunner().invoke(main, [*args, "--format", "json", "--explain"])
    assert result.exit_code == 0, result.output
    hits = json.loads(result.output)["hits"]
    assert hits[0]["title"] == "Répertoire National des Associations"
    usage = t("query.popularity", score="").split("+")[0]
    assert any(line.startswith(usage) for line in hits[0]["explain"])
    text = CliRunner().invoke(main, [*args, "--explain"]).output
    line = next(line for line in text.splitlines() if line.strip().startswith("score"))
    assert line.split(": ", 1)[1] == " ".join(hits[0]["explain"])  # the same lines as the text
    lines = CliRunner().invoke(main, [*args, "--format", "jsonl", "--explain"]).output.splitlines()
    assert [json.loads(x)["explain"] for x in lines] == [h["explain"] for h in hits]
