"""Dataset catalogues: the public API, each quirk of the real files, XML safety, robustness.

Exact field-by-field expectations for every fixture are in
``test_catalogs_fixtures.py``; the shared real corpus is in
``test_catalogs_corpus.py``.
"""

from __future__ import annotations

import json
import logging
import socket
import string
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from searchkit.errors import SearchkitError, SourceError
from searchkit.model import Problem, Record
from searchkit.sources.catalogs import CATALOG_SUFFIXES, FORMATS, is_candidate, iter_catalog, sniff
from searchkit.sources.catalogs import dispatch
from searchkit.sources.catalogs.common import (
    Src,
    bbox_text,
    build,
    html_to_text,
    normalise_date,
    normalise_formats,
    normalise_licence,
    period,
    richness,
    summarize,
)
from tests.conftest import FIXTURES

CATALOGS = FIXTURES / "catalogs"


def items_of(path: Path) -> list[Record | Problem]:
    return list(iter_catalog(path))


def records(items) -> list[Record]:
    return [i for i in items if isinstance(i, Record)]


def problems(items) -> list[Problem]:
    return [i for i in items if isinstance(i, Problem)]


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


# ------------------------------------------------------------------ public API


def test_catalog_suffixes():
    assert CATALOG_SUFFIXES == frozenset({".csv", ".json", ".jsonld", ".xml", ".rdf", ".ttl", ".n3", ".nt"})
    assert is_candidate(Path("datara--5a26.rdf.xml"))
    assert is_candidate(Path("EXPORT.CSV"))
    assert not is_candidate(Path("note.md"))


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("datagouv-export.csv", "datagouv-csv"),
        ("datagouv-export-tronque.csv", "datagouv-csv"),
        ("pgsearch-export.csv", "datagouv-csv"),
        ("udata-dataset.json", "udata-json"),
        ("udata-page.json", "udata-json"),
        ("ckan-package-search.json", "ckan-json"),
        ("dkan-package-show.json", "ckan-json"),
        ("ckan-erreur.json", "ckan-json"),
        ("session-ckan.json", "http-session"),
        ("session-csw.json", "http-session"),
        ("dcat-us.json", "dcat-us-json"),
        ("dcat.rdf", "dcat-rdfxml"),
        ("csw-dcat.xml", "dcat-rdfxml"),
        ("dcat.ttl", "dcat-turtle"),
        ("dcat.jsonld", "dcat-jsonld"),
        ("csw-iso19139.xml", "iso19139"),
        ("iso19139.xml", "iso19139"),
        ("ods-export-v21.json", "ods-json"),
        ("ods-datasets-v20.json", "ods-json"),
        ("ods-search-v1.json", "ods-v1-json"),
        ("ods-catalogue.csv", "ods-csv"),
        ("prenoms-rennes/datapackage.json", "datapackage"),
        ("casse.json", None),
        ("inconnu.json", None),
        ("inconnu.xml", None),
        ("notes.csv", None),
    ],
)
def test_sniff_reads_the_content(name, fmt):
    assert sniff(CATALOGS / name) == fmt
    assert fmt is None or fmt in FORMATS


def test_sniff_ignores_the_file_name(tmp_path):
    # an old narrow export saved as .json, a DCAT-US catalogue saved as .csv
    disguised = write(tmp_path, "export.json", (CATALOGS / "pgsearch-export.csv").read_bytes())
    assert sniff(disguised) == "datagouv-csv"
    assert len(records(items_of(disguised))) == 3
    other = write(tmp_path, "catalogue.csv", (CATALOGS / "dcat-us.json").read_bytes())
    assert sniff(other) == "dcat-us-json"


def test_sniff_uses_only_the_head_of_a_big_json(tmp_path, monkeypatch):
    monkeypatch.setattr(dispatch, "SNIFF_PARSE_LIMIT", 10)
    assert sniff(CATALOGS / "udata-dataset.json") == "udata-json"
    assert sniff(CATALOGS / "ckan-package-search.json") == "ckan-json"
    assert sniff(CATALOGS / "session-csw.json") == "http-session"
    assert sniff(CATALOGS / "ods-search-v1.json") == "ods-v1-json"
    assert sniff(CATALOGS / "dcat-us.json") == "dcat-us-json"


def test_unreadable_files_raise_source_error(tmp_path):
    with pytest.raises(SourceError, match="Impossible de lire"):
        list(iter_catalog(tmp_path / "absent.csv"))
    with pytest.raises(SourceError):
        sniff(tmp_path / "absent.csv")
    with pytest.raises(SourceError):
        list(iter_catalog(tmp_path))  # a folder


def test_records_carry_the_resolved_path_problems_the_path_as_given(tmp_path, monkeypatch):
    monkeypatch.chdir(CATALOGS)
    record = records(items_of(Path("udata-dataset.json")))[0]
    assert record.path == str((CATALOGS / "udata-dataset.json").resolve())
    assert record.mtime == (CATALOGS / "udata-dataset.json").stat().st_mtime
    assert record.kind == "dataset" and record.types == ("dataset",)
    assert problems(items_of(Path("casse.json")))[0].path == "casse.json"


# ------------------------------------------------------------------ data.gouv.fr CSV quirks


def test_export_quirks_crlf_records_lf_inside_quotes_and_a_lone_cr_at_the_end():
    path = CATALOGS / "datagouv-export.csv"
    raw = path.read_bytes()
    assert raw.endswith(b"\r") and not raw.endswith(b"\r\n")
    assert b"</p>\n<p" in raw and b"\r\nLe terrier" in raw
    items = items_of(path)
    # line numbers count the LF inside quoted descriptions: records start on lines 2, 4, 10, 11, 13
    assert [i.position if isinstance(i, Record) else i.where for i in items] == [
        "ligne 2", "ligne 4", "ligne 10", "ligne 11", "ligne 13",
    ]
    last = items[-1]
    assert last.id == "datagouv:6969c228770f993ed4817ef7"  # the record before the lone \r is complete
    assert last.body.endswith("Le terrier est compté une seule fois.")


def test_export_truncated_in_a_quoted_description_keeps_complete_records():
    items = items_of(CATALOGS / "datagouv-export-tronque.csv")
    assert [r.id for r in records(items)] == [
        "datagouv:5b3f2c1a8b4c410a1d2e3f40",
        "datagouv:6969c228770f993ed4817ef7",
    ]
    assert problems(items) == [
        Problem(
            str(CATALOGS / "datagouv-export-tronque.csv"),
            "fichier tronqué : le dernier enregistrement (ligne 6) est incomplet (10 colonnes sur 40) et a été ignoré.",
            "ligne 6",
        )
    ]


def test_export_fields_archived_tags_and_metrics():
    first, second, name_only, hamster = records(items_of(CATALOGS / "datagouv-export.csv"))
    assert dict(first.extra)["archived"] == "non"  # "False"
    assert dict(second.extra)["archived"] == "oui"  # a timestamp
    assert first.tags == ("donnees-ouvertes", "mobilite-douce", "velo")  # comma-separated slugs
    assert name_only.title == "{{name}}"  # kept: three real titles are literally {{name}}
    assert hamster.formats == ("shp", "web page")  # a harvester's blank node id is not a format
    assert not any("{'" in v for r in (first, second) for _, v in r.extra)  # metrics dicts ignored


def test_description_mess_is_cleaned():
    first, second, *_ = records(items_of(CATALOGS / "datagouv-export.csv"))
    # Word's <p class="MsoNormal">, &nbsp;, &#x27;
    assert first.body == "Localisation des arceaux vélos sur l'espace public de la métropole.\n\nMise à jour : chaque année."
    # Markdown, decomposed accent (e + U+0301), zero-width space, non-breaking space
    assert "Montbéliard et ses environs" in second.body
    assert "\u0301" not in second.body and "\u200b" not in second.body and "\u00a0" not in second.body


def test_narrow_export_with_commas_is_read_by_its_header(tmp_path):
    items = items_of(CATALOGS / "pgsearch-export.csv")
    assert [r.position for r in records(items)] == ["ligne 2", "ligne 4", "ligne 5"]
    assert records(items)[1].body == 'Les CRC sont des juridictions "financières" indépendantes.'


def test_a_row_with_the_wrong_number_of_columns_is_skipped_and_reading_goes_on(tmp_path):
    path = write(
        tmp_path,
        "export.csv",
        "id,title,url,description,organization\n"
        "a1,Premier,https://x.fr/1,Un,Org\n"
        "a2,Deuxième,https://x.fr/2\n"
        "a3,Troisième,https://x.fr/3,Trois,Org\n",
    )
    items = items_of(path)
    assert [r.id for r in records(items)] == ["datagouv:a1", "datagouv:a3"]
    assert problems(items) == [Problem(str(path), "3 colonnes au lieu de 5 : enregistrement ignoré.", "ligne 3")]


def test_windows_1252_export(tmp_path):
    path = write(
        tmp_path,
        "ancien.csv",
        "id;title;description;organization\r\nb1;Crèches de Besançon;Équipements d'accueil;Ville de Besançon\r\n".encode(
            "cp1252"
        ),
    )
    (record,) = records(items_of(path))
    assert record.title == "Crèches de Besançon"
    assert record.publisher == "Ville de Besançon"


def test_csv_with_a_byte_order_mark(tmp_path):
    path = write(tmp_path, "bom.csv", "\ufeffid,title,url\nc1,Avec BOM,https://x.fr\n")
    assert [r.id for r in records(items_of(path))] == ["datagouv:c1"]


def test_csv_is_streamed(tmp_path, monkeypatch):
    # the first record comes out before the rest of the file is parsed
    rows = "".join(f"id{i},Titre {i},https://x.fr/{i},Description {i},Org\n" for i in range(20000))
    path = write(tmp_path, "gros.csv", "id,title,url,description,organization\n" + rows)
    stream = iter_catalog(path)
    first = next(stream)
    assert first.id == "datagouv:id0" and first.position == "ligne 2"
    stream.close()


# ------------------------------------------------------------------ JSON shapes


def test_udata_list_and_api_v2_resources(tmp_path):
    one = json.loads((CATALOGS / "udata-dataset.json").read_text("utf-8"))
    two = dict(one, id="53698e4ba3a729239d203500", title="Accidents 2013", resources={"href": "https://x", "total": 7})
    path = write(tmp_path, "liste.json", json.dumps([one, two]))
    first, second = records(items_of(path))
    assert (first.position, second.position) == ("enregistrement 1", "enregistrement 2")
    assert second.formats == ()
    assert second.richness > first.richness - 0.2  # 7 resources counted without their formats


def test_ckan_package_list_and_nested_dkan_lists(tmp_path):
    names = write(tmp_path, "liste.json", json.dumps({"help": "x", "success": True, "result": ["a", "b"]}))
    assert items_of(names) == [
        Problem(str(names), "réponse CKAN sans description (2 noms seulement, package_list ?) : ignorée.")
    ]
    pkg = json.loads((CATALOGS / "dkan-package-show.json").read_text("utf-8"))["result"][0]
    nested = write(tmp_path, "dkan.json", json.dumps({"help": "x", "success": True, "result": [[pkg]]}))
    assert [r.id for r in records(items_of(nested))] == ["ckan:04be6288-696d-4331-850d-a144871a7e3a"]


def test_broken_json_names_the_line(tmp_path):
    path = write(tmp_path, "casse.json", '{\n  "data": [\n    {"id": "x",, "title": "y"}\n  ]\n}\n')
    assert items_of(path) == [Problem(str(path), "JSON invalide (colonne 16) : nom de propriété entre guillemets attendu.", "ligne 3")]


def test_json_nested_too_deep(tmp_path):
    path = write(tmp_path, "profond.json", "[" * 100_000 + "]" * 100_000)
    (problem,) = items_of(path)
    assert isinstance(problem, Problem)


def test_unknown_and_empty_files(tmp_path):
    assert items_of(CATALOGS / "inconnu.json") == [
        Problem(str(CATALOGS / "inconnu.json"), "format de catalogue non reconnu : fichier ignoré.")
    ]
    empty = write(tmp_path, "vide.json", b"")
    assert items_of(empty) == [Problem(str(empty), "fichier vide : aucun jeu de données.")]
    binary = write(tmp_path, "image.xml", bytes(range(256)))
    assert items_of(binary) == [Problem(str(binary), "format de catalogue non reconnu : fichier ignoré.")]


def test_too_big_for_a_whole_file_format(tmp_path, monkeypatch):
    monkeypatch.setattr(dispatch, "MAX_WHOLE_FILE", 100)
    path = CATALOGS / "udata-dataset.json"
    (problem,) = items_of(path)
    assert problem.message == "fichier trop gros pour ce format (0 Mo, au plus 0 Mo) : ignoré."
    # CSV is streamed: no limit
    assert len(records(items_of(CATALOGS / "pgsearch-export.csv"))) == 3


def test_session_problems_name_the_response(tmp_path):
    session = {
        "requests_history": [
            {"request": {"url": "https://x.fr/api/3/action/package_search"}, "response": {"status_code": 200, "body": '{"help": "x", "result": {'}},
            {"request": {"url": "https://x.fr/api/3/action/package_show"}, "response": {"status_code": 500, "body": "oops"}},
        ]
    }
    path = write(tmp_path, "session.json", json.dumps(session))
    assert items_of(path) == [
        Problem(str(path), "JSON invalide (ligne 1, colonne 26) : nom de propriété entre guillemets attendu.", "réponse 1")
    ]


def test_datapackage_named_by_its_name_or_its_folder(tmp_path):
    descriptor = json.loads((CATALOGS / "prenoms-rennes" / "datapackage.json").read_text("utf-8"))
    named = write(tmp_path, "a/datapackage.json", json.dumps(dict(descriptor, name="prenoms-2023")))
    assert records(items_of(named))[0].id == "datapackage:prenoms-2023"
    stem = write(tmp_path, "b/prenoms.datapackage.json", json.dumps(descriptor))
    assert records(items_of(stem))[0].id == "datapackage:prenoms.datapackage"


# ------------------------------------------------------------------ RDF


def test_jsonld_remote_context_is_never_fetched(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    (record,) = items_of(CATALOGS / "dcat.jsonld")
    assert record.title == "Base adresse locale de Lannion"


def test_rdflib_noise_stays_out_of_the_terminal(caplog, capsys):
    # dcat.rdf has an empty xsd:date literal, which rdflib logs with a traceback
    with caplog.at_level(logging.DEBUG):
        items_of(CATALOGS / "dcat.rdf")
        items_of(CATALOGS / "dcat.jsonld")
    assert [r for r in caplog.records if r.name.startswith("rdflib")] == []
    assert capsys.readouterr().err == ""


def test_broken_turtle(tmp_path):
    path = write(tmp_path, "casse.ttl", "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n<a> a dcat:Dataset ; ;; ] .\n")
    (problem,) = items_of(path)
    assert problem.message.startswith("RDF illisible (")


def test_broken_xml(tmp_path):
    path = write(tmp_path, "casse.rdf", '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
                 'xmlns:dcat="http://www.w3.org/ns/dcat#">\n<dcat:Dataset>\n</rdf:RDF>\n')
    assert items_of(path) == [Problem(str(path), "XML mal formé (colonne 3) : fichier ignoré.", "ligne 3")]
    text = (CATALOGS / "csw-iso19139.xml").read_text("utf-8")
    cut = text.index("<gmd:MD_Metadata>", text.index("</gmd:MD_Metadata>")) + 200
    iso = write(tmp_path, "casse.xml", text[:cut])
    got = items_of(iso)
    assert [r.id for r in records(got)] == ["dcat:http://catalogue.geo-ide.developpement-durable.gouv.fr/e53e4a13"]
    assert problems(got)[0].message.startswith("XML mal formé")


# ------------------------------------------------------------------ XML safety (XXE)

SECRET = "SECRET-XXE-4242-ne-doit-pas-fuir"


@pytest.fixture
def secret_file(tmp_path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(SECRET, encoding="utf-8")
    return path


def _leaks(items) -> bool:
    return any(SECRET in repr(item) for item in items)


def test_xxe_in_rdf_xml_is_refused(tmp_path, secret_file):
    path = write(
        tmp_path,
        "xxe.rdf",
        f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [<!ENTITY secret SYSTEM "{secret_file.as_uri()}">]>\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dcat="http://www.w3.org/ns/dcat#" '
        'xmlns:dct="http://purl.org/dc/terms/">\n'
        '<dcat:Dataset rdf:about="https://x.fr/1"><dct:title>Titre &secret;</dct:title></dcat:Dataset>\n</rdf:RDF>\n',
    )
    items = items_of(path)
    assert items == [
        Problem(str(path), "XML refusé : déclaration d'entité ou référence externe interdite (EntitiesForbidden).")
    ]
    assert not _leaks(items)


def test_xxe_in_iso19139_and_in_a_recorded_session_is_refused(tmp_path, secret_file):
    iso = (CATALOGS / "iso19139.xml").read_text("utf-8").replace(
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE x [<!ENTITY secret SYSTEM "{secret_file.as_uri()}">]>',
    ).replace("Tracés des sentiers", "&secret; Tracés des sentiers")
    path = write(tmp_path, "xxe.xml", iso)
    items = items_of(path)
    assert [type(i) for i in items] == [Problem] and not _leaks(items)
    session = {"requests_history": [{"request": {"url": "https://x.fr/csw"}, "response": {"status_code": 200, "body": iso}}]}
    path = write(tmp_path, "session.json", json.dumps(session))
    items = items_of(path)
    assert [(type(i), i.where) for i in items] == [(Problem, "réponse 1")] and not _leaks(items)


def test_billion_laughs_is_refused(tmp_path):
    lol = "".join(f'<!ENTITY l{i} "{"&l%d;" % (i - 1) * 10}">' for i in range(1, 10))
    path = write(
        tmp_path,
        "lol.rdf",
        f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [<!ENTITY l0 "lol">{lol}]>\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dcat="http://www.w3.org/ns/dcat#">'
        "<dcat:Dataset><rdf:value>&l9;</rdf:value></dcat:Dataset></rdf:RDF>\n",
    )
    (problem,) = items_of(path)
    assert problem.message.startswith("XML refusé")


def test_external_dtd_is_not_fetched(tmp_path, secret_file):
    path = write(
        tmp_path,
        "dtd.rdf",
        f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF SYSTEM "{secret_file.as_uri()}">\n'
        + (CATALOGS / "dcat.rdf").read_text("utf-8").split("?>", 1)[1],
    )
    items = items_of(path)
    assert not _leaks(items)
    assert [r.id for r in records(items)] == ["dcat:bzh-lycees-2024", "dcat:https://catalogue.exemple.bzh/jdd/ports#serie"]


def test_rdflib_alone_does_not_resolve_external_entities(secret_file):
    """The second line of defence, should the defusedxml check ever be bypassed."""
    import rdflib

    doc = (
        f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [<!ENTITY secret SYSTEM "{secret_file.as_uri()}">]>\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dct="http://purl.org/dc/terms/">'
        '<rdf:Description rdf:about="https://x.fr/1"><dct:title>Titre &secret;</dct:title></rdf:Description></rdf:RDF>'
    )
    graph = rdflib.Graph()
    graph.parse(data=doc, format="xml")
    assert all(SECRET not in str(o) for o in graph.objects())


# ------------------------------------------------------------------ text helpers


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ('<p class="MsoNormal">Bonjour&nbsp;le <b>monde</b><o:p></o:p></p><p class="MsoNormal">Suite</p>', "Bonjour le monde\n\nSuite"),
        ('<DIV STYLE="text-align:Left;"><DIV><P><SPAN>Vélos à Évian</SPAN></P></DIV></DIV>', "Vélos à Évian"),
        ("l&#x27;eau &amp; l&#39;air", "l'eau & l'air"),
        ("l&amp;#x27;eau", "l'eau"),  # escaped twice
        ("<!--[if gte mso 9]><xml><o:Doc/></xml><![endif]--><p>Texte</p><style>p{color:red}</style>", "Texte"),
        ('Logo <img src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJ"> fin', "Logo fin"),
        ("![carte](data:image/png;base64,iVBORw0KGgoAAAANSUhEUg==) Légende", "Légende"),
        ("avant data:image/jpeg;base64,/9j/4AAQSkZJRgABAQ après", "avant après"),
        ("e\u0301te\u0301\u200b\u00a0ici\u00ad\ufeff", "été ici"),
        ("Ligne 1<br>Ligne 2<BR/>Ligne 3", "Ligne 1\nLigne 2\nLigne 3"),
        ("<ul><li>un</li><li>deux</li></ul>", "- un\n- deux"),
        ("# Titre\n\nTexte **gras** et _penché_, `code`.", "Titre\n\nTexte gras et penché, code."),
        ("##Titre collé\n###Autre", "Titre collé\nAutre"),
        ("Voir [le site](https://x.fr 'titre') et <https://y.fr>.", "Voir le site et https://y.fr."),
        ("[](https://vide.fr)Vide ![logo](https://x.fr/l.png)", "Vide"),
        ("* un\n* deux\n+ trois", "- un\n- deux\n- trois"),
        ("| a | b |\n|---|---|\n| 1 | 2 |", "a b\n1 2"),
        ("> citation", "citation"),
        ("a < b et c > d", "a < b et c > d"),
        ("x_hamster_parcelles_2025", "x_hamster_parcelles_2025"),
        ("  \r\n\r\n\r\n  ", ""),
        ("Premier\r\n\r\n\r\n\r\nSecond", "Premier\n\nSecond"),
        ("** titre cassé", "titre cassé"),
    ],
)
def test_html_to_text(raw, text):
    assert html_to_text(raw) == text


@pytest.mark.parametrize(
    ("text", "summary"),
    [
        ("Liste des arrêtés. Mise à jour chaque mois.", "Liste des arrêtés."),
        ("Présenté par M. Daniel Percheron en séance plénière. Voté en mai.", "Présenté par M. Daniel Percheron en séance plénière."),
        ("Qualité de l'air\n\nIndices journaliers pour la ville.", "Indices journaliers pour la ville."),
        ("Court", "Court"),
        ("", ""),
        ("mot " * 80, ("mot " * 50).strip() + "…"),
    ],
)
def test_summarize(text, summary):
    assert summarize(text) == summary


@pytest.mark.parametrize(
    ("text", "url", "label"),
    [
        # data.gouv.fr export and udata ids
        ("Licence Ouverte / Open Licence version 2.0", "", "Licence Ouverte 2.0"),
        ("Licence Ouverte / Open Licence", "", "Licence Ouverte 1.0"),
        ("lov2", "", "Licence Ouverte 2.0"),
        ("fr-lo", "", "Licence Ouverte 1.0"),
        ("License Not Specified", "", "Non spécifiée"),
        ("notspecified", "", "Non spécifiée"),
        ("Open Data Commons Open Database License (ODbL)", "", "ODbL"),
        ("odc-odbl", "", "ODbL"),
        ("Other (Attribution)", "", "Autre (attribution)"),
        ("other-at", "", "Autre (attribution)"),
        ("Other (Public Domain)", "", "Autre (domaine public)"),
        ("other-pd", "", "Autre (domaine public)"),
        ("Other (Open)", "", "Autre (ouverte)"),
        ("other-open", "", "Autre (ouverte)"),
        ("Creative Commons Attribution", "", "CC-BY"),
        ("cc-by", "", "CC-BY"),
        ("Creative Commons Attribution Share-Alike", "", "CC-BY-SA"),
        ("Open Data Commons Public Domain Dedication and Licence (PDDL)", "", "PDDL"),
        # CKAN, DKAN, DCAT, ISO in the corpus
        ("Licence Ouverte Version 2.0", "", "Licence Ouverte 2.0"),
        ("Licence Ouverte 2.0", "", "Licence Ouverte 2.0"),
        ("Autre Licence (spécifique)", "", "Autre"),
        ("http://www.etalab.gouv.fr/pages/Licence_ouverte_Open_licence-5899923.html", "", "Licence Ouverte 1.0"),
        ("Soumis à la licence Etalab : https://www.etalab.gouv.fr/licence-ouverte-open-licence/", "", "Licence Ouverte"),
        ("Soumis à la licence Etalab", "", "Licence Ouverte"),
        ("Licence ouverte / Open Licence", "", "Licence Ouverte 1.0"),
        ("Ayant droit IGN Bénéficiaires du RGE", "", "Autre"),
        ("https://www.etalab.gouv.fr/wp-content/uploads/2017/04/ETALAB-Licence-Ouverte-v2.0.pdf", "", "Licence Ouverte 2.0"),
        ("Licence Ouverte / Open License (compatible ODC-BY, CC-BY 2.0)", "", "Licence Ouverte"),
        ("Licence Ouverte / Open License (compatible ODC-BY, CC-BY 2.0)",
         "https://www.etalab.gouv.fr/wp-content/uploads/2018/11/open-licence.pdf", "Licence Ouverte 2.0"),
        ("Licence Ouverte / Open Licence", "https://www.etalab.gouv.fr/wp-content/uploads/2017/04/ETALAB-Licence-Ouverte-v2.0.pdf",
         "Licence Ouverte 2.0"),
        ("Licence Ouverte / Open Licence Version 2.0 https://www.etalab.gouv.fr/licence-ouverte-open-licence", "", "Licence Ouverte 2.0"),
        # OpenDataSoft, Frictionless (SPDX), Creative Commons spellings
        ("Licence Ouverte v2.0 (Etalab)", "", "Licence Ouverte 2.0"),
        ("Licence Ouverte (Etalab)", "", "Licence Ouverte"),
        ("Open Database License (ODbL)", "", "ODbL"),
        ("etalab-2.0", "", "Licence Ouverte 2.0"),
        ("ODC-PDDL-1.0", "", "PDDL"),
        ("CC-BY-4.0", "", "CC-BY 4.0"),
        ("CC BY-SA 4.0", "", "CC-BY-SA 4.0"),
        ("https://creativecommons.org/licenses/by-nc/3.0/fr/", "", "CC-BY-NC 3.0"),
        ("Attribution 4.0 International (CC BY 4.0)", "", "CC-BY 4.0"),
        ("CC0-1.0", "", "CC0"),
        ("Creative Commons CCZero", "", "CC0"),
        ("licence ouverte mise à jour 2 fois par an", "", "Licence Ouverte"),
        ("", "", ""),
        ("", "https://www.etalab.gouv.fr/licence-ouverte-open-licence", "Licence Ouverte"),
        ("other-at", "https://www.etalab.gouv.fr/licence-ouverte-open-licence", "Autre (attribution)"),
    ],
)
def test_normalise_licence(text, url, label):
    assert normalise_licence(text, url) == label


@pytest.mark.parametrize(
    ("values", "formats"),
    [
        (["CSV", "csv", "text/csv"], ("csv",)),
        (["web page", "page web", "html", "Web Page", "text/html", "www:link:landing_page", "WWW:LINK-1.0-http--link"], ("web page",)),
        (["shapefile", "shp", "SHP", "esri shapefile (shp)", "Shapefile (zip)", "shp (wgs84)", "shapfile", "x-gis/x-shapefile"], ("shp",)),
        (["geo+json", "application/vnd.geo+json", "GeoJSON"], ("geojson",)),
        (["application/csv; charset=utf-8", "https://www.iana.org/assignments/media-types/text/csv"], ("csv",)),
        (["http://publications.europa.eu/resource/authority/file-type/CSV"], ("csv",)),
        (["vnd.openxmlformats-officedocument.spreadsheetml.sheet", "vnd.ms-excel", "microsoft excel"], ("xlsx", "xls")),
        (["OGC:WMS", "ogc wms", "OGC:WFS", "wmts"], ("wms", "wfs", "wmts")),
        (["ArcGIS GeoServices REST API", "esri rest"], ("esri rest",)),
        (["www:download:application/pdf", "www:download-1.0-http--download", "www:download:geopackage"], ("pdf", "gpkg")),
        (["csv, json, excel, shp"], ("csv", "json", "xls", "shp")),
        (["xml et pdf", "csv dbase", "CSV LonLat/XY"], ("xml", "pdf", "csv", "dbf")),
        (["", None, "autre", "inconnu", "octet-stream", "n2b8ec86942ba400a90a404d1c7acba06"], ()),
        ([".json", ".ical", "rdf/xml", "turtle", "rdf/nt"], ("json", "ics", "rdf", "ttl", "nt")),
        (["fr/cs/satellite?c=carto&cid=1278510477563"], ()),
    ],
)
def test_normalise_formats(values, formats):
    assert normalise_formats(values) == formats


def test_dates_and_periods():
    assert normalise_date(" 2019-07-17T02:07:59.730000 ") == "2019-07-17T02:07:59.730000"
    assert normalise_date("2025-07-16T08:11:44.531453+00:00") == "2025-07-16T08:11:44.531453+00:00"
    assert normalise_date("2019-09-30 22:00:00") == "2019-09-30 22:00:00"
    assert normalise_date("mar, 10/12/2019 - 09:23") == "2019-12-10T09:23"
    assert normalise_date("Date changed  jeu, 19/12/2019 - 03:00") == "2019-12-19T03:00"
    assert normalise_date("01/08/2013") == "2013-08-01"
    assert normalise_date("False") == normalise_date(None) == normalise_date("hier") == ""
    assert period("2015-01-01", "2020-12-31") == "2015-01-01/2020-12-31"
    assert period("2015-01-01", "") == "2015-01-01/.."
    assert period("", "2020-12-31") == "../2020-12-31"
    assert period("", None) == ""
    assert period("depuis 2017") == "depuis 2017"
    assert period("2020-01-01/2022-12-31") == "2020-01-01/2022-12-31"


def test_bbox_text():
    assert bbox_text('{"type": "Polygon", "coordinates": [[[4.23, 42.98], [7.71, 42.98], [7.71, 45.12], [4.23, 42.98]]]}') == "4.23,42.98,7.71,45.12"
    assert bbox_text("POLYGON((-5.14 47.28,-1.01 47.28,-1.01 48.90,-5.14 47.28))") == "-5.14,47.28,-1.01,48.9"
    assert bbox_text({"type": "Point", "coordinates": [2.35, 48.85]}) == "2.35,48.85,2.35,48.85"
    assert bbox_text("France") == bbox_text("{cassé") == bbox_text("") == ""


def test_richness_formula():
    assert richness("", 0, "", 0) == 0.0
    assert richness("x" * 999, 5, "Etalab", 3) == 1.0
    assert richness("x" * 9, 1, "", 1) == round(0.4 * (1 / 3) + 0.2 * 0.2 + 0.2 / 3, 3)
    assert richness("x" * 100_000, 50, "Etalab", 44) == 1.0


def test_build_rules():
    src = Src(shown="cat.json", path="/abs/cat.json", mtime=1.0)
    assert build(src, prefix="x", ident="1", title="  \u200b ", position="enregistrement 4") == Problem(
        "cat.json", "jeu de données sans titre (1) : ignoré.", "enregistrement 4"
    )
    assert build(src, prefix="x", ident="", title="Titre", position="ligne 9") == Problem(
        "cat.json", "jeu de données « Titre » sans identifiant : ignoré.", "ligne 9"
    )
    record = build(
        src, prefix="x", ident=" 1 ", title="Vélos &amp; trottinettes", position="ligne 2",
        tags=["Libre d’accès", "libre d'acces", "", "open data"],
        extra=[("Frequency", "annual"), ("vide", ""), ("frequency", "doublon"), ("Slug", "velos")],
    )
    assert record.id == "x:1"
    assert record.title == "Vélos & trottinettes"
    assert record.tags == ("Libre d’accès", "open data")
    # a pair that is a field of its own fills it, and is no longer in extra
    assert (record.frequency, record.extra) == ("annual", (("slug", "velos"),))


# ------------------------------------------------------------------ robustness (hypothesis)

SUFFIXES = sorted(CATALOG_SUFFIXES)
FIXTURE_FILES = sorted(p for p in CATALOGS.rglob("*") if p.is_file())
_SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _check(path: Path) -> None:
    try:
        items = list(iter_catalog(path))
    except SearchkitError:
        return
    for item in items:
        if isinstance(item, Problem):
            assert item.message and item.path == str(path)
            assert not item.message.startswith("erreur inattendue"), item.message  # no reader bug behind it
        else:
            assert isinstance(item, Record)
            assert item.kind == "dataset" and item.types == ("dataset",)
            assert item.title and ":" in item.id and 0.0 <= item.richness <= 1.0


def _write_and_check(name: str, data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        assert sniff(path) in FORMATS | {None}
        _check(path)


@settings(max_examples=150, **_SETTINGS)
@given(data=st.binary(max_size=2000), suffix=st.sampled_from(SUFFIXES))
def test_arbitrary_bytes_never_crash(data, suffix):
    _write_and_check("f" + suffix, data)


@settings(max_examples=150, **_SETTINGS)
@given(
    head=st.sampled_from(["", "{", "[", "<?xml version='1.0'?>", "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n",
                          "id;title;url\n", "id,title,description\n"]),
    text=st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=500),
    suffix=st.sampled_from(SUFFIXES),
)
def test_arbitrary_text_never_crashes(head, text, suffix):
    _write_and_check("f" + suffix, (head + text).encode("utf-8"))


@settings(max_examples=200, **_SETTINGS)
@given(
    index=st.integers(0, len(FIXTURE_FILES) - 1),
    cut=st.floats(0, 1),
    noise=st.binary(max_size=40),
    keep_tail=st.booleans(),
)
def test_damaged_fixtures_never_crash(index, cut, noise, keep_tail):
    source = FIXTURE_FILES[index]
    raw = source.read_bytes()
    at = int(len(raw) * cut)
    data = raw[:at] + noise + (raw[at + len(noise):] if keep_tail else b"")
    _write_and_check(source.name, data)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(
        st.sampled_from(["id", "title", "name", "notes", "description", "tags", "resources", "organization",
                         "license", "license_id", "spatial", "temporal_coverage", "extras", "format", "keyword",
                         "metas", "default", "dataset_id", "datasetid", "publisher", "distribution", "contributors",
                         "licenses", "schema", "fields", "result", "results", "data", "help", "success", "@context",
                         "@graph", "@type", "dataset", "requests_history", "response", "body", "status_code",
                         "profile", "path", "landingPage", "identifier", "zones", "start", "end", "groups"]),
        children,
        max_size=6,
    ),
    max_leaves=30,
)


@settings(max_examples=200, **_SETTINGS)
@given(
    value=_json,
    shape=st.sampled_from(["bare", "udata", "ckan", "ods", "dcat-us", "session", "datapackage", "list"]),
)
def test_arbitrary_json_structures_never_crash(value, shape):
    wrapped = {
        "bare": value,
        "udata": {"data": [value], "next_page": None},
        "ckan": {"help": "https://x.fr/api/3/action/help_show", "success": True, "result": {"results": [value]}},
        "ods": [{"dataset_id": "x", "metas": {"default": value}}],
        "dcat-us": {"dataset": [value], "conformsTo": "https://project-open-data.cio.gov/v1.1/schema"},
        "session": {"requests_history": [{"request": {"url": "x"}, "response": {"status_code": 200, "body": json.dumps(value)}}]},
        "datapackage": {"profile": "data-package", "resources": [value], "name": value if isinstance(value, str) else "p"},
        "list": [value, value],
    }[shape]
    _write_and_check("f.json", json.dumps(wrapped).encode("utf-8"))


@settings(max_examples=60, **_SETTINGS)
@given(words=st.lists(st.text(alphabet=string.ascii_letters + "éèàç <>&;#*_[]()!", max_size=12), max_size=30))
def test_html_to_text_never_crashes_and_is_idempotent_on_plain_text(words):
    text = html_to_text(" ".join(words))
    assert "\u00a0" not in text and "\u200b" not in text
    plain = "".join(c for c in text if c.isalnum() or c == " ")
    assert html_to_text(plain) == " ".join(plain.split())


# ------------------------------------------------------------------ messages


def test_messages_follow_the_language_positions_do_not(monkeypatch):
    monkeypatch.setenv("SEARCHKIT_LANG", "en")
    path = CATALOGS / "datagouv-export-tronque.csv"
    items = items_of(path)
    assert problems(items) == [
        Problem(str(path), "truncated file: the last record (line 6) is incomplete (10 of 40 columns) and was skipped.", "line 6")
    ]
    assert records(items)[0].position == "ligne 2"  # a position is data stored in the index: always French
    assert items_of(CATALOGS / "inconnu.json")[0].message == "unknown catalogue format: file skipped."
    assert items_of(CATALOGS / "udata-page.json")[1] == Problem(
        str(CATALOGS / "udata-page.json"), "dataset without a title (6101126e00d90cc5d680949a): skipped.", "record 2"
    )


def test_every_message_has_both_languages_with_the_same_placeholders():
    from searchkit.messages import CATALOGUE  # every user-facing string of searchkit

    field = __import__("string").Formatter()
    for key, (french, english) in CATALOGUE.items():
        assert french and english, key
        names = lambda s: sorted(f for _, f, _, _ in field.parse(s) if f)  # noqa: E731
        assert names(french) == names(english), key


@pytest.mark.parametrize(
    "document",
    [
        {"data": [], "page": 3, "next_page": None, "total": 40},
        {"help": "https://x.fr/api/3/action/help_show", "success": True, "result": {"count": 0, "results": []}},
        {"nhits": 0, "parameters": {}, "datasets": []},
        {"total_count": 0, "results": []},
        {"dataset": [], "conformsTo": "https://project-open-data.cio.gov/v1.1/schema"},
        {"requests_history": []},
    ],
)
def test_an_empty_catalogue_is_not_an_unknown_format(tmp_path, document):
    path = write(tmp_path, "vide.json", json.dumps(document))
    assert sniff(path) is not None
    assert items_of(path) == []


def test_utf16_csv(tmp_path):
    path = write(tmp_path, "utf16.csv", "id;title;url\r\nu1;Données en UTF-16;https://x.fr\r\n".encode("utf-16"))
    assert [r.title for r in records(items_of(path))] == ["Données en UTF-16"]


def test_popularity_is_log_scaled_mean_of_the_signals_a_source_has():
    from searchkit.sources.catalogs.common import SATURATION, popularity

    assert popularity([]) == 0.0  # no metrics: neutral
    assert popularity([("views", 0.0), ("followers", 0.0)]) == 0.001  # measured, not used: the least measured value
    assert popularity([(name, count) for name, count in SATURATION.items()]) == 1.0
    assert popularity([("views", 10 * SATURATION["views"])]) == 1.0  # capped
    # log-scaled: 1 % of the saturating views gives more than half of their share
    assert popularity([("views", 2_000)]) == 0.623
    # the mean over the signals the source has: a follower-less record halves it
    assert popularity([("views", 2_000), ("followers", 0.0)]) == 0.311
    assert popularity([("views", 0.0)], featured=True) == 0.2
    assert popularity([("views", SATURATION["views"])], featured=True) == 1.0


def test_usage_counts_acronym_and_coverage_of_a_udata_object(tmp_path):
    path = tmp_path / "ban.json"
    path.write_text(json.dumps({
        "id": "5530fbacc751df5ff937dddb", "title": "Base Adresse Nationale (BAN)", "slug": "ban",
        "page": "https://www.data.gouv.fr/fr/datasets/ban/", "acronym": None, "featured": True,
        "metrics": {"views": 2000, "followers": "12", "reuses": None, "discussions": -3, "resources_downloads": 900},
        "quality": {"score": 1.2}, "frequency": "weekly",
        "spatial": {"zones": ["country:fr", "country:fr"], "granularity": "fr:commune"},
        "temporal_coverage": {"start": "2015-01-01", "end": None},
    }), "utf-8")
    (record,) = iter_catalog(path)
    # None and negative counts are signals the record does not have
    assert record.metrics == (("views", 2000.0), ("downloads", 900.0), ("followers", 12.0))
    assert (record.featured, record.quality, record.acronym) == (True, 1.0, "BAN")
    assert record.popularity == 0.805  # (0.623 + 0.540 + 0.652) / 3 + 0.2 for featured
    # a whole country's id is named as the CSV export names it
    assert (record.zones, record.granularity, record.frequency) == (("France",), "fr:commune", "weekly")
    assert (record.temporal, record.coverage()) == ("2015-01-01/..", ("2015-01-01", ""))
