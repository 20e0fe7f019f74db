"""Markdown notes with YAML front matter (Cosma / Zettlr / Obsidian style) -> Record.

Reads whatever users produce: keys in any case and spelling (see
``config.FIELD_ALIASES``), lists or comma-separated strings, ``----`` fences,
no front matter, broken YAML (a line-by-line fallback keeps what it can),
cp1252 or UTF-16 files, stray NUL bytes, mixed line endings.  Every problem
becomes a ``Problem`` naming the file; only binary files are skipped.  Nothing
in a file can make ``read_note`` raise or hang: YAML is loaded safely, alias
bombs are refused, front matter over ``MAX_FRONT_MATTER`` characters is read
line by line, nested values are flattened within a budget.

    >>> rec, problems = read_note(Path("notes/etalab.md"), Path("notes"))  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as _dt
import os
import re
from pathlib import Path

import yaml
from frontmatter.default_handlers import YAMLHandler

from searchkit import config
from searchkit.markup import WIKILINK
from searchkit.messages import t
from searchkit.model import Problem, Record
from searchkit.sources.scan import open_regular, shown
from searchkit.textnorm import clean, fold

HEADING = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.MULTILINE)
_FENCE = YAMLHandler()
_MAX_ALIASES = 50
_MAX_SCALAR = 10_000
_MAX_KEY = 200  # characters of a front-matter key that are kept
_MAX_ITEMS = 1_000  # values kept from one (possibly nested) front-matter value
# front matter longer than this is not parsed as YAML (real front matter is a
# few hundred bytes; the pure-Python parser that anchors need is slow): the
# line-by-line reader keeps what it can and a warning says so
MAX_FRONT_MATTER = 256 * 1024
# signatures of binary formats that are sometimes saved with a .md suffix
_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"%PDF", b"PK\x03\x04", b"\x1f\x8b", b"\x7fELF", b"BZh", b"\xfd7zXZ")
_LENIENT_LINE = re.compile(r"^([^\s:#][^:]{0,60}):\s*(.*)$")

_ALIAS_OF = {fold(alias).casefold(): name for name, aliases in config.FIELD_ALIASES.items() for alias in aliases}


class _DuplicateKeys:
    """Records the keys that appear twice in one mapping (YAML keeps the last value)."""

    def __init__(self, stream):
        super().__init__(stream)
        self.aliases = 0
        self.duplicates: list[str] = []

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = getattr(key_node, "value", None)
            if isinstance(key, str):
                if key in seen:
                    self.duplicates.append(key)
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


class _Loader(_DuplicateKeys, yaml.SafeLoader):
    """Safe loader that also refuses alias bombs (too many ``*alias``)."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > _MAX_ALIASES:
                raise yaml.YAMLError(t("note.yaml_aliases"))
        return super().compose_node(parent, index)


# libyaml's parser, ten times faster; used only when the text has no anchor or
# alias (no "&" nor "*"), so that no alias bomb can reach it
_FastLoader = type("_FastLoader", (_DuplicateKeys, getattr(yaml, "CSafeLoader", yaml.SafeLoader)), {})


def _utf16_without_bom(data: bytes) -> str | None:
    """``utf-16-le`` or ``utf-16-be`` when ``data`` looks like BOM-less UTF-16 text."""
    head = data[:4096]
    if len(head) < 4:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def decode(data: bytes) -> tuple[str, str | None]:
    """Text of a file and, when it was not UTF-8, a note saying which encoding was used.

    Never raises: broken UTF-16 and bytes that are neither UTF-8 nor cp1252
    become U+FFFD."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace"), "UTF-16"
    codec = _utf16_without_bom(data)  # before UTF-8: ASCII in UTF-16 is valid UTF-8 full of NULs
    if codec:
        return data.decode(codec, errors="replace"), "UTF-16"
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "cp1252"


def looks_binary(data: bytes) -> bool:
    """A known binary signature, or NUL bytes in more than 1 % of the beginning
    (a text note with a stray NUL is read, the NULs removed)."""
    head = data[:8192]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or _utf16_without_bom(data):
        return False
    if head.startswith(_MAGIC):
        return True
    return head.count(0) > max(1, len(head) // 100)


def _leaves(value, budget: int = _MAX_ITEMS) -> list:
    """The scalars inside a nested value, depth first, at most ``budget`` of them.

    YAML aliases can make a small file describe a huge (or self-referencing)
    structure; the budget and the ``seen`` set keep this linear."""
    out: list = []
    stack = [value]
    seen: set[int] = set()
    while stack and len(out) < budget:
        item = stack.pop()
        if isinstance(item, dict):
            if id(item) in seen:
                continue
            seen.add(id(item))
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, (list, tuple, set, frozenset)):
            if id(item) in seen:
                continue
            seen.add(id(item))
            stack.extend(reversed(list(item)) if not isinstance(item, (set, frozenset)) else item)
        else:
            out.append(item)
    return out


def _scalar(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, (list, tuple, set, frozenset, dict)):
        return ", ".join(s for s in (_scalar(v) for v in _leaves(value)) if s)[:_MAX_SCALAR]
    if isinstance(value, bytes):  # !!binary
        return ""
    try:
        return str(value)[:_MAX_SCALAR]
    except ValueError:  # an integer too long to print
        return ""


def _values(value) -> list[str]:
    """A list, a string, or a comma-separated string -> list of clean strings."""
    if value is None:
        return []
    if isinstance(value, (list, tuple, set, frozenset, dict)):
        items = [_scalar(v) for v in _leaves(value)]
    else:
        items = _scalar(value).split(",")[:_MAX_ITEMS]
    cleaned = []
    for item in items:
        item = clean(item).strip().strip("#").strip()
        if item.casefold() not in config.EMPTY_VALUES and item not in cleaned:
            cleaned.append(item)
    return cleaned


def _parse_yaml(text: str, path: str, problems: list[Problem]) -> dict:
    if len(text) > MAX_FRONT_MATTER:
        problems.append(Problem(path, t("note.yaml_too_long", kb=len(text) // 1024)))
        return _lenient(text)
    loader = None
    try:
        loader = (_Loader if "&" in text or "*" in text else _FastLoader)(text)
        data = loader.get_single_data()
    except Exception as exc:  # YAML errors, and whatever a constructor raises on odd values
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = t("where.line", line=mark.line + 2)
        elif isinstance(getattr(exc, "position", None), int):  # yaml.reader.ReaderError
            where = t("where.line", line=text.count("\n", 0, exc.position) + 2)
        else:
            where = ""
        reason = getattr(exc, "problem", None) or (str(exc).splitlines() or [""])[0] or type(exc).__name__
        if len(reason) > 120:
            reason = reason[:119] + "…"
        problems.append(Problem(path, t("note.yaml_invalid", reason=reason), where))
        return _lenient(text)
    finally:
        if loader is not None:
            loader.dispose()
    for key in loader.duplicates:
        problems.append(Problem(path, t("note.yaml_duplicate", key=key)))
    if data is None:
        return {}
    if not isinstance(data, dict):
        problems.append(Problem(path, t("note.yaml_not_mapping")))
        return {}
    return data


def _lenient(text: str) -> dict:
    """Fallback for broken YAML: ``key: value`` lines, lists as ``- item`` lines."""
    data: dict = {}
    key = None
    for line in text.splitlines():
        m = _LENIENT_LINE.match(line)
        if m:
            key, value = m.group(1).strip(), m.group(2)[:_MAX_SCALAR].strip().strip("'\"")
            data[key] = value.strip("[]") if value else []
        elif key and line.strip().startswith("- "):
            if not isinstance(data.get(key), list):
                data[key] = [data[key]] if data.get(key) else []
            data[key].append(line.strip()[2:].strip().strip("'\""))
    return data


def split_front_matter(text: str, path: str, problems: list[Problem]) -> tuple[dict, str]:
    """(front matter, body); a missing or unclosed fence is reported, never fatal."""
    if not _FENCE.detect(text):
        problems.append(Problem(path, t("note.no_front_matter")))
        return {}, text
    try:
        fm, body = _FENCE.split(text)
    except ValueError:
        problems.append(Problem(path, t("note.unclosed_fence")))
        return {}, text.split("\n", 1)[1] if "\n" in text else ""
    return _parse_yaml(fm, path, problems), body


def _first_heading(body: str) -> str:
    """The text of the first ``# heading`` (a line scan: no regex backtracking on huge lines)."""
    for line in body.split("\n"):
        if line.startswith("#") and len(line) > 1 and line[1] in " \t":
            title = line[1:].strip().rstrip("#").strip()
            if title:
                return title[:1000]
    return ""


def read_note(path: Path, root: Path, rel: str | None = None) -> tuple[Record | None, list[Problem]]:
    """Read one note; ``root`` is the source folder the default id is relative to
    (``rel``, when given, is that relative path, for a note reached through a link)."""
    spath = shown(path)
    problems: list[Problem] = []
    try:
        with open(open_regular(path), "rb") as fh:
            stat = os.fstat(fh.fileno())
            if stat.st_size > config.MAX_NOTE_BYTES:
                return None, [Problem(spath, t("note.too_large", mb=stat.st_size // 2**20))]
            data = fh.read(config.MAX_NOTE_BYTES + 1)
    except OSError as exc:
        return None, [Problem(spath, t("file.unreadable", reason=exc.strerror or str(exc)))]
    if looks_binary(data):
        return None, [Problem(spath, t("note.binary"))]
    text, encoding = decode(data)
    del data
    if encoding:
        problems.append(Problem(spath, t("note.encoding", encoding=encoding)))
    if "\x00" in text:
        problems.append(Problem(spath, t("note.nul_removed", n=text.count("\x00"))))
        text = text.replace("\x00", "")
    text = clean(text.replace("\r\n", "\n").replace("\r", "\n"))
    if not text.strip():
        problems.append(Problem(spath, t("note.empty")))
        raw, body = {}, ""
    else:
        raw, body = split_front_matter(text, spath, problems)
    fields: dict[str, object] = {}
    extra: list[tuple[str, str]] = []
    for key, value in raw.items():
        key_s = _scalar(key).strip()[:_MAX_KEY]
        name = _ALIAS_OF.get(fold(key_s).casefold())
        if name and name not in fields:
            fields[name] = value
        elif value is not None and not isinstance(value, (dict, list)) and key_s:
            extra.append((key_s.casefold(), _scalar(value)))

    if not rel:
        try:
            rel = path.relative_to(root).as_posix() if root.is_dir() else path.name
        except ValueError:
            rel = path.name
    ids = _values(fields.get("id"))
    title_values = _values(fields.get("title")) if not isinstance(fields.get("title"), str) else [clean(fields["title"][:_MAX_SCALAR]).strip()]
    title = next((v for v in title_values if v), "")
    if not title:
        title = _first_heading(body[: config.MAX_BODY_CHARS]) or path.stem
    urls = _values(fields.get("url"))
    url = next((u for u in urls if re.match(r"https?://|www\.", u)), urls[0] if urls else "")
    summary = " ".join(_values(fields.get("summary"))) if not isinstance(fields.get("summary"), str) else clean(fields["summary"][:_MAX_SCALAR]).strip()
    if len(body) > config.MAX_BODY_CHARS:
        problems.append(Problem(spath, t("note.body_truncated", mb=len(body) // 2**20)))
        body = body[: config.MAX_BODY_CHARS]
    links = tuple(dict.fromkeys(m.group(1).strip() for m in WIKILINK.finditer(body)))
    record = Record(
        id=ids[0] if ids else rel,
        kind="note",
        title=title[:1000],
        path=str(path.absolute()),
        types=tuple(_values(fields.get("types"))),
        summary=summary[:_MAX_SCALAR],
        body=body.strip(),
        tags=tuple(_values(fields.get("tags"))),
        links=links,
        url=url,
        mtime=stat.st_mtime,
        created=_scalar(fields.get("created"))[:40],
        modified=_scalar(fields.get("modified"))[:40],
        extra=tuple(extra),
    )
    return record, problems
