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
# what is left: C0 but tab and newline, DEL, C1, and the characters that reorder a line
_CONTROL = "\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069"
_UNSAFE = re.compile(f"[{_CONTROL}\t\n]")
_UNSAFE_KEEP_LINES = re.compile(f"[{_CONTROL}]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _bytes_shown(text: str) -> str:
    """Lone surrogates (undecodable bytes of a file name or of typed input) as ``\\xNN``."""
    if not _LONE_SURROGATE.search(text):
        return text
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def safe(text: object, *, newlines: bool = False) -> str:
    """``text`` without anything a terminal would act on; ``newlines`` keeps ``\\n`` and tab."""
    text = _bytes_shown(str(text))
    if text.isprintable():
        return text
    text = _SEQUENCE.sub(PLACEHOLDER, text)
    if newlines:
        text = text.replace("\r\n", "\n")
    return (_UNSAFE_KEEP_LINES if newlines else _UNSAFE).sub(PLACEHOLDER, text)


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
