"""Every user-facing string, in French and English, in one place.

``t(key, **values)`` returns the message in the language of
``config.language()`` (French unless ``SEARCHKIT_LANG``/``LANG`` ask for English).
Messages say what happened and what to do next.

    >>> t("where.line", line=3)  # doctest: +SKIP
    'ligne 3'
"""

from __future__ import annotations

from searchkit.config import language

CATALOGUE: dict[str, tuple[str, str]] = {
    # key: (français, English)
    "where.line": ("ligne {line}", "line {line}"),
    "where.record": ("enregistrement {n}", "record {n}"),
    # reading notes
    "file.unreadable": ("illisible ({reason}) ; fichier ignoré", "cannot be read ({reason}); file skipped"),
    "note.too_large": ("fichier de {mb} Mo, trop gros pour une note ; ignoré", "{mb} MB file, too large for a note; skipped"),
    "note.binary": ("fichier binaire, pas une note ; ignoré", "binary file, not a note; skipped"),
    "note.encoding": ("pas en UTF-8 : lu comme {encoding} (réenregistrez-le en UTF-8)", "not UTF-8: read as {encoding} (save it as UTF-8)"),
    "note.empty": ("fichier vide ; indexé sous son nom", "empty file; indexed under its name"),
    "note.no_front_matter": ("pas d'en-tête YAML ; titre pris du premier titre # ou du nom du fichier", "no YAML front matter; title taken from the first # heading or the file name"),
    "note.unclosed_fence": ("en-tête YAML jamais fermé (il manque la ligne ---) ; lu comme du texte", "YAML front matter never closed (missing --- line); read as text"),
    "note.yaml_invalid": ("en-tête YAML invalide ({reason}) ; lu ligne à ligne, vérifiez la note", "invalid YAML front matter ({reason}); read line by line, check the note"),
    "note.yaml_aliases": ("trop d'alias YAML (* et &)", "too many YAML aliases (* and &)"),
    "note.yaml_duplicate": ("clé « {key} » en double dans l'en-tête ; la première est gardée", "key '{key}' appears twice in the front matter; the first is kept"),
    "note.yaml_not_mapping": ("l'en-tête YAML n'est pas une liste de clés ; ignoré", "the YAML front matter is not a set of keys; ignored"),
    "note.body_truncated": ("note de plus de {mb} Mo : seul le début est indexé", "note over {mb} MB: only the beginning is indexed"),
    # scanning folders
    "scan.missing": ("introuvable : vérifiez le chemin", "not found: check the path"),
    "scan.denied": ("accès refusé ; ignoré", "permission denied; skipped"),
    "scan.loop": ("lien symbolique en boucle ; ignoré", "symbolic link loop; skipped"),
    "scan.outside": ("lien symbolique vers l'extérieur des sources ; non suivi (--follow-links pour le suivre)", "symbolic link leading outside the sources; not followed (--follow-links to follow it)"),
    "scan.vanished": ("disparu pendant l'analyse ; ignoré", "vanished during the scan; skipped"),
    "scan.unsupported": ("type de fichier non pris en charge", "unsupported file type"),
    # index
    "index.missing": ("Aucun index dans {path}. Lancez d'abord « searchkit index » (ou indiquez --index).", "No index in {path}. Run 'searchkit index' first (or give --index)."),
    "index.damaged": ("L'index {path} est endommagé ({reason}). Reconstruisez-le : searchkit index --rebuild", "The index {path} is damaged ({reason}). Rebuild it: searchkit index --rebuild"),
    "index.outdated": ("L'index {path} a été construit par une autre version de searchkit. Reconstruisez-le : searchkit index --rebuild", "The index {path} was built by another searchkit version. Rebuild it: searchkit index --rebuild"),
    "index.locked": ("L'index {path} est en cours d'écriture par un autre processus{pid} ; réessayez quand il aura fini.", "The index {path} is being written by another process{pid}; try again when it is done."),
    "index.locked_pid": (" (pid {pid})", " (pid {pid})"),
    "index.write_error": ("Impossible d'écrire l'index dans {path} ({reason}). L'index précédent est intact. Libérez de la place ou choisissez un autre dossier avec --index.", "Cannot write the index in {path} ({reason}). The previous index is intact. Free some space or choose another folder with --index."),
    "index.auto_rebuild": ("l'index venait d'une autre version de searchkit : reconstruit entièrement", "the index came from another searchkit version: rebuilt from scratch"),
    "index.damaged_rebuild": ("l'index était endommagé ({reason}) : reconstruit entièrement", "the index was damaged ({reason}): rebuilt from scratch"),
    "index.duplicate_note_id": ("identifiant « {id} » déjà utilisé par {other} ; cette note est indexée sous « {new} » (donnez-lui un id unique)", "id '{id}' is already used by {other}; this note is indexed as '{new}' (give it a unique id)"),
    "index.duplicate_id": ("identifiant « {id} » déjà vu dans {other} ; la version la plus récente est gardée", "id '{id}' already seen in {other}; the most recent version is kept"),
    "index.summary": ("{added} ajouté(s), {updated} mis à jour, {removed} supprimé(s), {moved} déplacé(s), {unchanged} inchangé(s), {problems} avertissement(s) — {records} fiche(s) écrite(s) en {seconds:.2f} s", "{added} added, {updated} updated, {removed} removed, {moved} moved, {unchanged} unchanged, {problems} warning(s) — {records} record(s) written in {seconds:.2f} s"),
    "index.duplicates": ("{n} doublon(s) d'identifiant fusionné(s) (la version la plus récente est gardée)", "{n} duplicate id(s) merged (the most recent version kept)"),
    "index.progress": ("Indexation", "Indexing"),
    "index.no_sources": ("Aucune source à indexer : {paths} n'existe pas. Donnez un dossier de notes ou un catalogue : searchkit index DOSSIER", "Nothing to index: {paths} does not exist. Give a notes folder or a catalogue: searchkit index FOLDER"),
    # query
    "query.fallback": ("Aucune fiche ne contient tous les mots : résultats contenant une partie des mots.", "No record contains all the words: results containing some of them."),
    "query.synonyms": ("Synonymes ajoutés : {pairs}.", "Synonyms added: {pairs}."),
    "query.fuzzy": ("Orthographe approchée : {pairs}.", "Close spellings: {pairs}."),
    "query.ignored": ("Ignoré dans la requête : {parts}.", "Ignored in the query: {parts}."),
    "query.bad_limit": ("--limit doit être un nombre entre 0 et {max}.", "--limit must be a number from 0 to {max}."),
    "query.unknown_facet": ("Facette inconnue « {name} ». Facettes possibles : {known}.", "Unknown facet '{name}'. Known facets: {known}."),
    "query.bad_facet": ("« {value} » n'est pas de la forme clé=valeur (par exemple --facet tag=budget).", "'{value}' is not key=value (for example --facet tag=budget)."),
    "query.empty": ("Requête vide : tapez des mots à chercher.", "Empty query: type some words to search for."),
    "query.no_results": ("Aucun résultat pour « {query} ».", "No results for '{query}'."),
    "query.did_you_mean": ("Vouliez-vous dire : {words} ?", "Did you mean: {words}?"),
    "query.filters_active": ("Filtres actifs : {filters}.", "Active filters: {filters}."),
    # facets
    "facet.type": ("Types", "Types"),
    "facet.tag": ("Mots-clés", "Tags"),
    "facet.publisher": ("Producteurs", "Publishers"),
    "facet.licence": ("Licences", "Licences"),
    "facet.format": ("Formats", "Formats"),
    "facet.kind": ("Nature", "Kind"),
    # cli
    "cli.warning": ("attention", "warning"),
    "cli.error": ("erreur", "error"),
    "cli.results": ("{total} résultat(s) en {ms:.0f} ms", "{total} result(s) in {ms:.0f} ms"),
    "cli.interrupted": ("Interrompu. L'index précédent est intact ; relancez « searchkit index » pour terminer.", "Interrupted. The previous index is intact; run 'searchkit index' again to finish."),
    "watch.started": ("Surveillance de {paths} (Ctrl+C pour arrêter)", "Watching {paths} (Ctrl+C to stop)"),
    "watch.update": ("{time} mis à jour : {summary}", "{time} updated: {summary}"),
    "kind.note": ("note", "note"),
    "kind.dataset": ("jeu de données", "dataset"),
    # --- tui --- (the terminal app's strings; keep them in this block)
    # --- end tui ---
}


def t(key: str, **values) -> str:
    """The message ``key`` in the user's language, formatted with ``values``."""
    french, english = CATALOGUE[key]
    template = english if language() == "en" else french
    return template.format(**values) if values else template
