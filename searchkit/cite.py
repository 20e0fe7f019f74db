"""Citations and exports of records: CSL-JSON items, BibTeX entries, CSV rows.

A dataset is cited as a dataset (CSL type ``dataset``, biblatex ``@dataset``):
its publisher as the (corporate) author, its dates, URL, licence and identifier.
A note cites what it carries: its ``link`` (a web page) and any bibliographic
front-matter key (``citekey``, ``doi``, ``isbn``, ``author``...); a note with
neither is cited as a document of the notes.  Plain data out, no printing::

    >>> r = Record(id="ban", kind="dataset", title="Base Adresse Nationale", path="/c.csv",
    ...            publisher="IGN", created="2020-04-01", url="https://adresse.data.gouv.fr")
    >>> csl_item(r)["author"], csl_item(r)["issued"]
    ([{'literal': 'IGN'}], {'date-parts': [[2020, 4, 1]]})
    >>> print(bibtex_entry(r))  # doctest: +NORMALIZE_WHITESPACE
    @dataset{ban,
      author = {{IGN}},
      title = {Base Adresse Nationale},
      publisher = {IGN},
      date = {2020-04-01},
      year = {2020},
      number = {ban},
      url = {https://adresse.data.gouv.fr}
    }
"""

from __future__ import annotations

import re
from typing import Iterable

from searchkit.model import Record
from searchkit.textnorm import fold

# front-matter keys (lower-cased, as in Record.extra) a note may cite with
CITEKEY_KEYS = ("citekey", "citation-key", "bibkey", "cle", "clé")
AUTHOR_KEYS = ("author", "authors", "auteur", "auteurs")
DOI_KEYS = ("doi",)
ISBN_KEYS = ("isbn",)

CSV_COLUMNS = ("id", "kind", "title", "type", "tag", "publisher", "licence", "format", "created", "modified",
               "url", "path")
LIST_SEPARATOR = "; "  # between the values of one CSV cell (types, tags, formats)

_DATE = re.compile(r"^\s*(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")
_KEY_DROP = re.compile(r"[^A-Za-z0-9_.:-]+")
_BIBTEX_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%", "$": r"\$",
                   "#": r"\#", "_": r"\_", "^": r"\^{}", "~": r"\~{}"}
_BIBTEX_ESCAPE = re.compile("|".join(re.escape(c) for c in _BIBTEX_SPECIAL))
_URL_ESCAPE = {"{": "%7B", "}": "%7D", "\\": "%5C", " ": "%20"}


def _extra(record: Record, keys: tuple[str, ...]) -> str:
    values = dict(record.extra)
    return next((values[k].strip() for k in keys if values.get(k, "").strip()), "")


def _date_parts(value: str) -> list[int] | None:
    m = _DATE.match(value or "")
    if not m:
        return None
    parts = [int(p) for p in m.groups() if p]
    return parts if all(1 <= p <= 12 for p in parts[1:2]) and all(1 <= p <= 31 for p in parts[2:3]) else parts[:1]


def _issued(record: Record) -> tuple[str, str]:
    """(date cited, original date): a dataset's latest version and when it was first published."""
    if record.kind == "dataset" and record.modified and record.created and record.modified != record.created:
        return record.modified, record.created
    return record.created or record.modified, ""


def citekey(record: Record) -> str:
    """The key of the record's citation: its own bibliographic key, else its id made safe for BibTeX."""
    key = _extra(record, CITEKEY_KEYS) or record.id
    return _KEY_DROP.sub("-", fold(key)).strip("-") or "record"


def _authors(record: Record) -> list[str]:
    if record.kind == "dataset":
        return [record.publisher] if record.publisher else []
    written = _extra(record, AUTHOR_KEYS)
    return [a.strip() for a in re.split(r"\s+and\s+|;", written) if a.strip()] if written else []


def _csl_type(record: Record) -> str:
    if record.kind == "dataset":
        return "dataset"
    if _extra(record, ISBN_KEYS):
        return "book"
    if _extra(record, DOI_KEYS):
        return "article"
    return "webpage" if record.url else "document"


def csl_item(record: Record) -> dict:
    """The record as a CSL-JSON item (the CSL 1.0.2 data schema)."""
    item: dict = {"id": citekey(record), "type": _csl_type(record), "title": record.title or record.id}
    authors = _authors(record)
    if authors:
        item["author"] = [{"literal": a} for a in authors]
    issued, original = _issued(record)
    for name, value in (("issued", issued), ("original-date", original)):
        parts = _date_parts(value)
        if parts:
            item[name] = {"date-parts": [parts]}
        elif value:
            item[name] = {"literal": value}
    fields = {
        "publisher": record.publisher,
        "URL": record.url,
        "DOI": _extra(record, DOI_KEYS),
        "ISBN": _extra(record, ISBN_KEYS),
        "license": record.licence or record.licence_original,
        "number": record.id if record.kind == "dataset" else "",
        "abstract": record.summary,
        "keyword": ", ".join(record.tags),
        "medium": ", ".join(record.formats),
    }
    item.update({k: v for k, v in fields.items() if v})
    return item


def _braced(value: str) -> str:
    return _BIBTEX_ESCAPE.sub(lambda m: _BIBTEX_SPECIAL[m.group(0)], " ".join(value.split()))


def bibtex_entry(record: Record, key: str | None = None) -> str:
    """The record as one biblatex entry (``@dataset``, ``@online``, ``@book``, ``@article`` or ``@misc``)."""
    kind = {"dataset": "dataset", "webpage": "online", "book": "book", "article": "article"}.get(_csl_type(record), "misc")
    issued, original = _issued(record)
    parts = _date_parts(issued)
    full_date = issued.strip()[:10] if parts and len(parts) == 3 else ""
    authors = _authors(record)
    fields = [
        # a corporate author in double braces: never split into first and last names
        ("author", " and ".join("{" + _braced(a) + "}" if record.kind == "dataset" else _braced(a) for a in authors)),
        ("title", _braced(record.title or record.id)),
        ("publisher", _braced(record.publisher)),
        ("date", full_date),
        ("year", str(parts[0]) if parts else ""),
        ("origdate", original.strip()[:10] if _date_parts(original) else ""),
        ("number", _braced(record.id) if record.kind == "dataset" else ""),
        ("doi", _braced(_extra(record, DOI_KEYS))),
        ("isbn", _braced(_extra(record, ISBN_KEYS))),
        ("url", "".join(_URL_ESCAPE.get(c, c) for c in record.url.strip())),
        ("note", _braced(f"Licence : {record.licence or record.licence_original}")
         if (record.licence or record.licence_original) else ""),
        ("keywords", _braced(", ".join(record.tags))),
    ]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    return f"@{kind}{{{key or citekey(record)},\n{body}\n}}"


def bibtex(records: Iterable[Record]) -> str:
    """Entries for ``records``, one key each (a key seen twice gets a, b, c...)."""
    seen: dict[str, int] = {}
    entries = []
    for record in records:
        key = citekey(record)
        n = seen.get(key, 0)
        seen[key] = n + 1
        entries.append(bibtex_entry(record, key if not n else f"{key}{_suffix(n)}"))
    return "\n\n".join(entries)


def _suffix(n: int) -> str:
    letters = ""
    while n:
        n, r = divmod(n - 1, 26)
        letters = chr(ord("a") + r) + letters
    return letters


def csl_items(records: Iterable[Record]) -> list[dict]:
    """CSL-JSON items for ``records``, one id each (as ``bibtex`` keys them)."""
    seen: dict[str, int] = {}
    items = []
    for record in records:
        item = csl_item(record)
        n = seen.get(item["id"], 0)
        seen[item["id"]] = n + 1
        if n:
            item["id"] += _suffix(n)
        items.append(item)
    return items


def csv_row(record: Record) -> dict[str, str]:
    """The record as one CSV row (``CSV_COLUMNS``), lists joined with ``LIST_SEPARATOR``."""
    return {
        "id": record.id, "kind": record.kind, "title": record.title,
        "type": LIST_SEPARATOR.join(record.types), "tag": LIST_SEPARATOR.join(record.tags),
        "publisher": record.publisher, "licence": record.licence,
        "format": LIST_SEPARATOR.join(record.formats), "created": record.created, "modified": record.modified,
        "url": record.url, "path": record.path,
    }

