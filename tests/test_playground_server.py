"""The playground's server under attack: real sockets against a real server on
127.0.0.1, started here in a thread as ``lingrad playground`` starts it."""

import json
import socket
import struct
import threading
import time
from html.parser import HTMLParser
from urllib.parse import quote

import pytest

from lingrad.playground.server import PlaygroundServer, index_page

HANG_GUARD = 60.0  # seconds: a guard against a hang, not a speed requirement


@pytest.fixture
def live(tmp_path):
    server = PlaygroundServer(0, "linear-1d", tmp_path / "out")
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield server
    server.shutdown()
    server.close()
    thread.join(HANG_GUARD)


def _connect(server: PlaygroundServer) -> socket.socket:
    sock = socket.create_connection(server.server_address, timeout=HANG_GUARD)
    return sock


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    for _ in range(10_000):  # at most 10,000 reads
        chunk = sock.recv(65536)
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def _response(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for ln in lines[1:]:
        key, _, value = ln.partition(":")
        headers[key.strip().lower()] = value.strip()
    return status, headers, body


def request(
    server: PlaygroundServer,
    method: str,
    path: str,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    *,
    host: str | None = "",
    finish: bool = True,
) -> tuple[int, dict[str, str], bytes]:
    """One raw HTTP/1.1 request; ``finish=False`` keeps our side open (the server
    must answer without waiting for more bytes)."""
    port = server.server_address[1]
    lines = [f"{method} {path} HTTP/1.1"]
    if host is not None:
        lines.append(f"Host: {host or f'127.0.0.1:{port}'}")
    lines += [f"X-Lingrad-Token: {server.token}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    with _connect(server) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        if finish:
            sock.shutdown(socket.SHUT_WR)
        return _response(_read_all(sock))


def _new_session(server: PlaygroundServer) -> str:
    body = b'{"preset": "linear-1d"}'
    status, _, answer = request(
        server, "POST", "/api/session", {"Content-Length": str(len(body))}, body
    )
    assert status == 200, answer
    return str(json.loads(answer)["session"])


# ---- bodies ----------------------------------------------------------------------


@pytest.mark.parametrize("length", ["-1", "abc", "+5", " 1_0", "0x10", "1e3", "²"])
def test_a_content_length_that_is_not_a_byte_count_is_refused(live, length):
    """400 at once, from the header alone (``-1`` once read to the end of the
    stream): our side stays open and sends no body."""
    status, _, body = request(
        live, "POST", "/api/session", {"Content-Length": length}, finish=False
    )
    assert status == 400, body
    doc = json.loads(body)
    assert not doc["ok"] and "Content-Length" in doc["errors"]["run"]


def test_an_oversized_body_is_refused_before_it_is_read(live):
    """413 at once, from the header alone: our side stays open and sends nothing."""
    status, _, body = request(
        live, "POST", "/api/session", {"Content-Length": str(10**12)}, finish=False
    )
    assert status == 413
    status, _, body = request(
        live, "POST", "/api/session", {"Content-Length": "9" * 5000}, finish=False
    )
    assert status == 413
    assert "larger than" in json.loads(body)["errors"]["run"]
    sid = _new_session(live)
    status, _, body = request(
        live, "POST", f"/api/session/{sid}/upload",
        {"Content-Length": str(64 * 2**20), "X-Filename": "big.csv"}, finish=False,
    )  # fmt: skip
    assert status == 413
    assert "big.csv is larger than 5 MiB" in json.loads(body)["errors"]["upload"]


def test_chunked_bodies_and_short_bodies_are_refused(live):
    status, _, body = request(
        live, "POST", "/api/session", {"Transfer-Encoding": "chunked"}, b"2\r\n{}\r\n0"
    )
    assert status == 400 and "Content-Length" in json.loads(body)["errors"]["run"]
    status, _, body = request(
        live, "POST", "/api/session", {"Content-Length": "100"}, b"{}"
    )
    assert status == 400 and "ended after 2 of 100 bytes" in body.decode()
    status, _, body = request(
        live, "POST", "/api/session",
        {"Content-Length": "2", "content-length": "20"}, b"{}",
    )  # fmt: skip
    assert status == 400


def test_a_client_that_stalls_mid_body_is_dropped(live, monkeypatch):
    """A slow client (a body promised, then nothing) cannot hold a server thread."""
    from lingrad.playground.server import Handler

    monkeypatch.setattr(Handler, "timeout", 0.5)
    port = live.server_address[1]
    head = (
        f"POST /api/session HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"X-Lingrad-Token: {live.token}\r\nContent-Length: 100\r\n\r\n{{"
    )
    with _connect(live) as sock:
        sock.sendall(head.encode())  # our side stays open and sends nothing more
        raw = _read_all(sock)  # returns once the server closes the connection
    assert raw == b"" or _response(raw)[0] >= 400


def test_a_body_within_the_cap_is_served(live):
    sid = _new_session(live)
    body = json.dumps({"lr": "0.05"}).encode()
    status, _, answer = request(
        live, "POST", f"/api/session/{sid}/set",
        {"Content-Length": str(len(body))}, body,
    )  # fmt: skip
    assert status == 200 and json.loads(answer)["settings"]["lr"] == 0.05


# ---- DNS rebinding ---------------------------------------------------------------


def test_only_the_loopback_host_names_are_served(live):
    port = live.server_address[1]
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST:{port}",
                 f"[::1]:{port}"):  # fmt: skip
        status, _, body = request(live, "GET", "/", host=host)
        assert status == 200, (host, body)
    body = b"{}"
    rebound = [f"attacker.example:{port}", "attacker.example", "127.0.0.1", None,
               f"127.0.0.1:{port + 1}", f"127.0.0.1.evil.example:{port}"]  # fmt: skip
    for host in rebound:
        status, _, answer = request(live, "GET", "/", host=host)
        assert status == 421, (host, answer)
        assert live.token.encode() not in answer
        status, _, answer = request(
            live, "POST", "/api/session", {"Content-Length": "2"}, body, host=host
        )
        assert status == 421, host
    assert len(live.sessions) == 0  # nothing was made for a rebound page


# ---- the page -------------------------------------------------------------------


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.scripts: list[dict[str, str | None]] = []
        self.script_text = ""
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "meta" and a.get("name"):
            self.meta[str(a["name"])] = str(a.get("content"))
        if tag == "script":
            self.scripts.append(a)
            self._in_script = True

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.script_text += data


def _parse(page: bytes) -> _Page:
    parser = _Page()
    parser.feed(page.decode())
    return parser


@pytest.mark.parametrize(
    "value", ['"><script>alert(1)</script>', "'><img src=x onerror=alert(1)>", "a&b<c>"]
)
def test_values_reach_the_page_escaped_as_attributes(value):
    page = _parse(index_page(value, value))
    assert page.meta["lingrad-preset"] == value
    assert page.meta["lingrad-token"] == value
    assert page.script_text == ""  # no inline script came in
    assert [s["src"].split("?")[0] for s in page.scripts] == [
        "/static/chart.js", "/static/panels.js", "/static/playground.js",
    ]  # fmt: skip


def test_an_unknown_preset_in_the_address_is_refused(live):
    hostile = '"><script>alert(1)</script>'
    status, headers, body = request(live, "GET", "/?preset=" + quote(hostile))
    assert status == 400 and headers["content-type"].startswith("text/plain")
    assert b"<script>" not in body and b"unknown preset" in body
    assert b"two-layer" in body  # the names to choose from
    status, headers, body = request(live, "GET", "/?preset=two-layer")
    assert status == 200
    policy = headers["content-security-policy"]  # no inline script runs at all
    assert "script-src 'self';" in policy and "unsafe" not in policy
    assert headers["referrer-policy"] == "no-referrer"
    page = _parse(body)
    assert page.meta["lingrad-preset"] == "two-layer"
    assert page.meta["lingrad-token"] == live.token


# ---- clients that leave ------------------------------------------------------------


def test_a_dropped_client_is_one_line_not_a_traceback(live, capfd):
    port, n = live.server_address[1], 12
    for i in range(n):
        sock = _connect(live)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        if i % 2:  # half of them asked for the page first
            sock.sendall(f"GET /?token={live.token} HTTP/1.1\r\n".encode())
        sock.close()  # a reset: ConnectionResetError on the server's side
    end = time.monotonic() + HANG_GUARD
    while live.dropped < n:
        assert time.monotonic() < end, f"only {live.dropped} of {n} drops seen"
        time.sleep(0.01)
    status, _, _ = request(live, "GET", "/", host=f"localhost:{port}")
    assert status == 200  # still serving
    err = capfd.readouterr().err
    assert "Traceback" not in err and "Exception occurred" not in err
    lines = err.splitlines()
    assert 1 <= len(lines) <= n
    assert all(ln.startswith("lingrad playground: ") for ln in lines), lines
    assert all("closed the connection" in ln for ln in lines), lines


def test_an_internal_error_is_one_line_unless_debug(live, capfd, monkeypatch):
    import lingrad.playground.server as srv

    def broken(name: str) -> bytes:
        raise RuntimeError("the package data is missing")

    monkeypatch.setattr(srv, "static", broken)
    status, _, _ = request(live, "GET", "/static/chart.js")
    assert status == 500
    err = capfd.readouterr().err
    assert "Traceback" not in err
    assert err.splitlines() == [
        "lingrad playground: internal error answering GET /static/chart.js: "
        "RuntimeError: the package data is missing (run with --debug for the "
        "traceback)"
    ]
    live.debug = True
    request(live, "GET", "/static/chart.js")
    assert "Traceback" in capfd.readouterr().err


def test_a_thread_that_fails_is_one_line_unless_debug(capfd):
    from lingrad.playground.console import quiet_threads

    def fail() -> None:
        raise ValueError("no such column")

    for debug in (False, True):
        with quiet_threads(debug):
            worker = threading.Thread(target=fail, name="playground-worker")
            worker.start()
            worker.join(HANG_GUARD)
        err = capfd.readouterr().err
        if debug:
            assert "Traceback" in err and "no such column" in err
        else:
            assert err.splitlines() == [
                "lingrad playground: internal error in playground-worker: "
                "ValueError: no such column (run with --debug for the traceback)"
            ]


def test_the_command_prints_no_traceback_under_attack(tmp_path):
    """``lingrad playground`` as a user runs it, attacked, then stopped by SIGTERM."""
    import os
    import re
    import signal
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "LINGRAD_DEBUG"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "lingrad.cli", "playground", "--no-browser",
         "--out", str(tmp_path / "out")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        first = proc.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/\?token=(\S+)", first)
        assert match, first
        port, token = int(match.group(1)), match.group(2)
        for i in range(6):
            sock = socket.create_connection(("127.0.0.1", port), timeout=HANG_GUARD)
            sock.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
            if i % 2:
                sock.sendall(b"POST /api/session HTTP/1.1\r\nContent-Length: -1\r\n")
            sock.close()
        with socket.create_connection(("127.0.0.1", port), timeout=HANG_GUARD) as sock:
            sock.sendall(
                f"POST /api/session?token={token} HTTP/1.1\r\nHost: 127.0.0.1:{port}"
                "\r\nContent-Length: -1\r\n\r\n".encode()
            )
            assert _response(_read_all(sock))[0] == 400
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            out, err = proc.communicate(timeout=HANG_GUARD)
        except subprocess.TimeoutExpired:
            proc.kill()  # a hung server fails this test alone, leaking nothing
            proc.communicate()
            raise
    assert "Traceback" not in out + err
    assert all(ln.startswith("lingrad") for ln in err.splitlines()), err
    dropped = [ln for ln in err.splitlines() if "closed the connection" in ln]
    assert len(dropped) <= 6  # at most one line per dropped client
    assert len(err.splitlines()) <= len(dropped) + 1  # and the one exit line


def test_a_signal_that_lands_in_a_finalizer_still_stops_the_server(tmp_path):
    """SIGTERM delivered while a ``__del__`` runs (a dropped client's socket, in the
    CI run that hung) stops ``serve_forever``: nothing raised there is lost."""
    import gc
    import os
    import signal

    from lingrad.cli._common import _signals_interrupt
    from lingrad.cli.playground import _signals_stop

    class Finalized:
        def __del__(self) -> None:
            os.kill(os.getpid(), signal.SIGTERM)
            sum(range(1000))  # the handler runs here, inside __del__

    server = PlaygroundServer(out=tmp_path / "out")
    hung = threading.Event()
    guard = threading.Timer(HANG_GUARD, lambda: (hung.set(), server.shutdown()))
    guard.start()
    try:
        with _signals_interrupt(), _signals_stop(server):
            Finalized()
            gc.collect()
            server.serve_forever(poll_interval=0.2)
    finally:
        guard.cancel()
        server.close()
    assert not hung.is_set()
