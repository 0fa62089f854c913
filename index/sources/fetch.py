"""Fetching one notes page over HTTP(S), within limits: timeouts, a size cap, the content type
checked, a bounded number of redirects and a User-Agent that says who is asking."""

from __future__ import annotations

import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from ..errors import KubeconBotError

USER_AGENT = "kubecon-bot-notes-import/0.1 (+https://github.com/kubecon-bot; one page per run)"
TEXT_TYPES = ("text/html", "application/xhtml+xml", "text/markdown", "text/x-markdown",
              "text/plain")
CHUNK = 64 * 1024


class SourceError(KubeconBotError):
    """A notes source cannot be imported; the message says why and what to do next."""


@dataclass(frozen=True)
class Limits:
    """How long and how much a fetch may take."""

    timeout: float = 15.0            # seconds per connect / read, and for the whole download
    max_bytes: int = 10_000_000      # bigger pages are refused
    max_redirects: int = 5


@dataclass(frozen=True)
class Page:
    url: str             # after redirects
    content_type: str    # e.g. text/html
    text: str


class _Redirects(urllib.request.HTTPRedirectHandler):
    def __init__(self, limit: int) -> None:
        super().__init__()
        self.max_redirections = limit
        self.max_repeats = limit


def _check_type(url: str, content_type: str) -> None:
    if content_type and content_type not in TEXT_TYPES:
        raise SourceError(f"{url}: is {content_type}, not a web page or Markdown; "
                          "save the notes as HTML or Markdown and import the file")


def _read(response, url: str, limits: Limits, started: float) -> bytes:  # type: ignore[no-untyped-def]
    length = response.headers.get("Content-Length")
    if length and length.isdigit() and int(length) > limits.max_bytes:
        raise SourceError(f"{url}: the page is {int(length) // 1_000_000} MB, over the "
                          f"{limits.max_bytes // 1_000_000} MB limit; save the article alone")
    parts: list[bytes] = []
    size = 0
    while True:
        if time.monotonic() - started > limits.timeout:
            raise SourceError(f"{url}: the server is too slow (over {limits.timeout:g} s); "
                              "try again later or save the page and import the file")
        block = response.read(CHUNK)
        if not block:
            return b"".join(parts)
        size += len(block)
        if size > limits.max_bytes:
            raise SourceError(f"{url}: the page is over the {limits.max_bytes // 1_000_000} MB "
                              "limit; save the article alone and import the file")
        parts.append(block)


def fetch(url: str, limits: Limits | None = None) -> Page:
    """The page at url as text; SourceError (one line) for anything that is not a page."""
    limits = limits or Limits()
    if not url.startswith(("http://", "https://")):
        raise SourceError(f"{url}: only http:// and https:// addresses can be fetched")
    opener = urllib.request.build_opener(_Redirects(limits.max_redirects))
    request = urllib.request.Request(url, headers={
        "User-Agent": USER_AGENT, "Accept": "text/html, text/markdown;q=0.9, */*;q=0.1"})
    started = time.monotonic()
    try:
        with opener.open(request, timeout=limits.timeout) as response:
            content_type = response.headers.get_content_type() or ""
            _check_type(url, content_type)
            data = _read(response, url, limits, started)
            charset = response.headers.get_content_charset() or "utf-8"
            final = response.geturl()
    except urllib.error.HTTPError as exc:
        if 300 <= exc.code < 400:
            raise SourceError(f"{url}: more than {limits.max_redirects} redirects; "
                              "import the address they end at") from None
        raise SourceError(f"{url}: the server answered {exc.code} {exc.reason}; "
                          "check the address") from None
    except (socket.timeout, TimeoutError):
        raise SourceError(f"{url}: the server is too slow (no answer within {limits.timeout:g} s);"
                          " try again later or save the page and import the file") from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, (socket.timeout, TimeoutError)):
            raise SourceError(f"{url}: the server is too slow (no answer within "
                              f"{limits.timeout:g} s); try again later") from None
        raise SourceError(f"{url}: cannot connect ({reason}); check the address") from None
    return Page(url=final, content_type=content_type,
                text=data.decode(charset if _known(charset) else "utf-8", errors="replace"))


def _known(charset: str) -> bool:
    import codecs
    try:
        codecs.lookup(charset)
    except LookupError:
        return False
    return True
