"""A portal on the loopback interface for the harvest tests: the real records of the
corpus served in each API's real answer shape, with faults on demand.

    with serve(Portal("udata", records)) as portal:
        portal.url("/api/1/datasets/")

APIs: udata ``/api/1/datasets/`` (``data``, ``next_page``, ``total``, ``page``,
``page_size``; ``sort=created`` or ``-last_update``), CKAN
``/api/3/action/package_search`` (``success``, ``result.count``, ``result.results``;
``rows``, ``start``, ``fq=metadata_modified:[X TO *]``), OpenDataSoft
``/api/explore/v2.1/catalog/datasets`` (``total_count``, ``results``; ``limit``,
``offset``, ``where=modified>=date'X'``), DCAT JSON-LD ``/catalog.jsonld?page=N``
with hydra ``nextPage``, CSW ``GetRecords`` (``nextRecord``).  Every answer has an ETag
and a matching If-None-Match gets a 304.

Faults (``Portal.faults``, consumed in order, each ``times`` times, on requests whose
path and query contain ``match``): ``status`` with ``headers`` (429 + Retry-After, 500),
``body`` (truncated JSON), ``sleep`` (a timeout), ``redirect`` (to another host).
``loop`` makes the second page point back to the first; ``endless`` never ends.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit


@dataclass
class Fault:
    match: str = ""
    times: int = 1
    status: int | None = None
    headers: dict = field(default_factory=dict)
    body: bytes | None = None
    sleep: float = 0.0
    redirect: str | None = None  # the host to redirect to ("localhost" is another host than 127.0.0.1)


class Portal:
    def __init__(self, kind: str, records: list[dict]) -> None:
        self.kind = kind
        self.records = list(records)
        self.faults: list[Fault] = []
        self.log: list[tuple[str, dict]] = []  # (path?query, request headers)
        self.delay = 0.0
        self.loop = False
        self.endless = False
        self.lock = threading.Lock()
        self.port = 0

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def ids(self) -> set[str]:
        key = "dataset_id" if self.kind == "ods" else "id"
        return {str(r[key]) for r in self.records}

    def remove(self, ident: str) -> None:
        key = "dataset_id" if self.kind == "ods" else "id"
        with self.lock:
            self.records = [r for r in self.records if str(r[key]) != ident]

    # --- the APIs ---

    def answer(self, path: str, query: dict[str, str]) -> bytes:
        with self.lock:
            records = list(self.records)
        if self.kind == "udata":
            return self._udata(path, query, records)
        if self.kind == "ckan":
            return self._ckan(query, records)
        if self.kind == "ods":
            return self._ods(query, records)
        if self.kind == "csw":
            return self._csw(query, records)
        return self._dcat(path, query, records)

    def _udata(self, path, query, records) -> bytes:
        size, page = int(query.get("page_size", 20)), int(query.get("page", 1))
        if query.get("sort") == "-last_update":
            records.sort(key=lambda r: (r.get("last_update") or "", r["id"]), reverse=True)
        else:
            records.sort(key=lambda r: (r.get("created_at") or "", r["id"]))
        chunk = records[(page - 1) * size: page * size]
        more = page * size < len(records)
        if self.endless:
            chunk, more = records[:size], True
        following = None
        if more:
            following = self.url(f"{path}?" + urlencode(dict(query, page=1 if self.loop and page == 2 else page + 1)))
        return json.dumps({"data": chunk, "next_page": following, "page": page, "page_size": size,
                           "previous_page": None, "total": len(records)}).encode()

    def _ckan(self, query, records) -> bytes:
        rows, start = int(query.get("rows", 10)), int(query.get("start", 0))
        fq = query.get("fq", "")
        if fq.startswith("metadata_modified:["):
            since = fq.split("[", 1)[1].split(" TO ", 1)[0]
            records = [r for r in records if (r.get("metadata_modified") or "") >= since]
        records.sort(key=lambda r: (r.get("metadata_modified") or "", r["id"]))
        return json.dumps({"help": self.url("/api/3/action/help_show?name=package_search"), "success": True,
                           "result": {"count": len(records), "results": records[start:start + rows],
                                      "sort": query.get("sort", ""), "facets": {}, "search_facets": {}}}).encode()

    def _ods(self, query, records) -> bytes:
        limit, offset = int(query.get("limit", 10)), int(query.get("offset", 0))
        where = query.get("where", "")
        if where.startswith("modified>=date'"):
            since = where.split("'")[1]
            records = [r for r in records if r["metas"]["default"]["modified"] >= since]
        records.sort(key=lambda r: r["dataset_id"])
        return json.dumps({"total_count": len(records), "results": records[offset:offset + limit]}).encode()

    def _dcat(self, path, query, records) -> bytes:
        size, page = 25, int(query.get("page", 1))
        chunk = records[(page - 1) * size: page * size]
        collection = {"@id": self.url(f"{path}?page={page}"), "@type": "hydra:PagedCollection",
                      "hydra:totalItems": len(records), "hydra:itemsPerPage": size}
        if page * size < len(records):
            collection["hydra:nextPage"] = self.url(f"{path}?page={page + 1}")
        context = {"dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/",
                   "hydra": "http://www.w3.org/ns/hydra/core#"}
        return json.dumps({"@context": context, "@graph": chunk + [collection]}, ensure_ascii=False).encode()


    def _csw(self, query, records) -> bytes:
        """``records`` are whole GetRecords answers (bytes), one per page, ``startPosition`` 1, 3, 5..."""
        page = (int(query.get("startPosition", 1)) - 1) // 2
        following = str(2 * page + 3) if page + 1 < len(records) else "0"
        return records[page].replace(b'nextRecord="3"', f'nextRecord="{following}"'.encode())


def _handler(portal: Portal):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 - the standard library's name
            parts = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            portal.log.append((self.path, dict(self.headers)))
            if portal.delay:
                time.sleep(portal.delay)
            fault = None
            with portal.lock:
                for candidate in portal.faults:
                    if candidate.times > 0 and candidate.match in self.path:
                        candidate.times -= 1
                        fault = candidate
                        break
            if fault and fault.sleep:
                time.sleep(fault.sleep)
            if fault and fault.redirect:
                return self._send(302, b"", {"Location": f"http://{fault.redirect}:{portal.port}{self.path}"})
            if fault and fault.status:
                return self._send(fault.status, b'{"message": "try later"}', fault.headers)
            body = fault.body if fault and fault.body is not None else portal.answer(parts.path, query)
            etag = '"' + hashlib.sha1(body).hexdigest() + '"'
            if self.headers.get("If-None-Match") == etag:
                return self._send(304, b"", {"ETag": etag})
            self._send(200, body, {"ETag": etag, "Content-Type": "application/json"})

        def _send(self, status: int, body: bytes, headers: dict) -> None:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body:
                with contextlib.suppress(OSError):
                    self.wfile.write(body)

    return Handler


@contextlib.contextmanager
def serve(portal: Portal):
    """The portal on 127.0.0.1 at a free port, in a thread, for the duration of the block."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(portal))
    server.daemon_threads = True
    portal.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield portal
    finally:
        server.shutdown()
        server.server_close()
