"""Descriptions as plain text: Markdown and HTML flattened, then cut into a summary.

Catalogue descriptions mix Markdown (data.gouv.fr, CKAN), raw HTML pasted from
Word (``<p class="MsoNormal">``, ``<o:p>``, conditional comments), ArcGIS Hub's
upper-case ``<DIV STYLE="...">``, HTML entities (``&#x27;``, sometimes escaped
twice), base64 ``data:`` images, non-breaking and zero-width characters and
decomposed accents.  ``html_to_text`` turns all of that into readable text with
paragraphs kept as blank lines::

    >>> html_to_text('<DIV STYLE="text-align:Left;"><P><SPAN>Vélos à Évian</SPAN></P></DIV>')
    'Vélos à Évian'
    >>> html_to_text("Voir **la carte** sur [le site](https://exemple.fr) &amp; l&#x27;atlas.")
    "Voir la carte sur le site & l'atlas."

Regular expressions, not an HTML parser: descriptions are fragments, often
broken, and this runs on every record of a 100 MB export.
"""

from __future__ import annotations

import html
import re

from searchkit.textnorm import clean

_DATA_URI = re.compile(r"data:[\w.+-]+/[\w.+-]+(?:;[\w=.+-]+)*;base64,[A-Za-z0-9+/=%]*")
_COMMENT = re.compile(r"<!--.*?(?:-->|$)|<!\[if[^\]]*\]>|<!\[endif\]>", re.S)
_DROP_BLOCK = re.compile(r"<(script|style|head|title|xml)\b[^>]*>.*?(?:</\1\s*>|$)", re.S | re.I)
_LOOKS_HTML = re.compile(
    r"</?(?:p|div|span|br|a|ul|ol|li|dl|dt|dd|strong|em|b|i|u|s|small|big|center|h[1-6]|"
    r"table|thead|tbody|tfoot|tr|td|th|caption|img|font|o:p|blockquote|pre|code|hr|sup|sub|"
    r"section|article|header|footer|nav|main|aside|figure|figcaption|abbr|cite|q|iframe|"
    r"strike|del|ins|mark|time|label)\b[^<>]*>",
    re.I,
)
_BREAK = re.compile(r"<br\s*/?>", re.I)
_BLOCK_OPEN_CLOSE = re.compile(
    r"</?(?:p|div|ul|ol|table|tr|h[1-6]|blockquote|pre|hr|section|article|header|footer|dl)\b[^<>]*>",
    re.I,
)
_LIST_ITEM = re.compile(r"<li\b[^<>]*>", re.I)
_CELL = re.compile(r"</t[dh]\s*>", re.I)
_TAG = re.compile(r"</?[A-Za-z][\w:.-]*(?:\s[^<>]*)?/?>")
_ENTITY = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")

# Markdown, applied line by line or on the whole text
_MD_TITLE = r"""(?:\s+(?:"[^"\n]*"|'[^'\n]*'|\([^()\n]*\)))?"""
_MD_URL = r"(?:[^()\s]|\([^()\s]*\))*"
_MD_IMAGE = re.compile(r"!\[[^\]]*\]\(\s*" + _MD_URL + _MD_TITLE + r"\s*\)")
_MD_LINK = re.compile(r"\[([^\]]*)\]\(\s*" + _MD_URL + _MD_TITLE + r"\s*\)")
_MD_REFLINK = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
_MD_REFDEF = re.compile(r"^[ \t]{0,3}\[[^\]]+\]:[ \t]*\S+.*$", re.M)
_MD_AUTOLINK = re.compile(r"<((?:https?|ftp|mailto):[^<>\s]+)>")
_MD_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}(?:[ \t]*([^#\s].*?))?[ \t#]*$", re.M)
_MD_SETEXT = re.compile(r"^[ \t]{0,3}(?:=+|-{2,})[ \t]*$", re.M)
_MD_RULE = re.compile(r"^[ \t]{0,3}(?:[-*_][ \t]*){3,}$", re.M)
_MD_QUOTE = re.compile(r"^[ \t]{0,3}>[ \t]?", re.M)
_MD_BULLET = re.compile(r"^([ \t]*)[*+-][ \t]+", re.M)
_MD_FENCE = re.compile(r"^[ \t]*(?:```|~~~).*$", re.M)
_MD_TABLE_RULE = re.compile(r"^[ \t]*\|?[ \t]*:?-{3,}:?[ \t]*(?:\|[ \t]*:?-{3,}:?[ \t]*)*\|?[ \t]*(?:\n|$)", re.M)
_MD_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1", re.S)
_MD_EM = re.compile(r"(?<![\w*])\*(?=[^\s*])([^*\n]+?)(?<=\S)\*(?![\w*])|(?<![\w_])_(?=[^\s_])([^_\n]+?)(?<=\S)_(?![\w_])")
_MD_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
_MD_CODE = re.compile(r"`+([^`]*)`+")
_LONE_STARS = re.compile(r"\*{2,}")
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~])")

_SPACES = re.compile(r"[ \t\f\v\r]+")
_BLANKS = re.compile(r"\n{3,}")


def _unescape(text: str) -> str:
    """HTML entities, twice if the source escaped them twice (``&amp;#x27;``)."""
    for _ in range(3):
        if not _ENTITY.search(text):
            break
        text = html.unescape(text)
    return text


def _strip_html(text: str) -> str:
    text = _COMMENT.sub("", text)
    text = _DROP_BLOCK.sub("", text)
    text = _BREAK.sub("\n", text)
    text = _LIST_ITEM.sub("\n- ", text)
    text = _CELL.sub(" ", text)
    text = _BLOCK_OPEN_CLOSE.sub("\n\n", text)
    return _TAG.sub("", text)


def _strip_markdown(text: str) -> str:
    # each pattern only runs when its marker is present: this is the hot path of a big export
    if "```" in text or "~~~" in text:
        text = _MD_FENCE.sub("", text)
    if "](" in text:
        text = _MD_IMAGE.sub("", text)
        text = _MD_LINK.sub(r"\1", text)
    if "][" in text or "]:" in text:
        text = _MD_REFLINK.sub(r"\1", text)
        text = _MD_REFDEF.sub("", text)
    if "<" in text:
        text = _MD_AUTOLINK.sub(r"\1", text)
    if "|" in text:
        text = _MD_TABLE_RULE.sub("", text)
        text = re.sub(r"^[ \t]*\|(.*)\|[ \t]*$", lambda m: m.group(1).replace("|", "  "), text, flags=re.M)
    if "---" in text or "***" in text or "___" in text or "==" in text:
        text = _MD_RULE.sub("", text)
        text = _MD_SETEXT.sub("", text)
    if "#" in text:
        text = _MD_HEADING.sub(lambda m: m.group(1) or "", text)
    if ">" in text:
        text = _MD_QUOTE.sub("", text)
    if "*" in text or "+" in text or "-" in text:
        text = _MD_BULLET.sub(r"\1- ", text)
    if "*" in text or "_" in text:
        text = _MD_STRONG.sub(r"\2", text)
        text = _MD_EM.sub(lambda m: m.group(1) or m.group(2), text)
        text = _LONE_STARS.sub("", text)  # unbalanced ** left by hand-written Markdown
    if "~~" in text:
        text = _MD_STRIKE.sub(r"\1", text)
    if "`" in text:
        text = _MD_CODE.sub(r"\1", text)
    if "\\" in text:
        text = _MD_ESCAPE.sub(r"\1", text)
    return text


def html_to_text(text: str | None) -> str:
    """Markdown or HTML (or both) as plain text; paragraphs as blank lines.

    NFC, no invisible characters, no non-breaking spaces, no ``data:`` images,
    entities decoded, runs of spaces collapsed, lines trimmed.
    """
    if not text:
        return ""
    text = str(text)
    if not text.isascii():
        text = clean(text)
    if "data:" in text:
        text = _DATA_URI.sub("", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _LOOKS_HTML.search(text) or "<!--" in text:
        text = _strip_html(text)
    text = _unescape(text)
    text = clean(text)  # entities may have produced nbsp or zero-width characters
    text = _strip_markdown(text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip()


def one_line(text: str | None) -> str:
    """A short field (title, publisher, tag...) as one clean line."""
    if text is None:
        return ""
    text = str(text)
    if not text.isascii():  # clean() cannot change ASCII text: skip it on the hot path
        text = clean(text)
    if "&" in text:
        text = clean(_unescape(text))
    return " ".join(text.split())


# A sentence ends at . ! ? or … followed by a space and a capital, digit or quote,
# unless the word before the dot is an initial or a common abbreviation ("M.", "cf.").
_SENTENCE_END = re.compile(r"([.!?…])\s+(?=[A-ZÀ-ÖØ-Þ0-9«\"(\[])")
_ABBREVIATIONS = {
    "m", "mm", "mme", "mmes", "mlle", "dr", "pr", "st", "ste", "cf", "ex", "env", "art",
    "p", "n", "no", "vol", "fig", "etc", "av", "bd", "réf", "ref", "id", "éd", "min",
}
SUMMARY_LIMIT = 200


def summarize(text: str, limit: int = SUMMARY_LIMIT) -> str:
    """The first sentence of ``text`` if it is short enough, else ~``limit`` characters.

    >>> summarize("Liste des arrêtés. Mise à jour chaque mois.")
    'Liste des arrêtés.'
    >>> summarize("Présenté par M. Daniel Percheron en séance. Voté en mai.")
    'Présenté par M. Daniel Percheron en séance.'
    """
    # the first real paragraph: a short heading ("Qualité de l'air") is skipped
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    first = next((p for p in paragraphs if len(p.strip()) >= 20), text)
    flat = " ".join(first.split())
    if not flat:
        return ""
    for match in _SENTENCE_END.finditer(flat):
        end = match.start(1) + 1
        if end > limit:
            break
        before = flat[: match.start(1)].rsplit(" ", 1)[-1].rstrip(".").lower()
        if match.group(1) == "." and (len(before) <= 1 or before in _ABBREVIATIONS):
            continue
        if end >= 15:
            return flat[:end]
    if len(flat) <= limit:
        return flat
    cut = flat.rfind(" ", 0, limit)
    if cut < limit // 2:
        cut = limit
    return flat[:cut].rstrip(" ,;:-–") + "…"
