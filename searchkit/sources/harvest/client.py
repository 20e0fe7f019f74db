"""A polite HTTP client for portal APIs (httpx underneath).

- a timeout on every request, gzip (httpx asks for it and decodes it);
- a User-Agent naming searchkit and its version;
- at most ``rate`` requests a second;
- retries with exponential backoff on network errors, timeouts, 5xx, 429 and an
  answer that is not what the API kind expects (a maintenance page, a cut body),
  waiting what ``Retry-After`` says on 429 and 503 (up to ``max_wait``);
- redirects followed only on the same host: a redirect to another host is refused
  (``Stop``) and named, never followed silently;
- a body larger than ``max_bytes`` is refused (``Stop``) without being read whole.

``Stop`` means the portal answered something the harvest cannot use (the run ends
and keeps what it fetched); ``Unreachable`` means the retries are spent (the run
can be resumed later).
"""

from __future__ import annotations

import email.utils
import os
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from searchkit import __version__

USER_AGENT = f"searchkit/{__version__} (open-data catalogue harvester; python-httpx/{httpx.__version__})"
RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_REDIRECTS = 5


class Stop(Exception):
    """The portal's answer cannot be used: ``code`` names why (a ``harvest.stop.<code>`` message)."""

    def __init__(self, code: str, **values) -> None:
        super().__init__(code)
        self.code = code
        self.values = values


class Unreachable(Exception):
    """Every retry failed (network down, timeouts, 5xx, 429): ``reason`` is the last failure."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Policy:
    """How polite and how patient the client is (tests make everything short)."""

    timeout: float = 30.0  # seconds for connecting and for each read
    retries: int = 4  # attempts after the first one
    backoff: float = 1.0  # first wait in seconds, doubled at each retry
    max_wait: float = 120.0  # longest wait, Retry-After included
    rate: float = 4.0  # requests per second at most
    max_bytes: int = 50 * 1024 * 1024  # largest answer accepted
    page_size: int = 100  # datasets asked for per page

    @classmethod
    def from_env(cls) -> Policy:
        """The defaults, each overridable by an environment variable (slow portals, tests):
        SEARCHKIT_HARVEST_TIMEOUT, _RETRIES, _BACKOFF, _MAX_WAIT, _RATE (seconds, counts, requests
        a second), _MAX_MB (largest page) and _PAGE_SIZE."""
        policy = cls()
        for name, convert in (("timeout", float), ("retries", int), ("backoff", float), ("max_wait", float),
                              ("rate", float), ("max_mb", float), ("page_size", int)):
            value = os.environ.get(f"SEARCHKIT_HARVEST_{name.upper()}", "").strip()
            try:
                number = convert(value) if value else None
            except ValueError:
                number = None
            if number is None or number < 0:
                continue
            if name == "max_mb":
                policy.max_bytes = int(number * 1024 * 1024)
            else:
                setattr(policy, name, number)
        policy.page_size = max(1, policy.page_size)
        return policy


@dataclass
class Answer:
    url: str
    status: int
    body: bytes
    headers: httpx.Headers


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (a number of seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port


class Client:
    """``get(url)`` with the policy above; ``check(answer)`` may raise ValueError to ask for a retry."""

    def __init__(self, policy: Policy | None = None, sleep=time.sleep) -> None:
        self.policy = policy or Policy.from_env()
        self.sleep = sleep
        self.requests = 0
        self._last = 0.0
        self._http = httpx.Client(timeout=self.policy.timeout, follow_redirects=False,
                                  headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"})

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _pace(self) -> None:
        gap = 1.0 / self.policy.rate if self.policy.rate > 0 else 0.0
        wait = self._last + gap - time.monotonic()
        if wait > 0:
            self.sleep(wait)
        self._last = time.monotonic()

    def _once(self, url: str, headers: dict[str, str]) -> Answer:
        """One request, same-host redirects followed; the body read up to ``max_bytes``."""
        for _ in range(MAX_REDIRECTS + 1):
            self._pace()
            self.requests += 1
            with self._http.stream("GET", url, headers=headers) as response:
                if response.status_code in (301, 302, 303, 307, 308) and "Location" in response.headers:
                    target = urljoin(url, response.headers.get("Location", ""))
                    if _origin(target)[:2] != _origin(url)[:2]:
                        raise Stop("redirect", url=url, target=target)
                    url = target
                    continue
                declared = response.headers.get("Content-Length", "")
                if declared.isdigit() and int(declared) > self.policy.max_bytes:
                    raise Stop("too_large", url=url, mb=int(declared) / 2**20, max=self.policy.max_bytes / 2**20)
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > self.policy.max_bytes:
                        raise Stop("too_large", url=url, mb=size / 2**20, max=self.policy.max_bytes / 2**20)
                    chunks.append(chunk)
                return Answer(str(response.url), response.status_code, b"".join(chunks), response.headers)
        raise Stop("redirects", url=url)

    def get(self, url: str, headers: dict[str, str] | None = None, check=None) -> tuple[Answer, object]:
        """The answer to ``GET url`` and what ``check(answer)`` made of it (None for a 304).

        Retries transient failures; raises Stop (unusable answer) or Unreachable (retries spent).
        """
        headers = dict(headers or {})
        reason = ""
        for attempt in range(self.policy.retries + 1):
            wait = min(self.policy.max_wait, self.policy.backoff * 2**attempt)
            try:
                answer = self._once(url, headers)
            except httpx.TimeoutException:
                reason = "timeout"
            except httpx.TransportError as exc:  # connection refused or cut, a truncated body
                reason = type(exc).__name__
            else:
                if answer.status in RETRIED_STATUSES:
                    reason = f"HTTP {answer.status}"
                    if answer.status in (429, 503):
                        asked = retry_after(answer.headers.get("Retry-After"))
                        if asked is not None:
                            wait = min(self.policy.max_wait, asked)
                elif answer.status == 304:
                    return answer, None
                elif answer.status >= 400:
                    raise Stop("status", url=url, status=answer.status)
                elif check is None:
                    return answer, answer.body
                else:
                    try:
                        return answer, check(answer)
                    except ValueError as exc:
                        reason = str(exc)
                        if attempt == self.policy.retries:
                            raise Stop("unreadable", url=url, reason=reason) from None
            if attempt < self.policy.retries:
                self.sleep(wait)
        raise Unreachable(reason)
