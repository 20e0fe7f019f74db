"""Which links searchkit hands to a browser: ``http``, ``https`` and ``mailto`` only.

A note's ``link`` and a catalogue's URL are written by other people: ``javascript:``,
``file:///etc/passwd`` or ``--new-instance --profile /tmp/evil`` (which a browser
command line takes as options) are never opened, and catalogue readers store a URL
only when it could be::

    >>> openable("https://data.gouv.fr/fr/datasets/x/"), openable("www.insee.fr")
    ('https://data.gouv.fr/fr/datasets/x/', 'https://www.insee.fr')
    >>> openable("javascript:alert(1)"), openable("-new-instance"), openable("file:///etc/passwd")
    (None, None, None)
"""

from __future__ import annotations

import re

OPENABLE_SCHEMES = ("http", "https", "mailto")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
_WHITESPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")


def openable(url: str) -> str | None:
    """The URL to open for ``url`` (``www.`` gets ``https://``), or None when it must not be opened."""
    url = (url or "").strip()
    if not url or url.startswith("-") or _WHITESPACE_OR_CONTROL.search(url):
        return None
    if url.lower().startswith("www."):
        url = "https://" + url
    scheme = _SCHEME.match(url)
    if scheme is None or scheme.group(1).lower() not in OPENABLE_SCHEMES:
        return None
    if scheme.group(1).lower() != "mailto" and not re.match(r"^[A-Za-z]+://[^/?#\s]+", url):
        return None  # "http:foo" or "https:///x": no host to go to
    return url
