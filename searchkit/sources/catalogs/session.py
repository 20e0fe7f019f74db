"""Recorded HTTP sessions: udata harvester snapshots (``requests_history``).

``{"requests_history": [{"request": {"method", "url", ...}, "response":
{"status_code", "headers", "body"}}], "job": ..., "datasets": ...}`` where each
``body`` is the response as a string: JSON inside JSON (CKAN ``package_search``
then one ``package_show`` per dataset), an XML CSW response, an
OpenDataSoft DCAT export...  Each successful body is detected and read like a
file of its own; bodies that are not catalogues (the XSL stylesheet a CSW
harvester downloads, an empty ``HEAD`` answer) are skipped silently.  The
same dataset is usually answered several times (search, then show; a request
replayed): only its first record is kept, and positions count the records
kept ("enregistrement N").  Problems name the response: "réponse 3, ...".

The harvester's own output (``datasets``, ``job``) is not read: it is udata's
view of the same records.  The request URL gives the portal, used for
landing pages that CKAN and OpenDataSoft leave implicit.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from searchkit.model import Problem, Record

from .common import Item, Src, record_position, text_of
from .wording import say

FORMAT = "http-session"
_XML_ENCODING = re.compile(r"^(\s*<\?xml[^>]*?encoding=[\"'])[^\"']+", re.I)


def looks_like(obj: Any) -> bool:
    history = obj.get("requests_history") if isinstance(obj, dict) else None
    return isinstance(history, list) and all(isinstance(h, dict) for h in history)


def _portal(url: str) -> str:
    from .ckan import portal_of

    ckan = portal_of(url)
    if ckan:
        return ckan
    match = re.match(r"^(https?://[^/?#]+)/api/(?:explore|records|datasets|v2)", url)
    return match.group(1) if match else ""


def _body_bytes(body: Any) -> bytes:
    if isinstance(body, (dict, list)):
        return json.dumps(body).encode("utf-8")
    text = text_of(body) if not isinstance(body, str) else body
    # the body was decoded already: its XML declaration must now say UTF-8
    return _XML_ENCODING.sub(r"\1UTF-8", text, count=1).encode("utf-8")


def read_json(src: Src, obj: dict[str, Any]) -> Iterator[Item]:
    from .dispatch import read_buffer

    seen: set[str] = set()
    kept = 0
    for number, exchange in enumerate(obj["requests_history"], 1):
        response = exchange.get("response") if isinstance(exchange.get("response"), dict) else {}
        request = exchange.get("request") if isinstance(exchange.get("request"), dict) else {}
        status = response.get("status_code")
        if not (isinstance(status, int) and 200 <= status < 300):
            continue
        body = response.get("body")
        if body in (None, "") or (isinstance(body, str) and not body.strip()):
            continue
        where = say("where.response", n=number)
        for item in read_buffer(src, _body_bytes(body), _portal(text_of(request.get("url"))), where):
            if isinstance(item, Record):
                if item.id in seen:
                    continue
                seen.add(item.id)
                kept += 1
                yield item.with_changes(position=record_position(kept))
            elif isinstance(item, Problem):
                if item.message == say("format.unknown"):
                    continue  # a stylesheet, a page: part of the session, not a catalogue
                inner = item.where if item.where and item.where != where else ""
                yield Problem(item.path, item.message, f"{where}, {inner}" if inner else where)
