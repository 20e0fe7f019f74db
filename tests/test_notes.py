"""Reading notes: aliases, quirks, and a warning (never a crash) for bad files."""

import shutil
from pathlib import Path

import pytest

from searchkit.sources.notes import read_note
from searchkit.sources.scan import scan
from tests.conftest import FIXTURES

NOTES = FIXTURES / "notes"


@pytest.fixture
def notes(tmp_path) -> Path:
    root = tmp_path / "notes"
    shutil.copytree(NOTES, root)
    return root


def read(root: Path, name: str):
    return read_note(root / name, root)


def test_a_cosma_note_becomes_a_record(notes):
    record, problems = read(notes, "etalab.md")
    assert problems == []
    assert record.id == "20230114093015"
    assert record.kind == "note"
    assert record.title == "Etalab"
    assert record.types == ("organisation",)
    assert record.tags == ("open data", "administration", "libre d'accès")
    assert record.summary == "Département de la DINUM qui coordonne l'ouverture des données publiques."
    assert record.url == "https://www.etalab.gouv.fr"
    assert record.links == ("20230114093100",)
    assert record.path == str(notes / "etalab.md")
    assert record.body.startswith("Etalab anime [[20230114093100]]")
    assert record.mtime == (notes / "etalab.md").stat().st_mtime


def test_keys_are_matched_whatever_their_case_and_alias(notes):
    record, problems = read(notes, "datagouv.md")
    assert problems == []
    assert record.id == "20230114093100"
    assert record.title == "data.gouv.fr"
    assert record.types == ("portail",)  # a string, not a list
    assert record.tags == ("opendata", "Libre d’accès", "plateforme")  # comma-separated string
    assert record.summary == "La plateforme ouverte des données publiques françaises."
    assert record.links == ("20230114093015", "99999999999999")


def test_four_dash_fence_and_short_aliases(notes):
    record, problems = read(notes, "cœur de Saint-Étienne.md")
    assert problems == []
    assert record.title == "Le cœur de Saint-Étienne"
    assert record.types == ("Lieu",)
    assert record.tags == ("libre d/accès",)
    assert record.summary == "Un quartier d'une ville, et 3,14 comme nombre."
    assert record.links == ("20230114093015",)  # [[id|label]]


def test_no_front_matter_takes_the_first_heading_and_the_path_as_id(notes):
    record, problems = read(notes, "sans-entete.md")
    assert record.title == "Une note sans en-tête"
    assert record.id == "sans-entete.md"
    assert [p.message for p in problems] == [
        "pas d'en-tête YAML ; titre pris du premier titre # ou du nom du fichier"
    ]


def test_id_defaults_to_the_path_relative_to_the_root(notes):
    record, _ = read_note(notes / "sub" / "pecheurs.md", notes)
    assert record.id == "20230114093300"
    (notes / "sub" / "x.md").write_text("---\ntitle: X\n---\ntexte\n", encoding="utf-8")
    record, _ = read_note(notes / "sub" / "x.md", notes)
    assert record.id == "sub/x.md"


def test_broken_yaml_is_reported_with_its_line_and_read_leniently(notes):
    record, problems = read(notes, "casse.md")
    assert record is not None
    assert record.body == "Corps de la note cassée."
    assert len(problems) == 1
    assert problems[0].path == str(notes / "casse.md")
    assert problems[0].message.startswith("en-tête YAML invalide")
    assert problems[0].where.startswith("ligne ")


def test_cp1252_is_read_and_said(notes):
    record, problems = read(notes, "cp1252.md")
    assert record.title == "Café crème"
    assert "café crème" in record.body
    assert [p.message for p in problems] == ["pas en UTF-8 : lu comme cp1252 (réenregistrez-le en UTF-8)"]


def test_binary_file_is_skipped_with_a_warning(notes):
    record, problems = read(notes, "image.md")
    assert record is None
    assert [p.message for p in problems] == ["fichier binaire, pas une note ; ignoré"]


def test_empty_file_is_indexed_under_its_name(notes):
    record, problems = read(notes, "vide.md")
    assert record.title == "vide"
    assert [p.message for p in problems] == ["fichier vide ; indexé sous son nom"]


def test_unclosed_fence(tmp_path):
    path = tmp_path / "n.md"
    path.write_text("---\ntitle: Jamais fermé\nCorps\n", encoding="utf-8")
    record, problems = read_note(path, tmp_path)
    assert record is not None
    assert problems[0].message.startswith("en-tête YAML jamais fermé")


def test_duplicate_keys_and_yaml_bombs_are_reported(tmp_path):
    dup = tmp_path / "dup.md"
    dup.write_text("---\ntitle: Un\ntitle: Deux\n---\nx\n", encoding="utf-8")
    record, problems = read_note(dup, tmp_path)
    assert record is not None
    assert [p.message for p in problems] == ["clé « title » en double dans l'en-tête ; la dernière valeur est gardée"]
    bomb = tmp_path / "bomb.md"
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i-1}"] * 9) + "]" for i in range(1, 12)]
    bomb.write_text("---\ntitle: Bombe\n" + "\n".join(lines) + "\n---\ncorps\n", encoding="utf-8")
    record, problems = read_note(bomb, tmp_path)
    assert record is not None and record.body == "corps"
    assert problems and "alias" in problems[0].message


def test_utf16_and_nul_bytes(tmp_path):
    path = tmp_path / "u16.md"
    path.write_bytes("---\ntitle: Été\n---\ncorps\n".encode("utf-16"))
    record, problems = read_note(path, tmp_path)
    assert record.title == "Été"
    assert [p.message for p in problems] == ["pas en UTF-8 : lu comme UTF-16 (réenregistrez-le en UTF-8)"]


def test_scan_skips_hidden_folders_and_finds_subfolders(notes):
    files, problems = scan([notes])
    names = [f.path.relative_to(notes).as_posix() for f in files]
    assert names == sorted(names)
    assert ".obsidian/ignored.md" not in names
    assert "sub/peche.md" in names and "etalab.md" in names
    assert problems == []


def test_scan_reports_a_missing_source(tmp_path):
    files, problems = scan([tmp_path / "nope"])
    assert files == []
    assert [p.message for p in problems] == ["introuvable : vérifiez le chemin"]
