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
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

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
    port = int(sys.argv[1])
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server.serve_forever()


# ---------------------------------------------------------------------------------------
# Fixture side: process management.

ROOT = Path(__file__).resolve().parents[3]
RUN_DIR = ROOT / "build" / "test-env" / "run"
NAME = "http_auth"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kill_stale(pid_file: Path, marker: str) -> None:
    """Kill the process a previous session left behind, if it is still ours."""
    try:
        pid = int(pid_file.read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except (OSError, ValueError):
        pid_file.unlink(missing_ok=True)
        return
    if marker in cmdline:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    pid_file.unlink(missing_ok=True)


def stop(proc: subprocess.Popen, pid_file: Path) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    pid_file.unlink(missing_ok=True)


@dataclass
class HttpAuthServer:
    url: str  # http://127.0.0.1:PORT (no trailing slash)
    token: str
    api_key: str
    log: Path


def _start():
    import secrets as _secrets

    RUN_DIR.mkdir(parents=True, exist_ok=True)
    pid_file = RUN_DIR / f"{NAME}.pid"
    log = RUN_DIR / f"{NAME}.log"
    kill_stale(pid_file, str(Path(__file__).resolve()))
    port = free_port()
    token = "tok-" + _secrets.token_hex(12)
    api_key = "key-" + _secrets.token_hex(12)
    env = dict(os.environ, HTTP_AUTH_TOKEN=token, HTTP_AUTH_KEY=api_key)
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), str(port)],
            env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
    pid_file.write_text(str(proc.pid))
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{NAME} exited with {proc.returncode}: {log.read_text()}")
        try:
            with urllib.request.urlopen(url + "/health", timeout=1) as r:
                if r.status == 200:
                    break
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            stop(proc, pid_file)
            raise RuntimeError(f"{NAME} not ready on {url}: {log.read_text()}")
        time.sleep(0.05)
    return proc, pid_file, HttpAuthServer(url, token, api_key, log)


# One server per pytest process, however many test modules import the fixture (pytest makes
# a separate session fixture of each import): the imports share it and count their users.
_shared = {"users": 0}


try:
    import pytest

    @pytest.fixture(scope="session")
    def http_auth_server():
        if _shared["users"] == 0:
            _shared["started"] = _start()
        _shared["users"] += 1
        try:
            yield _shared["started"][2]
        finally:
            _shared["users"] -= 1
            if _shared["users"] == 0:
                proc, pid_file, _ = _shared.pop("started")
                stop(proc, pid_file)
except ImportError:  # run as a script in an environment without pytest
    pass


if __name__ == "__main__":
    main()
