"""Grow the thesaurus from the catalogue itself: a reviewable YAML of mined groups.

    python -m evaluation.thesaurus_mine                       # the shared corpus' datasets
    python -m evaluation.thesaurus_mine FOLDER --out FILE

Reads every catalogue file under FOLDER (default ``$SEARCHKIT_CORPUS/datasets``)
with searchkit's readers, keeps the newest record of each id, and writes
``searchkit/thesaurus-catalogue.yaml`` (same format as ``searchkit/thesaurus.yaml``:
a list of groups), each group preceded by a comment saying how it was found and
on how many records.  Two sources of groups, both kept conservative (precision
over recall); no group is chosen by hand:

1. **acronyms and their expansions**: an acronym in parentheses in a title,
   "Zones d'accueil du Public en Forêt (ZAPEF)", or in the record's acronym
   field, is paired with the words of the title whose initials spell it
   (``acronyms.names_title``: consecutive words, stop words optional), the run
   ending right before the parentheses.  An acronym of two letters, one whose
   expansions disagree (no expansion on two thirds of its records), or one that
   the bundled thesaurus already has, is left out.
2. **a tag and the title phrase its records share**: a one-word tag carried by
   at least ``MIN_RECORDS`` records with distinct titles from at least two
   publishers, whose records' titles share a phrase of 2 to 5 words (not
   starting or ending with a stop word, not containing the tag) on at least
   ``SHARE`` of them, while at least half the titles holding that phrase carry
   the tag.  This links the word people use (the tag ``pompier``) to the
   administrative name (``services d'incendie et de secours``).

searchkit loads the file after ``searchkit/thesaurus.yaml`` (measured with
``python -m evaluation.run``: no family of the three corpora moved); it stays
reviewable: a wrong group is deleted, a good one may move into ``thesaurus.yaml``.
"""

from __future__ import annotations

import argparse
import collections
import re
import sys
from pathlib import Path

from evaluation.run import REPO, shared_corpus
from searchkit import thesaurus
from searchkit.acronyms import acronym_in_title, names_title
from searchkit.model import Record
from searchkit.sources.catalogs import iter_catalog
from searchkit.textnorm import ELISIONS, STOP_WORDS, fold

OUT = REPO / "searchkit" / "thesaurus-catalogue.yaml"
MIN_RECORDS = 4  # a tag's records (distinct titles) before it is considered
SHARE = 0.6  # of those titles must hold the phrase
MIN_PUBLISHERS = 3  # publishers whose tagged titles hold it (one publisher's series is no evidence)
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_ACRONYM = re.compile(r"^[A-Z][A-Z0-9]{2,11}$")


def read(folder: Path) -> list[Record]:
    newest: dict[str, Record] = {}
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        for item in iter_catalog(path):
            if isinstance(item, Record):
                seen = newest.get(item.id)
                if seen is None or (item.modified, item.mtime) > (seen.modified, seen.mtime):
                    newest[item.id] = item
    return list(newest.values())


def _key(text: str) -> str:
    return " ".join(fold(text).casefold().replace("'", " ").replace("’", " ").replace("-", " ").split())


def _tokens(title: str) -> list[str]:
    """The title's words as written (elided articles kept on their word)."""
    return _WORD.findall(title)


def _folded(word: str) -> str:
    head, apostrophe, tail = fold(word).lower().replace("’", "'").partition("'")
    return tail if apostrophe and head in ELISIONS else head + apostrophe + tail


# --- 1. acronyms ---------------------------------------------------------------------


def expansion(acronym: str, title: str) -> str:
    """The words of ``title`` right before ``(ACRONYM)`` (or anywhere, for a field) that spell it."""
    marker = re.search(r"\(\s*" + re.escape(acronym) + r"\s*\)", fold(title))
    words = _tokens(title[: marker.start()] if marker else title)
    for start in range(len(words) - 1, -1, -1):
        if _folded(words[start]) in STOP_WORDS:
            continue
        run = " ".join(words[start:])
        if marker is not None:
            # the run must end right before the parentheses: every word of it is needed
            if names_title(acronym, run) and not names_title(acronym, " ".join(words[start:-1])):
                return run
        else:
            for end in range(start + 1, len(words) + 1):
                candidate = " ".join(words[start:end])
                if names_title(acronym, candidate) and not names_title(acronym, " ".join(words[start:end - 1])):
                    if len(words[start:end]) >= 2:
                        return candidate
    return ""


def _tidy(words: str) -> str:
    """``d'Aide à Finalité Régionale`` -> ``Aide à Finalité Régionale``; "" for ``E S A T``."""
    head, apostrophe, tail = words.replace("’", "'").partition("'")
    if apostrophe and " " not in head and fold(head).lower() in ELISIONS:
        words = tail
    parts = words.split()
    return "" if sum(len(w) == 1 for w in parts) * 2 > len(parts) else words


def acronym_groups(records: list[Record], known: set[str]) -> list[tuple[list[str], str]]:
    found: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    spelled: dict[tuple[str, str], str] = {}
    sources: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for r in records:
        for acronym, how in ((acronym_in_title(r.title), "title"), (r.acronym, "field")):
            acronym = fold(acronym).upper()
            if not _ACRONYM.match(acronym):
                continue
            words = _tidy(expansion(acronym, r.title))
            if not words:
                continue
            key = _key(words)
            found[acronym][key] += 1
            sources[acronym][how] += 1
            spelled.setdefault((acronym, key), words)
            break  # one pairing per record
    groups = []
    for acronym, expansions in sorted(found.items()):
        if _key(acronym) in known:
            continue
        (best, count), total = expansions.most_common(1)[0], sum(expansions.values())
        if count * 3 < total * 2:
            continue
        how = " and ".join(f"{n} from {where}" for where, n in sorted(sources[acronym].items()))
        reason = (f"acronym: {acronym} spelled by the initials of '{spelled[(acronym, best)]}' on "
                  f"{count} of {total} record(s) ({how})")
        groups.append(([acronym, spelled[(acronym, best)].lower()], reason))
    return groups


# --- 2. tags and title phrases -----------------------------------------------------------


def _phrases(title: str) -> dict[str, str]:
    """Phrases of 2 to 5 words of the title: folded key -> as written (lower case)."""
    written = _tokens(title)
    words = [_folded(w) for w in written]
    out = {}
    for n in range(2, 6):
        for i in range(len(words) - n + 1):
            part = words[i:i + n]
            if part[0] in STOP_WORDS or part[-1] in STOP_WORDS or any(w.isdigit() for w in part):
                continue
            out.setdefault(" ".join(part), " ".join(written[i:i + n]).lower())
    return out


def tag_groups(records: list[Record], known: set[str]) -> list[tuple[list[str], str]]:
    titles: dict[str, str] = {}  # folded title -> a record's title, one per distinct title
    by_tag: dict[str, dict[str, str]] = collections.defaultdict(dict)  # tag -> {title: publisher}
    for r in records:
        title = _key(r.title)
        titles.setdefault(title, r.title)
        for tag in r.tags:
            word = _key(tag)
            if word and " " not in word and word.isalpha() and word not in STOP_WORDS and len(word) > 3:
                by_tag[word].setdefault(title, r.publisher)
    phrase_titles: dict[str, set[str]] = collections.defaultdict(set)
    for title, shown in titles.items():
        for phrase in _phrases(shown):
            phrase_titles[phrase].add(title)
    groups = []
    for tag, tagged in sorted(by_tag.items()):
        if len(tagged) < MIN_RECORDS or tag in known:
            continue
        holders: dict[str, set[str]] = collections.defaultdict(set)  # phrase -> publishers of tagged titles
        shown: dict[str, str] = {}
        for title, publisher in tagged.items():
            for phrase, as_written in _phrases(titles[title]).items():
                holders[phrase].add(publisher)
                shown.setdefault(phrase, as_written)
        candidates = []
        for phrase, publishers in holders.items():
            held = phrase_titles[phrase]
            n = sum(1 for t in held if t in tagged)
            if (n >= SHARE * len(tagged) and len(publishers) >= MIN_PUBLISHERS and n * 2 >= len(held)
                    and tag not in phrase.split() and not phrase.startswith(tag[:5])):
                candidates.append((n, len(phrase.split()), phrase, len(publishers)))
        if not candidates:
            continue
        n, _, phrase, publishers = max(candidates)  # the most shared, then the longest
        reason = (f"tag: '{tag}' on {len(tagged)} distinct titles; {n} of them, from {publishers} publishers, "
                  f"hold '{shown[phrase]}', as do {len(phrase_titles[phrase]) - n} untagged title(s)")
        groups.append(([tag, shown[phrase]], reason))
    return groups


# --- output ------------------------------------------------------------------------------


def render(groups: list[tuple[list[str], str]], records: int, folder: Path) -> str:
    lines = [
        "# Groups mined from the catalogue by `python -m evaluation.thesaurus_mine`, loaded by",
        "# searchkit after thesaurus.yaml; review them here (delete a wrong group, or move a good",
        "# one into thesaurus.yaml). Each comment says how the group was found.",
        f"# {len(groups)} groups from {records} records of {folder.name}/.",
    ]
    for words, reason in groups:
        lines += [f"# {reason}", f"- [{', '.join(words)}]"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evaluation.thesaurus_mine", description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", nargs="?", type=Path, default=None, help="catalogue folder (default: the shared corpus)")
    ap.add_argument("--out", type=Path, default=OUT, help=f"YAML file to write (default {OUT.relative_to(REPO)})")
    args = ap.parse_args(argv)
    folder = args.folder or shared_corpus() / "datasets"
    if not folder.is_dir():
        print(f"no catalogue folder at {folder}", file=sys.stderr)
        return 2
    records = read(folder)
    # the hand-written groups (thesaurus.BUNDLED[1] is this script's own output)
    known = {_key(item) for group in thesaurus.read(thesaurus.BUNDLED[0]) for item in group}
    groups = acronym_groups(records, known) + tag_groups(records, known)
    args.out.write_text(render(groups, len(records), folder), "utf-8")
    print(f"wrote {args.out}: {len(groups)} groups from {len(records)} records")
    return 0


if __name__ == "__main__":
    sys.exit(main())
