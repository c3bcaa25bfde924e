"""What the playground's server checks before it answers: the Host, the body, the page.

- ``Host`` must name the loopback address the server listens on (127.0.0.1,
  localhost or [::1], with its port): a page on another site whose name was
  rebound to 127.0.0.1 (DNS rebinding) sends its own name and is refused.
- A body is read only when ``Content-Length`` is one plain decimal byte count
  within the route's cap; anything else (negative, signed, hexadecimal, repeated,
  chunked, over the cap) is refused from the headers alone, reading nothing more.
- Every value put into the page is escaped for an HTML attribute, and the page's
  Content-Security-Policy runs only its own script files.
"""

from __future__ import annotations

import html
from email.message import Message
from importlib.resources import files
from io import BufferedIOBase

LOOPBACK = ("127.0.0.1", "localhost", "[::1]")
PAGE_POLICY = {  # the page runs its own three scripts, talks to this server only
    "Content_Security_Policy": "default-src 'self'; script-src 'self'; "
    "style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'",
    "Referrer_Policy": "no-referrer",  # the token stays out of other sites' logs
}
MAX_LENGTH_DIGITS = 18  # more digits: over any cap, refused without parsing


class BodyError(Exception):
    """A request body refused: HTTP ``status`` and the message for ``field``."""

    def __init__(self, status: int, field: str, message: str) -> None:
        super().__init__(message)
        self.status, self.field, self.message = status, field, message


def host_allowed(headers: Message, port: int) -> bool:
    """Whether the request's one ``Host`` header is ``LOOPBACK[i]:port``."""
    given = headers.get_all("Host") or []
    if len(given) != 1:
        return False
    host = given[0].strip().lower()
    allowed = {f"{name}:{port}" for name in LOOPBACK}
    if port == 80:  # a browser leaves the default port out
        allowed.update(LOOPBACK)
    return host in allowed


def read_body(
    headers: Message, rfile: BufferedIOBase, limit: int, what: str, field: str = "run"
) -> bytes:
    """The body of ``Content-Length`` bytes, at most ``limit``; else BodyError
    (400: not a byte count, chunked or cut short; 413: over ``limit``)."""
    if headers.get_all("Transfer-Encoding"):
        raise BodyError(
            400, field, "send the body with a Content-Length (chunked is not accepted)"
        )
    given = headers.get_all("Content-Length") or ["0"]
    text = given[0].strip()
    if len(given) > 1:
        raise BodyError(400, field, "the request has more than one Content-Length")
    if not (text.isascii() and text.isdigit()):
        shown = text[:24] + ("..." if len(text) > 24 else "")
        raise BodyError(
            400, field, f"Content-Length {shown!r} is not a number of bytes"
        )
    size = int(text) if len(text) <= MAX_LENGTH_DIGITS else limit + 1
    if size > limit:
        cap = f"{limit // 2**20} MiB" if limit >= 2**20 else f"{limit // 1024} KiB"
        raise BodyError(
            413, field, f"{what} is larger than {cap}, the playground's limit"
        )
    body = rfile.read(size)
    if len(body) < size:
        raise BodyError(
            400, field, f"the request body ended after {len(body)} of {size} bytes"
        )
    return body


def index_page(token: str, preset: str) -> bytes:
    """The page with its token and preset, each escaped for an HTML attribute."""
    page = (
        files("lingrad.playground")
        .joinpath("static", "index.html")
        .read_text(encoding="utf-8")
    )
    page = page.replace("{{token}}", html.escape(token, quote=True))
    return page.replace("{{preset}}", html.escape(preset, quote=True)).encode()
