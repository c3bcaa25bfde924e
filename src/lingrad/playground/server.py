"""The playground's web server: the standard library's, nothing to install.

``http.server.ThreadingHTTPServer`` on 127.0.0.1, one thread per request; training
runs in each session's own thread, and the page hears of it by server-sent events
(``GET /api/events``), which need no library on either side. Every request must
carry the access token printed with the URL (``?token=`` or the
``X-Lingrad-Token`` header), or it gets 403; a ``Host`` other than the loopback
address gets 421 and a body that is not a capped ``Content-Length`` 400 or 413
(:mod:`lingrad.playground.guards`). A client that leaves early costs one line on
stderr, an internal error one line too (its traceback with ``--debug``).

Routes: ``GET /`` the page; ``GET /static/NAME`` its scripts and style (package
data); ``POST /api/session`` a new session (one per tab); ``POST
/api/session/ID/ACTION`` a command (configure, set, step, play, pause, reset,
upload, export), answered ``{"ok": true}`` or ``{"ok": false, "errors": {field:
message}}`` (status 200: the page shows the messages inline); ``GET
/api/events?session=ID`` the frames; ``GET /exports/NAME/FILE`` an exported file.
"""

from __future__ import annotations

import hmac
import json
import secrets
import shutil
import sys
import tempfile
import threading
import time
import traceback
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from lingrad.playground.console import internal, note
from lingrad.playground.frames import to_json
from lingrad.playground.guards import (
    PAGE_POLICY,
    BodyError,
    host_allowed,
    index_page,
    read_body,
)
from lingrad.playground.session import Session
from lingrad.playground.settings import SettingsError

MAX_SESSIONS = 16  # the least recently seen idle session goes beyond
FORGET = 3600.0  # seconds after its page closed that a session is dropped
MAX_JSON = 64 * 1024
FRAME_GAP = 0.05  # seconds between frames: at most 20 a second
_TYPES = {".js": "text/javascript", ".css": "text/css", ".html": "text/html"}


class PlaygroundServer(ThreadingHTTPServer):
    """The server and its sessions; ``url`` holds the token."""

    daemon_threads = True

    def __init__(
        self, port: int = 0, preset: str = "linear-1d", out: Path | None = None
    ):
        super().__init__(("127.0.0.1", port), Handler)
        self.token = secrets.token_urlsafe(24)
        self.preset = preset
        self.out = Path(out or "lingrad-out/playground")
        self.sessions: dict[str, Session] = {}
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.debug = False  # True: an internal error prints its traceback
        self.dropped = 0  # clients that closed their connection early
        self._tmp = Path(tempfile.mkdtemp(prefix="lingrad-playground-"))

    def warm_up(self) -> None:
        """Import the engine and build the first preset's run in the background,
        so the first page opens quickly."""

        def work() -> None:
            from lingrad.playground import run
            from lingrad.playground.settings import preset

            run.build(preset(self.preset), None)

        threading.Thread(target=work, name="playground-warm-up", daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/?token={self.token}"

    def new_session(self, preset: str) -> Session:
        sid = secrets.token_hex(8)
        session = Session(sid, self._tmp, preset)
        with self.lock:
            now = time.monotonic()
            for old in list(self.sessions.values()):  # tabs closed long ago
                if old.listeners == 0 and now - old.last_seen > FORGET:
                    old.close()
                    del self.sessions[old.id]
            if len(self.sessions) >= MAX_SESSIONS:
                idle = [s for s in self.sessions.values() if not s.playing] or list(
                    self.sessions.values()
                )
                oldest = min(idle, key=lambda s: s.last_seen)
                oldest.close()
                del self.sessions[oldest.id]
            self.sessions[sid] = session
        return session

    def handle_error(self, request: object, client_address: object) -> None:
        """One line on stderr for an error no handler answered: a client that left
        early, or an internal error (its traceback with ``--debug``)."""
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError | TimeoutError):
            with self.lock:
                self.dropped += 1
            why = type(error).__name__
            note(f"a page closed the connection early ({why}); serving on")
        elif self.debug:
            traceback.print_exc()
        else:
            internal("answering a request", error)

    def close(self) -> None:
        """Stop every session and the server; remove the uploads."""
        self.stopping.set()
        with self.lock:
            for s in self.sessions.values():
                s.close()
                with s.lock:
                    s.changed.notify_all()
        self.server_close()
        shutil.rmtree(self._tmp, ignore_errors=True)


def static(name: str) -> bytes:
    return files("lingrad.playground").joinpath("static", name).read_bytes()


class Handler(BaseHTTPRequestHandler):
    server: PlaygroundServer
    server_version = "lingrad-playground"
    timeout = 30.0  # seconds a socket may stall: a slow client cannot hold a thread
    _started = False  # a status line was sent: too late for a 500

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    # ---- plumbing -------------------------------------------------------------
    def _send(self, status: int, body: bytes, ctype: str, **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        for key, value in headers.items():
            self.send_header(key.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, doc: object) -> None:
        body = to_json(doc).encode()
        self._send(status, body, "application/json")

    def _errors(self, errors: dict[str, str], status: int = 200) -> None:
        """``{"ok": false, "errors": ...}``; bad values are answered with 200 (the
        request was understood; the page shows the messages inline) so the
        browser's console stays free of failed requests."""
        self._json(status, {"ok": False, "errors": errors})

    def _authorized(self, query: dict[str, list[str]]) -> bool:
        given = self.headers.get("X-Lingrad-Token") or (query.get("token") or [""])[0]
        return hmac.compare_digest(given.encode(), self.server.token.encode())

    def _misdirected(self) -> None:
        port = self.server.server_address[1]
        self._send(
            421,
            f"421 Misdirected Request: the playground answers only at "
            f"http://127.0.0.1:{port}/ (or localhost:{port}).\n".encode(),
            "text/plain; charset=utf-8",
        )

    def _failed(self, error: Exception) -> None:
        """An internal error: one line on stderr (the traceback with --debug),
        500 to the page where nothing was sent yet."""
        if self.server.debug:
            traceback.print_exc()
        else:
            where = f"{self.command} {urlsplit(self.path).path}"
            internal(f"answering {where}", error)
        if not self._started:
            self._send(500, b"500 Internal Server Error\n", "text/plain; charset=utf-8")

    def send_response(self, code: int, message: str | None = None) -> None:
        self._started = True
        super().send_response(code, message)

    def _forbidden(self) -> None:
        self._send(
            HTTPStatus.FORBIDDEN,
            b"403 Forbidden: this address needs the access token. Open the URL that "
            b"`lingrad playground` printed (it ends in ?token=...).\n",
            "text/plain; charset=utf-8",
        )

    def _session(self, sid: str) -> Session | None:
        session = self.server.sessions.get(sid)
        if session is not None:
            session.last_seen = time.monotonic()
        return session

    def _body(self, limit: int, what: str, field: str = "run") -> bytes:
        return read_body(self.headers, self.rfile, limit, what, field)

    # ---- GET ------------------------------------------------------------------
    def do_GET(self) -> None:
        self._started = False
        try:
            self._get()
        except ConnectionError:
            raise  # the client left: the server's handle_error says so in one line
        except Exception as e:
            self._failed(e)

    def _get(self) -> None:
        if not host_allowed(self.headers, self.server.server_address[1]):
            return self._misdirected()
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        if not self._authorized(query):
            return self._forbidden()
        path = parts.path
        if path == "/":
            return self._index(query)
        if path.startswith("/static/"):
            name = path[len("/static/") :]
            if name in ("playground.js", "panels.js", "chart.js", "playground.css"):
                ctype = _TYPES[Path(name).suffix] + "; charset=utf-8"
                return self._send(200, static(name), ctype)
        if path == "/api/events":
            session = self._session((query.get("session") or [""])[0])
            if session is None:
                return self._errors({"session": "unknown session; reload"}, 404)
            return self._events(session)
        if path.startswith("/exports/"):
            return self._exported(path[len("/exports/") :])
        self._send(404, b"404 Not Found\n", "text/plain; charset=utf-8")

    def _index(self, query: dict[str, list[str]]) -> None:
        from lingrad.playground.settings import PRESETS

        preset = (query.get("preset") or [self.server.preset])[0]
        if preset not in PRESETS:
            text = "400 Bad Request: unknown preset in ?preset=; choose one of: "
            text += ", ".join(PRESETS) + "\n"
            return self._send(400, text.encode(), "text/plain; charset=utf-8")
        page = index_page(self.server.token, preset)
        self._send(200, page, "text/html; charset=utf-8", **PAGE_POLICY)

    def _exported(self, rest: str) -> None:
        folder, _, name = rest.partition("/")
        root = self.server.out.resolve()
        path = (root / folder / name).resolve()
        if root not in path.parents or not path.is_file():
            return self._send(404, b"404 Not Found\n", "text/plain; charset=utf-8")
        ctype = {".html": "text/html; charset=utf-8", ".png": "image/png"}.get(
            path.suffix, "application/octet-stream"
        )
        self._send(200, path.read_bytes(), ctype)

    def _events(self, session: Session) -> None:
        """Server-sent events: one JSON frame per change, at most 20 a second."""
        from lingrad.playground.frames import Cursor, frame

        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        cursor = Cursor()
        stop = self.server.stopping
        with session.lock:
            session.listeners += 1
        try:
            while not stop.is_set() and not session.closed:
                with session.lock:
                    doc = frame(session, cursor)
                    if doc is None:
                        session.changed.wait(timeout=1.0)
                        doc = frame(session, cursor)
                data = f"data: {to_json(doc)}" if doc is not None else ": keep-alive"
                self.wfile.write(f"{data}\n\n".encode())
                self.wfile.flush()
                session.last_seen = time.monotonic()
                time.sleep(FRAME_GAP)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            return  # the page is gone
        except TimeoutError:
            return  # the page stopped reading
        finally:
            with session.lock:
                session.listeners -= 1
                session.last_seen = time.monotonic()

    # ---- POST -----------------------------------------------------------------
    def do_POST(self) -> None:
        self._started = False
        if not host_allowed(self.headers, self.server.server_address[1]):
            self.close_connection = True
            return self._misdirected()
        parts = urlsplit(self.path)
        if not self._authorized(parse_qs(parts.query)):
            return self._forbidden()
        bits = parts.path.strip("/").split("/")
        try:
            if bits == ["api", "session"]:
                return self._create()
            if len(bits) == 4 and bits[:2] == ["api", "session"]:
                session = self._session(bits[2])
                if session is None:
                    return self._errors({"session": "unknown session; reload"}, 404)
                return self._action(session, bits[3])
        except SettingsError as e:
            return self._errors(e.errors)
        except BodyError as e:  # refused from its headers: nothing more is read
            self.close_connection = True
            return self._errors({e.field: e.message}, e.status)
        except ConnectionError:
            raise  # the client left: the server's handle_error says so in one line
        except Exception as e:  # the server keeps serving; the page shows it
            return self._errors(
                {"run": f"internal error: {type(e).__name__}: {e}"}, 500
            )
        self._send(404, b"404 Not Found\n", "text/plain; charset=utf-8")

    def _doc(self) -> dict[str, object]:
        body = self._body(MAX_JSON, "the request")
        try:
            doc = json.loads(body or b"{}")
        except ValueError:
            raise SettingsError({"run": "the request is not JSON"}) from None
        if not isinstance(doc, dict):
            raise SettingsError({"run": "the request is not a JSON object"})
        return doc

    def _create(self) -> None:
        from lingrad.playground.options import options

        doc = self._doc()
        name = str(doc.get("preset") or self.server.preset)
        from lingrad.playground.settings import PRESETS

        if name not in PRESETS:
            name = self.server.preset
        session = self.server.new_session(name)
        self._json(200, {"ok": True, "session": session.id, "options": options()})

    def _action(self, session: Session, action: str) -> None:
        if action == "upload":
            return self._upload(session)
        doc = self._doc()
        if action == "configure":
            session.configure(doc)
        elif action == "set":
            session.set_live(doc)
        elif action == "step":
            n = doc.get("n", 1)
            if not isinstance(n, int) or not 1 <= n <= 1000:
                raise SettingsError({"run": "step takes n between 1 and 1000"})
            session.step(n)
        elif action in ("play", "pause", "reset"):
            getattr(session, action)()
        elif action == "export":
            from lingrad.playground.export import export

            folder, names = export(session, self.server.out)
            return self._json(
                200,
                {
                    "ok": True,
                    "folder": str(folder.resolve()),
                    "files": names,
                    "report": f"/exports/{folder.name}/report.html",
                },
            )
        else:
            return self._errors({"run": f"unknown action {action!r}"}, 404)
        self._json(200, {"ok": True, "settings": session.summary()})

    def _upload(self, session: Session) -> None:
        from lingrad.playground.data import MAX_UPLOAD_BYTES

        name = Path(self.headers.get("X-Filename") or "upload").name
        body = self._body(MAX_UPLOAD_BYTES, name, "upload")
        columns = session.upload_file(name, body)
        self._json(200, {"ok": True, "columns": columns, "name": name})
