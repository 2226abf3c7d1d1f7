"""Process machinery shared by the server fixtures of test/e2e/servers/.

Each server is a child process started by PID on a free port of 127.0.0.1 (spawn), its PID
recorded in a file under build/test-env/run/. A server an earlier session left behind is killed
first (kill_stale), but only while its command line still names it, so that a recycled PID is
never killed. stop_pid ends a process: a signal, a wait, then SIGKILL. SharedServer keeps one
server per pytest process however many test modules import its fixture.

Standard library only (no pytest): http_auth.py and iceberg_rest.py import it when run as
scripts too, as `_process`.
"""
from __future__ import annotations

import atexit
import contextlib
import os
import pathlib
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from http.server import ThreadingHTTPServer

ROOT = pathlib.Path(__file__).resolve().parents[3]
RUN_DIR = ROOT / "build" / "test-env" / "run"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_dir(name: str) -> pathlib.Path:
    """build/test-env/run/<name>, or a fixed /tmp directory when the build tree is not
    traversable by other users (the servers run unprivileged) or too deep for a socket path."""
    base = RUN_DIR
    path = base / name
    if len(str(path)) > 80 or not _traversable_by_all(ROOT):
        base = pathlib.Path(tempfile.gettempdir()) / f"ys-e2e-run-{os.getuid()}"
        path = base / name
    base.mkdir(parents=True, exist_ok=True)
    base.chmod(0o755)
    return path


def _traversable_by_all(path: pathlib.Path) -> bool:
    for p in [path, *path.parents]:
        try:
            if not p.stat().st_mode & stat.S_IXOTH:
                return False
        except OSError:
            return False
    return True


# ---- processes by PID -----------------------------------------------------------------------

def start_time(pid: int) -> str | None:
    """The process's start time (clock ticks since boot), None if it is gone or a zombie: with the
    PID, it names a process even after the PID is reused."""
    try:
        text = pathlib.Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()  # after "pid (comm) "
    return None if fields[0] in ("Z", "X") else fields[19]


def alive(pid: int) -> bool:
    """True while the process runs (a zombie counts as gone)."""
    return start_time(pid) is not None


def cmdline(pid: int) -> str:
    try:
        return pathlib.Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _send(pid: int, sig: int, group: bool) -> bool:
    """Sends `sig` to the process (to its process group when `group`); False if it is gone."""
    try:
        if group:
            try:
                os.killpg(pid, sig)
            except PermissionError:
                os.kill(pid, sig)
        else:
            os.kill(pid, sig)
    except ProcessLookupError:
        return False
    return True


def _gone_within(pid: int, timeout: float, proc: subprocess.Popen | None) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (proc is not None and proc.poll() is not None) or not alive(pid):
            return True
        time.sleep(0.05)
    return False


def stop_pid(pid: int, sig: int = signal.SIGTERM, timeout: float = 10.0, proc=None, group: bool = False) -> None:
    """Send `sig` (to the process group when `group`), wait up to `timeout`, then SIGKILL.
    Reaps `proc` (our own child) when given."""
    if alive(pid) and _send(pid, sig, group) and not _gone_within(pid, timeout, proc):
        if _send(pid, signal.SIGKILL, group):
            _gone_within(pid, 5.0, proc)
    if proc is not None:
        proc.poll()


def kill_stale(pid_file: pathlib.Path, marker: str, sig: int = signal.SIGTERM) -> None:
    """Stop the process an earlier session recorded in pid_file, if it is still running and its
    command line contains `marker` (so a recycled PID is never killed); remove the file."""
    try:
        pid = int(pid_file.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        pid_file.unlink(missing_ok=True)
        return
    if alive(pid) and marker in cmdline(pid):
        stop_pid(pid, sig)
    pid_file.unlink(missing_ok=True)


def log_tail(path: pathlib.Path, lines: int = 30) -> str:
    try:
        return "\n".join(pathlib.Path(path).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def remove_data(path: pathlib.Path) -> None:
    """Removes a stopped server's data directory, unless YS_KEEP_SERVER_DATA is set."""
    if not os.environ.get("YS_KEEP_SERVER_DATA"):
        shutil.rmtree(path, ignore_errors=True)


def run_as_kwargs(user: str) -> dict:
    """Popen arguments that run a child as `user` when we are root (else as ourselves)."""
    if os.geteuid() != 0:
        return {}
    pw = pwd.getpwnam(user)
    return {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}


def chown_tree(path: pathlib.Path, user: str) -> None:
    if os.geteuid() != 0:
        return
    pw = pwd.getpwnam(user)
    for p in [path, *path.rglob("*")]:
        os.chown(p, pw.pw_uid, pw.pw_gid, follow_symlinks=False)


def check_login(argv, expected: str, **run_kwargs) -> None:
    """Runs a client that logs in over TCP as the test user (the server side is right);
    RuntimeError unless it succeeds and prints `expected`."""
    check = subprocess.run(argv, capture_output=True, text=True, timeout=30, **run_kwargs)
    if check.returncode != 0 or check.stdout.strip() != expected:
        raise RuntimeError(f"login check failed: {check.stderr.strip()}")


def serve_http(handler, port: int) -> None:
    """The script side of an HTTP server: serves `handler` on 127.0.0.1:port until SIGTERM."""
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server.serve_forever()


# ---- readiness --------------------------------------------------------------------------------

def port_open(port: int, host: str = "127.0.0.1") -> bool:
    """A bare TCP connect: costs the server no request."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def http_ready(url: str, any_status: bool = False) -> bool:
    """True once GET url answers 200 (with `any_status`, any HTTP answer at all)."""
    try:
        with urllib.request.urlopen(url, timeout=1) as r:
            return any_status or r.status == 200
    except urllib.error.HTTPError:
        return any_status
    except (urllib.error.URLError, OSError):
        return False


# ---- a server child -----------------------------------------------------------------------------

class ServerProcess:
    """A server started by spawn(): stop() ends it (stop_signal, then SIGKILL after stop_timeout),
    removes its PID file and runs the on_stop() callbacks."""

    def __init__(self, proc: subprocess.Popen, pid_file: pathlib.Path, log: pathlib.Path | None,
                 stop_signal: int, stop_timeout: float, group: bool):
        self.proc, self.pid_file, self.log = proc, pid_file, log
        self.stop_signal, self.stop_timeout, self.group = stop_signal, stop_timeout, group
        self._on_stop = []

    @property
    def pid(self) -> int:
        return self.proc.pid

    def on_stop(self, callback) -> None:
        self._on_stop.append(callback)

    def stop(self) -> None:
        stop_pid(self.proc.pid, self.stop_signal, self.stop_timeout, proc=self.proc, group=self.group)
        self.pid_file.unlink(missing_ok=True)
        for callback in self._on_stop:
            callback()

    def wait_ready(self, ready, name: str, timeout: float, interval: float = 0.1) -> None:
        """Polls ready() until true; RuntimeError (with the log's tail) if the server exits first
        or `timeout` seconds pass."""
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {self.proc.returncode}:\n{self._log_tail()}")
            if ready():
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} not ready after {timeout}s:\n{self._log_tail()}")
            time.sleep(interval)

    def _log_tail(self) -> str:
        return log_tail(self.log) if self.log is not None else "(no log)"

    @contextlib.contextmanager
    def stopped_on_error(self):
        """Stops the server if the block (waiting for it, setting it up) fails."""
        try:
            yield self
        except BaseException:
            self.stop()
            raise


def spawn(argv, *, pid_file: pathlib.Path, log: pathlib.Path | None = None,
          own_log: pathlib.Path | None = None, record=None, stop_signal: int = signal.SIGTERM,
          stop_timeout: float = 5.0, group: bool = False, **popen_kwargs) -> ServerProcess:
    """Starts argv (stdin /dev/null; stdout and stderr to `log`, else /dev/null) and writes its PID
    to pid_file, or record(proc) when given. `own_log`: the log the server writes itself, for the
    tail shown when it fails to start (default `log`). `group`: stop its whole process group
    (start it with start_new_session=True)."""
    popen_kwargs.setdefault("stdin", subprocess.DEVNULL)
    if log is None:
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **popen_kwargs)
    else:
        with open(log, "wb") as out:
            proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, **popen_kwargs)
    pid_file.write_text(record(proc) if record else f"{proc.pid}\n")
    return ServerProcess(proc, pid_file, own_log or log, stop_signal, stop_timeout, group)


# ---- one server per pytest process ---------------------------------------------------------------

class SharedServer:
    """One server per pytest process, however many test modules import its fixture: pytest makes
    a separate session fixture of each module's import, so the fixtures share one SharedServer
    and count their users. The last user's teardown stops the server (and so does the exit of
    the process, should teardown never come)."""

    def __init__(self, start=None):
        self._start = start
        self._lock = threading.Lock()
        self._stop = None
        self._exit_hook = False
        self.server = None
        self.users = 0

    @contextlib.contextmanager
    def use(self, start=None):
        """A context manager: the server, started by the first user with start() (default: the
        one given to the constructor), which returns (server, stop)."""
        with self._lock:
            if self.server is None:
                self.server, self._stop = (start or self._start)()
                if not self._exit_hook:
                    atexit.register(self.stop)
                    self._exit_hook = True
            self.users += 1
            server = self.server
        try:
            yield server
        finally:
            with self._lock:
                self.users -= 1
                if self.users == 0:
                    self.stop()

    def stop(self) -> None:
        stop, self._stop, self.server = self._stop, None, None
        if stop is not None:
            stop()
