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
    "note.yaml_duplicate": ("clé « {key} » en double dans l'en-tête ; la dernière valeur est gardée", "key '{key}' appears twice in the front matter; the last value is kept"),
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
    "query.backfill": ("{n} fiche(s) contiennent tous les mots ; les suivantes n'en contiennent qu'une partie.", "{n} record(s) contain every word; the following ones contain only some."),
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
    "tui.title": ("searchkit", "searchkit"),
    "tui.field": ("{label} : ", "{label}: "),
    "tui.facet_values": ("{facet} : {values}", "{facet}: {values}"),
    "tui.search.placeholder": ("Chercher dans les notes et les jeux de données…  (/ pour revenir ici)", "Search notes and datasets…  (/ to come back here)"),
    "tui.facets.filter": ("Filtrer les facettes…", "Filter facets…"),
    "tui.facets.more": ("+ {n} de plus", "+ {n} more"),
    "tui.facets.less": ("− moins", "− fewer"),
    "tui.facets.none": ("(aucune valeur)", "(no values)"),
    "tui.facets.no_match": ("(rien ne correspond)", "(nothing matches)"),
    "tui.sort.relevance": ("pertinence", "relevance"),
    "tui.sort.title": ("titre", "title"),
    "tui.sort.modified": ("date de modification", "last modified"),
    "tui.status.count": ("{total} résultat(s)", "{total} result(s)"),
    "tui.status.shown": ("{shown} affiché(s) sur {total}", "{shown} shown of {total}"),
    "tui.status.sort": ("tri : {sort}", "sort: {sort}"),
    "tui.status.ms": ("{ms:.0f} ms", "{ms:.0f} ms"),
    "tui.status.indexing": ("Mise à jour de l'index…", "Updating the index…"),
    "tui.status.filters": ("{n} filtre(s)", "{n} filter(s)"),
    "tui.empty.nothing": ("Aucune fiche ne correspond.", "No record matches."),
    "tui.empty.index_empty": ("L'index est vide : ajoutez des notes (.md) dans {paths} puis appuyez sur r.", "The index is empty: add notes (.md) to {paths}, then press r."),
    "tui.empty.clear_hint": ("Appuyez sur x pour retirer les filtres.", "Press x to clear the filters."),
    "tui.empty.suggest_hint": ("(cliquez sur un mot pour le chercher)", "(click a word to search for it)"),
    "tui.preview.placeholder": ("Sélectionnez un résultat pour l'afficher ici.", "Select a result to see it here."),
    "tui.preview.gone": ("Cette fiche n'est plus dans l'index.", "This record is no longer in the index."),
    "tui.preview.types": ("Types", "Types"),
    "tui.preview.tags": ("Mots-clés", "Tags"),
    "tui.preview.summary": ("En bref", "Summary"),
    "tui.preview.link": ("Lien", "Link"),
    "tui.preview.created": ("Créée", "Created"),
    "tui.preview.modified": ("Modifiée", "Modified"),
    "tui.preview.publisher": ("Producteur", "Publisher"),
    "tui.preview.licence": ("Licence", "Licence"),
    "tui.preview.formats": ("Formats", "Formats"),
    "tui.preview.spatial": ("Couverture", "Coverage"),
    "tui.preview.temporal": ("Période", "Period"),
    "tui.preview.path": ("Fichier", "File"),
    "tui.preview.links": ("Liens de cette fiche", "Links from this record"),
    "tui.preview.backlinks": ("Rétroliens (fiches qui citent celle-ci)", "Backlinks (records citing this one)"),
    "tui.preview.no_links": ("aucun", "none"),
    "tui.preview.missing": ("{id} (introuvable)", "{id} (not found)"),
    "tui.preview.history": ("b : revenir à « {title} »", "b: back to '{title}'"),
    "tui.key.search": ("Chercher", "Search"),
    "tui.key.move": ("Descendre / monter", "Move down / up"),
    "tui.key.open": ("Ouvrir l'aperçu", "Open the preview"),
    "tui.key.close": ("Fermer l'aperçu, revenir à la liste", "Close the preview, back to the list"),
    "tui.key.edit": ("Éditer", "Edit"),
    "tui.key.link": ("Ouvrir le lien", "Open link"),
    "tui.key.copy": ("Copier le chemin", "Copy path"),
    "tui.key.sort": ("Tri", "Sort"),
    "tui.key.clear": ("Sans filtres", "Clear filters"),
    "tui.key.reindex": ("Réindexer", "Reindex"),
    "tui.key.back": ("Retour", "Back"),
    "tui.key.help": ("Aide", "Help"),
    "tui.key.quit": ("Quitter", "Quit"),
    "tui.key.focus": ("Passer d'une zone à l'autre", "Move between areas"),
    "tui.key.check": ("Cocher une valeur de facette", "Check a facet value"),
    "tui.key.palette": ("Palette de commandes", "Command palette"),
    "tui.help.title": ("Aide", "Help"),
    "tui.help.keys": ("Touches", "Keys"),
    "tui.help.query": ("Requêtes", "Queries"),
    "tui.help.query_text": (
        "Les mots se cumulent (ET) ; le dernier mot tapé compte comme un début de mot.\n"
        "\"une phrase\"   a OU b   -mot   SAUF mot   préfix*\n"
        "title:…  tag:…  type:…  kesako:…  publisher:…  licence:…  format:…",
        "Words add up (AND); the last word typed counts as the start of a word.\n"
        "\"a phrase\"   a OR b   -word   NOT word   prefix*\n"
        "title:…  tag:…  type:…  kesako:…  publisher:…  licence:…  format:…",
    ),
    "tui.help.facets": (
        "Facettes : plusieurs valeurs cochées dans une facette = l'une ou l'autre ; entre facettes = toutes. "
        "Les nombres suivent la recherche.",
        "Facets: several values checked in one facet = any of them; across facets = all. "
        "Counts follow the search.",
    ),
    "tui.help.close": ("Échap ou ? pour fermer", "Escape or ? to close"),
    "tui.notify.copied": ("Chemin copié : {path}", "Path copied: {path}"),
    "tui.notify.no_record": ("Aucune fiche sélectionnée.", "No record selected."),
    "tui.notify.no_link": ("Cette fiche n'a pas de lien.", "This record has no link."),
    "tui.notify.opening": ("Ouverture de {url}", "Opening {url}"),
    "tui.notify.no_editor": ("Aucun éditeur trouvé : définissez $VISUAL ou $EDITOR (par exemple export EDITOR=nano).", "No editor found: set $VISUAL or $EDITOR (for example export EDITOR=nano)."),
    "tui.notify.editor_failed": ("Impossible de lancer l'éditeur « {editor} » : {reason}", "Cannot start the editor '{editor}': {reason}"),
    "tui.notify.editor_status": ("L'éditeur s'est terminé avec le code {code}.", "The editor exited with code {code}."),
    "tui.notify.no_file": ("Le fichier {path} n'existe plus.", "The file {path} no longer exists."),
    "tui.notify.updated": ("Index mis à jour : {added} ajouté(s), {updated} modifié(s), {removed} supprimé(s).", "Index updated: {added} added, {updated} changed, {removed} removed."),
    "tui.notify.up_to_date": ("L'index était à jour.", "The index was up to date."),
    "tui.notify.problems": ("{n} avertissement(s) à l'indexation, par exemple : {first}", "{n} warning(s) while indexing, for example: {first}"),
    "tui.notify.sort": ("Tri : {sort}", "Sort: {sort}"),
    "tui.notify.filters_cleared": ("Filtres retirés.", "Filters cleared."),
    "tui.notify.no_filters": ("Aucun filtre actif.", "No active filter."),
    "tui.notify.history_empty": ("Rien avant cette fiche.", "Nothing before this record."),
    "tui.notify.unexpected": ("Erreur inattendue ({error}) ; l'application continue.", "Unexpected error ({error}); the app goes on."),
    "tui.notify.busy": ("Une mise à jour de l'index est déjà en cours.", "An index update is already running."),
    "tui.indexing.title": ("Mise à jour de l'index", "Updating the index"),
    "tui.indexing.scanning": ("Lecture des sources : {paths}", "Reading the sources: {paths}"),
    "tui.indexing.file": ("{done} / {total} : {name}", "{done} / {total}: {name}"),
    "tui.cmd.search": ("Aller à la recherche", "Go to the search field"),
    "tui.cmd.edit": ("Éditer la fiche dans $EDITOR", "Edit the record in $EDITOR"),
    "tui.cmd.link": ("Ouvrir le lien de la fiche dans le navigateur", "Open the record's link in the browser"),
    "tui.cmd.copy": ("Copier le chemin du fichier", "Copy the file path"),
    "tui.cmd.sort": ("Changer de tri (pertinence, titre, date)", "Change the sort (relevance, title, date)"),
    "tui.cmd.clear": ("Retirer tous les filtres de facettes", "Clear all facet filters"),
    "tui.cmd.reindex": ("Mettre à jour l'index maintenant", "Update the index now"),
    "tui.cmd.back": ("Revenir à la fiche précédente", "Back to the previous record"),
    "tui.cmd.help": ("Afficher l'aide et les touches", "Show help and keys"),
    # --- end tui ---
}


def t(_key: str, **values) -> str:
    """The message ``_key`` in the user's language, formatted with ``values``."""
    french, english = CATALOGUE[_key]
    template = english if language() == "en" else french
    return template.format(**values) if values else template
