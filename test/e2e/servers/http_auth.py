"""A small HTTP server that checks credentials, for the `http` secret type.

    GET /data.csv   only with `Authorization: Bearer <HTTP_AUTH_TOKEN>`   (else 401)
    GET /keyed.csv  only with `X-Api-Key: <HTTP_AUTH_KEY>`                (else 403)

Run as a script (`python http_auth.py PORT`, credentials from the environment), it serves
until killed. As a pytest fixture (`http_auth_server`, session scope, one server shared by
every module importing it) it is started in its own process on a free port of 127.0.0.1,
recorded in build/test-env/run/http_auth.pid (a stale one is killed first) and stopped at
the end of the session.
"""
import hmac
import os
import signal
import sys
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path

if __package__:
    from ._process import RUN_DIR, SharedServer, free_port, http_ready, kill_stale, serve_http, spawn
else:  # run as a script: servers/ is sys.path[0]
    from _process import RUN_DIR, SharedServer, free_port, http_ready, kill_stale, serve_http, spawn

DATA_CSV = b"id,name\n1,alpha\n2,beta\n3,gamma\n"
KEYED_CSV = b"id,colour\n10,red\n20,green\n"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _send(self, status: int, body: bytes, content_type: str = "text/plain") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if status == 401:
            self.send_header("WWW-Authenticate", 'Bearer realm="yamlsecrets"')
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _authorised(self, header: str, expected: str) -> bool:
        got = self.headers.get(header, "")
        return bool(expected) and hmac.compare_digest(got.encode(), expected.encode())

    def _serve(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/health":
            return self._send(200, b"ok")
        if path == "/data.csv":
            if not self._authorised("Authorization", "Bearer " + os.environ["HTTP_AUTH_TOKEN"]):
                return self._send(401, b"unauthorized\n")
            return self._send_csv(DATA_CSV)
        if path == "/keyed.csv":
            if not self._authorised("X-Api-Key", os.environ["HTTP_AUTH_KEY"]):
                return self._send(403, b"forbidden\n")
            return self._send_csv(KEYED_CSV)
        return self._send(404, b"not found\n")

    def _send_csv(self, body: bytes) -> None:
        # Honour a single `bytes=a-b` range: httpfs reads files in ranges.
        rng = self.headers.get("Range")
        if rng and rng.startswith("bytes=") and self.command == "GET":
            start_s, _, end_s = rng[6:].partition("-")
            start = int(start_s or 0)
            end = min(int(end_s) if end_s else len(body) - 1, len(body) - 1)
            part = body[start : end + 1]
            self.send_response(206)
            self.send_header("Content-Type", "text/csv")
            self.send_header("Content-Range", f"bytes {start}-{end}/{len(body)}")
            self.send_header("Content-Length", str(len(part)))
            self.send_header("Accept-Ranges", "bytes")
            self.end_headers()
            self.wfile.write(part)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = _serve
    do_HEAD = _serve

    def log_message(self, fmt, *args):  # one line per request, to stderr (the log file)
        sys.stderr.write("%s %s\n" % (self.command, fmt % args))


def main() -> None:
    serve_http(Handler, int(sys.argv[1]))


# ---------------------------------------------------------------------------------------
# Fixture side: process management.

NAME = "http_auth"


@dataclass
class HttpAuthServer:
    url: str  # http://127.0.0.1:PORT (no trailing slash)
    token: str
    api_key: str
    log: Path


def _start():
    """Starts the server; returns (HttpAuthServer, stop)."""
    import secrets as _secrets

    RUN_DIR.mkdir(parents=True, exist_ok=True)
    pid_file = RUN_DIR / f"{NAME}.pid"
    log = RUN_DIR / f"{NAME}.log"
    kill_stale(pid_file, str(Path(__file__).resolve()), signal.SIGKILL)
    port = free_port()
    token = "tok-" + _secrets.token_hex(12)
    api_key = "key-" + _secrets.token_hex(12)
    env = dict(os.environ, HTTP_AUTH_TOKEN=token, HTTP_AUTH_KEY=api_key)
    child = spawn([sys.executable, str(Path(__file__).resolve()), str(port)], pid_file=pid_file,
                  log=log, env=env)
    url = f"http://127.0.0.1:{port}"
    with child.stopped_on_error():
        child.wait_ready(lambda: http_ready(url + "/health"), NAME, 15, interval=0.05)
    return HttpAuthServer(url, token, api_key, log), child.stop


_shared = SharedServer()


try:
    import pytest

    @pytest.fixture(scope="session")
    def http_auth_server():
        with _shared.use(_start) as server:
            yield server
except ImportError:  # run as a script in an environment without pytest
    pass


if __name__ == "__main__":
    main()
