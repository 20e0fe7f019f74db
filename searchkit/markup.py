"""The wiki-link syntax of notes, one pattern for the reader, the snippets and the app.

``[[id]]``, ``[[id|label]]`` and ``[[id#part]]``: group 1 is the id, group 2 the label::

    >>> [m.groups() for m in WIKILINK.finditer("voir [[42]] et [[7|Etalab]]")]
    [('42', None), ('7', 'Etalab')]
"""

from __future__ import annotations

import re

WIKILINK = re.compile(r"\[\[([^\[\]|#]+)(?:#[^\[\]|]*)?(?:\|([^\[\]]*))?\]\]")
