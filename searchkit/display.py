"""Text from notes and catalogues made safe to show on a terminal.

Notes and catalogue records are written by other people: a title can hold
``ESC [2J`` (clear the screen), ``ESC ] 52`` (write the clipboard) or ``ESC ] 0``
(set the window title).  Every interface passes what it shows through ``safe``
at the point where data becomes text on a screen: C0 controls (newline and tab
only where the layout allows them), DEL, C1 controls (U+0080–U+009F, the
one-character CSI among them), whole escape sequences and the invisible
characters that reorder a line (bidirectional overrides) are replaced by one
visible ``PLACEHOLDER``.  JSON output keeps the data as it is (JSON escapes it).

    >>> safe("Evil \\x1b[2J title")
    'Evil � title'
    >>> safe("a\\nb"), safe("a\\nb", newlines=True)
    ('a�b', 'a\\nb')
    >>> escaped("notes/a\\nb.md")
    'notes/a\\\\nb.md'
"""

from __future__ import annotations

import os
import re
from dataclasses import replace

from searchkit.messages import value_label

PLACEHOLDER = "\ufffd"  # what a removed control or escape sequence leaves behind: visible, harmless

# whole sequences first, so that "ESC [31m" leaves one placeholder, not "�[31m"
_SEQUENCE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]?"  # CSI ... final byte
    r"|\x9b[0-?]*[ -/]*[@-~]?"  # the same with the one-character CSI
    r"|[\x1b\x9d]\][^\x07\x1b\x9c]{0,4096}(?:\x07|\x1b\\|\x9c)"  # OSC ... BEL or ST
    r"|\x9d[^\x07\x1b\x9c]{0,4096}(?:\x07|\x1b\\|\x9c)"
    r"|(?:\x1b[PX^_]|[\x90\x98\x9e\x9f])[^\x1b\x9c]{0,4096}(?:\x1b\\|\x9c)"  # DCS, SOS, PM, APC ... ST
    r"|\x1b[ -/]*[0-~]?"  # any other escape sequence (or a lone ESC)
)
# what is left: C0 but tab and newline, DEL, C1, the characters that reorder a line, and the
# Unicode line and paragraph separators (a line break to some terminals and to str.splitlines)
_CONTROL = "\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
# one pass finds what to replace: whole sequences, then single controls, then the lone surrogates
# that stand for undecodable bytes (of a file name or of typed input)
_UNSAFE = re.compile(f"{_SEQUENCE.pattern}|[{_CONTROL}\t\n]|[\ud800-\udfff]")
_UNSAFE_KEEP_LINES = re.compile(f"{_SEQUENCE.pattern}|[{_CONTROL}]|[\ud800-\udfff]")


def _replacement(m: re.Match) -> str:
    found = m.group()
    if len(found) == 1 and "\ud800" <= found <= "\udfff":
        return _bytes_shown(found)
    return PLACEHOLDER


def _bytes_shown(text: str) -> str:
    """Lone surrogates (undecodable bytes) as ``\\xNN``, as ``os.fsencode`` would give them back."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def safe(text: object, *, newlines: bool = False) -> str:
    """``text`` without anything a terminal would act on; ``newlines`` keeps ``\\n`` and tab."""
    text = str(text)
    if text.isprintable():
        return text
    if newlines:
        return _UNSAFE_KEEP_LINES.sub(_replacement, text.replace("\r\n", "\n"))
    return _UNSAFE.sub(_replacement, text)


_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def escaped(path: object) -> str:
    """A path on one line, unambiguous for a reader: controls as ``\\n`` or ``\\xNN``,
    undecodable bytes as ``\\xNN`` (the ``--format paths`` output and one-line messages)."""
    text = _bytes_shown(os.fspath(path) if isinstance(path, os.PathLike) else str(path))
    if text.isprintable():
        return text
    return "".join(
        _ESCAPES.get(c) or (f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}")
        if not c.isprintable() and c != " " else c
        for c in text
    )


def safe_marked(text: str, marks) -> tuple[str, tuple[tuple[int, int], ...]]:
    """``safe(text)`` and the character spans ``marks`` moved to where they land in it."""
    if text.isprintable():
        return text, tuple(marks)
    pieces: list[str] = []
    moves: list[tuple[int, int, int, int]] = []  # (old start, old end, new start, new end) of each replacement
    last = new = 0
    for m in _UNSAFE.finditer(text):
        pieces.append(text[last:m.start()])
        new += m.start() - last
        replacement = _replacement(m)
        moves.append((m.start(), m.end(), new, new + len(replacement)))
        pieces.append(replacement)
        new += len(replacement)
        last = m.end()
    pieces.append(text[last:])

    def moved(pos: int, end: bool) -> int:
        shift = 0
        for old_start, old_end, new_start, new_end in moves:
            if pos >= old_end:
                shift = new_end - old_end
            elif pos > old_start:  # inside what was replaced: the mark takes the whole replacement
                return new_end if end else new_start
            else:
                break
        return pos + shift

    spans = tuple((moved(a, False), moved(b, True)) for a, b in marks)
    return "".join(pieces), tuple((a, b) for a, b in spans if a < b)


def problem_line(problem) -> str:
    """``path:where: message`` of a ``model.Problem``, on one line whatever the file name holds."""
    where = f":{safe(problem.where)}" if problem.where else ""
    return f"{escaped(problem.path)}{where}: {safe(problem.message)}"


# Identifiers (``id``, ``path``, ``url``) stay as they are in the records below: the app opens, edits
# and follows them; where one is shown, it goes through ``safe`` or ``escaped`` there.


def safe_hit(hit):
    """A ``model.Hit`` whose text fields are safe to show (snippet marks moved with it)."""
    snippet, marks = safe_marked(hit.snippet, hit.marks)
    return replace(
        hit, title=safe(hit.title), types=tuple(map(safe, hit.types)), tags=tuple(map(safe, hit.tags)),
        snippet=snippet, marks=marks, summary=safe(hit.summary),
        publisher=safe(hit.publisher), licence=safe(hit.licence), formats=tuple(map(safe, hit.formats)),
        modified=safe(hit.modified), explain=tuple(map(safe, hit.explain)),
    )


def safe_results(results):
    """``model.Results`` ready for a screen: hits, facet labels, notice and suggestions made safe."""
    return replace(
        results, query=safe(results.query), hits=tuple(map(safe_hit, results.hits)),
        facets={name: tuple(replace(v, label=safe(value_label(name, v.label))) for v in values)
                for name, values in results.facets.items()},
        notice=safe(results.notice) if results.notice else results.notice,
        suggestions=tuple(map(safe, results.suggestions)),
    )


def safe_record(record):
    """A ``model.Record`` for display: the body keeps its lines, every other text field is one safe line."""
    one = {name: safe(getattr(record, name)) for name in (
        "title", "summary", "created", "modified", "publisher", "licence", "licence_original",
        "spatial", "temporal", "position", "acronym", "granularity", "frequency")}
    return replace(
        record, **one, body=safe(record.body, newlines=True), types=tuple(map(safe, record.types)),
        tags=tuple(map(safe, record.tags)), formats=tuple(map(safe, record.formats)), zones=tuple(map(safe, record.zones)),
        extra=tuple((safe(k), safe(v)) for k, v in record.extra),
    )
