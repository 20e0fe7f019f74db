"""``searchkit check``: the health of an index and of its notes (issue 7)."""

from __future__ import annotations

import json
import random

from searchkit.check import check_index
from searchkit.index import Manifest, update_index
from tests.helpers import copy_notes, write_note
from tests.test_reliability_support import one_line_error, run, write_notes


def test_a_healthy_index(tmp_path):
    notes, idx = tmp_path / "notes", tmp_path / "idx"
    write_notes(notes, ["n00001", "n00002"])
    update_index(idx, [notes])
    result = run("check", "--index", idx)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        f"Index {idx} : 2 fiche(s) (2 note(s), 0 jeu(x) de données), lu de bout en bout sans erreur.",
        "Manifeste : à jour.",
        "",
        "Bilan : tout va bien.",
    ]
    data = json.loads(run("check", "--index", idx, "--format", "json").stdout)
    assert data["healthy"] is True and data["error"] is None and data["records"] == 2


def test_problems_links_duplicates_and_spellings(tmp_path):
    notes, idx = copy_notes(tmp_path), tmp_path / "idx"
    write_note(notes, "copie.md", "Copie d'Etalab", "voir [[introuvable]] et [[20230114093015]]", id="20230114093015",
               tags="[Open-Data]")
    update_index(idx, [notes])
    result = run("check", "--index", idx)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    # the YAML library words its own reason: only the rest of that line is pinned
    assert lines[4].startswith(f"  {notes}/casse.md:ligne 4: en-tête YAML invalide (")
    assert lines[4].endswith(") ; lu ligne à ligne, vérifiez la note")
    lines[4] = "(casse.md)"
    assert lines == [
        f"Index {idx} : 10 fiche(s) (10 note(s), 0 jeu(x) de données), lu de bout en bout sans erreur.",
        "Manifeste : à jour.",
        "",
        "Fichiers avec des avertissements (5) :",
        "(casse.md)",
        f"  {notes}/cp1252.md: pas en UTF-8 : lu comme cp1252 (réenregistrez-le en UTF-8)",
        f"  {notes}/image.md: fichier binaire, pas une note ; ignoré",
        f"  {notes}/sans-entete.md: pas d'en-tête YAML ; titre pris du premier titre # ou du nom du fichier",
        f"  {notes}/vide.md: fichier vide ; indexé sous son nom",
        "",
        "Liens [[…]] qui ne mènent nulle part (2) :",
        f"  {notes}/copie.md (20230114093015) → [[introuvable]]",
        f"  {notes}/datagouv.md (20230114093100) → [[99999999999999]]",
        "",
        "Identifiants déclarés par plusieurs notes (1) ; le premier fichier garde l'identifiant :",
        f"  « 20230114093015 » : {notes}/copie.md, {notes}/etalab.md",
        "",
        "Valeurs écrites de plusieurs façons, comptées comme une seule (2) :",
        "  mot-clé : « Libre d’accès » (1), « libre d'accès » (1), « libre d/accès » (1)",
        "  mot-clé : « Open-Data » (1), « open data » (1), « opendata » (1)",
        "",
        "Bilan : 10 problème(s) à regarder.",
    ]
    data = json.loads(run("check", "--index", idx, "--format", "json").stdout)
    assert data["healthy"] is False
    assert [d["id"] for d in data["duplicate_ids"]] == ["20230114093015"]
    assert {s["key"] for s in data["spellings"]} == {"libredacces", "opendata"}
    assert [b["target"] for b in data["broken_links"]] == ["introuvable", "99999999999999"]


def test_paths_are_read_again_now(tmp_path):
    notes, idx = copy_notes(tmp_path), tmp_path / "idx"
    update_index(idx, [notes])
    (notes / "casse.md").write_text("---\ntitle: Réparée\ntags: [a, b]\n---\nCorps.\n", "utf-8")
    report = check_index(idx, [notes / "casse.md"])
    assert report.reread == (str(notes / "casse.md"),)
    assert report.problems == ()  # fixed on disk, though the index still holds the old warning
    assert any(p.path.endswith("casse.md") for p in check_index(idx).problems)


def test_an_unreadable_index_exits_2_in_one_line(tmp_path):
    notes, idx = tmp_path / "notes", tmp_path / "idx"
    missing = run("check", "--index", idx)
    assert missing.returncode == 2
    assert one_line_error(missing.stderr).startswith(f"erreur: Aucun index dans {idx}.")
    write_notes(notes, ["n00001"])
    update_index(idx, [notes])
    [seg] = idx.glob("*.seg")
    size = seg.stat().st_size
    with open(seg, "r+b") as fh:  # garbage over the middle half: only reading everything finds it
        fh.seek(size // 4)  # (4,000 bytes at a third went unnoticed once in 20 segments: a column of
        fh.write(random.Random(7).randbytes(size // 2))  # lengths takes any byte, and Whoosh has no checksum)
    damaged = run("check", "--index", idx)
    assert damaged.returncode == 2
    assert "Reconstruisez-le : searchkit index --rebuild" in one_line_error(damaged.stderr)
    data = json.loads(run("check", "--index", idx, "--format", "json").stdout)
    assert data["error"].startswith(f"L'index {idx} est endommagé")


def test_an_interrupted_run_is_reported(tmp_path):
    notes, idx = tmp_path / "notes", tmp_path / "idx"
    write_notes(notes, ["n00001"])
    update_index(idx, [notes])
    manifest = Manifest.read(idx)
    manifest.pending = {"rebuild": False, "paths": [str(notes / "d01" / "n00001.md")]}
    manifest.save(idx)
    result = run("check", "--index", idx)
    assert result.returncode == 0
    assert result.stdout.splitlines()[1] == (
        "Manifeste : en retard sur l'index (indexation interrompue ou en cours) ; « searchkit index » termine le travail.")
