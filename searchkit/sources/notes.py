"""Markdown notes with YAML front matter (Cosma / Zettlr / Obsidian style) -> Record.

Reads whatever users produce: keys in any case and spelling (see
``config.FIELD_ALIASES``), lists or comma-separated strings, ``----`` fences,
no front matter, broken YAML (a line-by-line fallback keeps what it can),
cp1252 or UTF-16 files.  Every problem becomes a ``Problem`` naming the file;
only binary files are skipped.

    >>> rec, problems = read_note(Path("notes/etalab.md"), Path("notes"))  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as _dt
import re
from pathlib import Path

import yaml
from frontmatter.default_handlers import YAMLHandler

from searchkit import config
from searchkit.messages import t
from searchkit.model import Problem, Record
from searchkit.textnorm import clean, fold

WIKILINK = re.compile(r"\[\[([^\[\]|#]+)(?:#[^\[\]|]*)?(?:\|([^\[\]]*))?\]\]")
HEADING = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.MULTILINE)
_FENCE = YAMLHandler()
_MAX_ALIASES = 50
_MAX_SCALAR = 10_000
_LENIENT_LINE = re.compile(r"^([^\s:#][^:]{0,60}):\s*(.*)$")

_ALIAS_OF = {fold(alias).casefold(): name for name, aliases in config.FIELD_ALIASES.items() for alias in aliases}


class _Loader(yaml.SafeLoader):
    """Safe loader that refuses alias bombs and records duplicate keys."""

    def __init__(self, stream):
        super().__init__(stream)
        self.aliases = 0
        self.duplicates: list[str] = []

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > _MAX_ALIASES:
                raise yaml.YAMLError(t("note.yaml_aliases"))
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = getattr(key_node, "value", None)
            if isinstance(key, str):
                if key in seen:
                    self.duplicates.append(key)
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


def decode(data: bytes) -> tuple[str, str | None]:
    """Text of a file and, when it was not UTF-8, a note saying which encoding was used."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "UTF-16"
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "cp1252"


def looks_binary(data: bytes) -> bool:
    head = data[:8192]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    return b"\x00" in head


def _scalar(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, (list, tuple, set, dict)):
        return ", ".join(_scalar(v) for v in (value.values() if isinstance(value, dict) else value))
    return str(value)[:_MAX_SCALAR]


def _values(value) -> list[str]:
    """A list, a string, or a comma-separated string -> list of clean strings."""
    if value is None:
        return []
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple, set)):
        out: list[str] = []
        for v in value:
            out.extend(_values(v) if isinstance(v, (list, tuple)) else [_scalar(v)])
        items = out
    else:
        items = _scalar(value).split(",")
    cleaned = []
    for item in items:
        item = clean(item).strip().strip("#").strip()
        if item.casefold() not in config.EMPTY_VALUES and item not in cleaned:
            cleaned.append(item)
    return cleaned


def _parse_yaml(text: str, path: str, problems: list[Problem]) -> dict:
    loader = _Loader(text)
    try:
        data = loader.get_single_data()
    except (yaml.YAMLError, RecursionError, ValueError, TypeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        where = t("where.line", line=mark.line + 2) if mark is not None else ""
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        problems.append(Problem(path, t("note.yaml_invalid", reason=reason), where))
        return _lenient(text)
    finally:
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
            key, value = m.group(1).strip(), m.group(2).strip().strip("'\"")
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


def read_note(path: Path, root: Path) -> tuple[Record | None, list[Problem]]:
    """Read one note; ``root`` is the source folder the default id is relative to."""
    spath = str(path)
    problems: list[Problem] = []
    try:
        stat = path.stat()
        if stat.st_size > config.MAX_NOTE_BYTES:
            return None, [Problem(spath, t("note.too_large", mb=stat.st_size // 2**20))]
        data = path.read_bytes()
    except OSError as exc:
        return None, [Problem(spath, t("file.unreadable", reason=exc.strerror or str(exc)))]
    if looks_binary(data):
        return None, [Problem(spath, t("note.binary"))]
    text, encoding = decode(data)
    if encoding:
        problems.append(Problem(spath, t("note.encoding", encoding=encoding)))
    if "\x00" in text:
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
        key_s = _scalar(key).strip()
        name = _ALIAS_OF.get(fold(key_s).casefold())
        if name and name not in fields:
            fields[name] = value
        elif value is not None and not isinstance(value, (dict, list)) and key_s:
            extra.append((key_s.casefold(), _scalar(value)))

    try:
        rel = path.relative_to(root).as_posix() if root.is_dir() else path.name
    except ValueError:
        rel = path.name
    ids = _values(fields.get("id"))
    title_values = _values(fields.get("title")) if not isinstance(fields.get("title"), str) else [clean(fields["title"]).strip()]
    title = next((v for v in title_values if v), "")
    if not title:
        m = HEADING.search(body)
        title = m.group(1).strip() if m else path.stem
    urls = _values(fields.get("url"))
    url = next((u for u in urls if re.match(r"https?://|www\.", u)), urls[0] if urls else "")
    summary = " ".join(_values(fields.get("summary"))) if not isinstance(fields.get("summary"), str) else clean(fields["summary"]).strip()
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
