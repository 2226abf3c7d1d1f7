"""A private MariaDB server on 127.0.0.1 for the end-to-end tests (DuckDB's mysql_scanner).

    from servers.mariadb import mariadb_server  # noqa: F401  (the fixture)

    def test_x(mariadb_server):
        mariadb_server.port, .user, .password, .database, .uri()
        mariadb_server.sql("CREATE TABLE ys_db.t (i int)")     # as root, over the socket

A real `mariadbd` started by PID: mariadb-install-db into build/test-env/run/mariadb/data
(wiped first, after killing a stale server recorded in build/test-env/run/mariadb.pid),
`--bind-address=127.0.0.1` on a free port, its socket in the run directory. As root it runs
as the `mysql` user. Root logs in only over the private socket (no password); the test user
`ys_user` has a hard password and logs in over TCP.

Installed by scripts/test-env.d/postgres-mariadb.sh.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import os
import pathlib
import pwd
import shutil
import signal
import subprocess
import threading
import time
import urllib.parse

import pytest

from .postgres import chown_tree, free_port, kill_stale, log_tail, run_as_kwargs, run_dir, stop_pid

START_TIMEOUT = 20.0
USER = "ys_user"
DATABASE = "ys_db"
# Hard on purpose, like the PostgreSQL one: ' " ; -- $ \ a space and a non-ASCII letter.
HARD_PASSWORD = "my'pa\"ss;w--$q\\z ü"
PEOPLE = [(1, "Ada"), (2, "Grace"), (3, "Zoë")]


def _which(name: str) -> str | None:
    for d in (os.environ.get("PATH", "").split(os.pathsep) + ["/usr/sbin", "/usr/bin"]):
        p = pathlib.Path(d) / name
        if p.is_file() and os.access(p, os.X_OK):
            return str(p)
    return None


@dataclasses.dataclass
class MariaDBServer:
    host: str
    port: int
    user: str
    password: str
    database: str
    socket: str
    data_dir: str
    log_file: str
    pid: int

    def uri(self, password: str | None = None, database: str | None = None) -> str:
        """mysql://user:password@127.0.0.1:port/db, every part percent-encoded."""
        q = lambda s: urllib.parse.quote(s, safe="")  # noqa: E731
        pw = self.password if password is None else password
        return f"mysql://{q(self.user)}:{q(pw)}@{self.host}:{self.port}/{q(database or self.database)}"

    def sql(self, statements: str) -> str:
        """Run SQL as root over the private socket; returns the client's stdout."""
        out = subprocess.run(
            [_which("mariadb") or "mariadb", "--no-defaults", f"--socket={self.socket}", "-uroot",
             "--batch", "--skip-column-names", "--default-character-set=utf8mb4"],
            input=statements, capture_output=True, text=True, timeout=30,
        )
        if out.returncode != 0:
            raise RuntimeError(f"mariadb client failed ({out.returncode}): {out.stderr.strip()}")
        return out.stdout


def _lit(s: str) -> str:
    """A MariaDB string literal (default sql_mode: backslash escapes are active)."""
    return "'" + s.replace("\\", "\\\\").replace("'", "''") + "'"


def _start() -> tuple[MariaDBServer, subprocess.Popen]:
    mariadbd, install_db = _which("mariadbd"), _which("mariadb-install-db")
    if not (mariadbd and install_db and _which("mariadb")):
        pytest.skip("mariadbd / mariadb-install-db missing: run scripts/test-env.sh")
    run_as = "mysql" if os.geteuid() == 0 else pwd.getpwuid(os.getuid()).pw_name
    base = run_dir("mariadb")
    pid_file = base.parent / "mariadb.pid"
    kill_stale(pid_file, "mariadbd")
    kill_stale(base / "mariadbd.pid", "mariadbd")
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    chown_tree(base, run_as)
    data = base / "data"
    sock = base / "mysqld.sock"
    log_file = base / "error.log"
    common = [
        "--no-defaults",  # must come first
        f"--datadir={data}",
        "--skip-name-resolve",
        "--innodb-buffer-pool-size=16M",
        "--innodb-log-file-size=8M",
        "--innodb-flush-log-at-trx-commit=0",
        "--character-set-server=utf8mb4",
        "--collation-server=utf8mb4_general_ci",
    ]
    install = subprocess.run(
        [install_db, *common, "--auth-root-authentication-method=normal", "--skip-test-db"],
        capture_output=True, text=True, cwd=base, timeout=60, **run_as_kwargs(run_as),
    )
    if install.returncode != 0:
        raise RuntimeError(f"mariadb-install-db failed:\n{install.stdout}\n{install.stderr}")

    port = free_port()
    args = [mariadbd, *common, f"--port={port}", "--bind-address=127.0.0.1", f"--socket={sock}",
            f"--pid-file={base / 'mariadbd.pid'}", f"--log-error={log_file}", "--skip-log-bin",
            "--skip-symbolic-links", "--max-connections=50"]
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, cwd=base, start_new_session=True,
                            **run_as_kwargs(run_as))
    pid_file.write_text(f"{proc.pid}\n")
    server = MariaDBServer(host="127.0.0.1", port=port, user=USER, password=HARD_PASSWORD,
                           database=DATABASE, socket=str(sock), data_dir=str(data),
                           log_file=str(log_file), pid=proc.pid)

    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if proc.poll() is not None:
            pid_file.unlink(missing_ok=True)
            raise RuntimeError(f"mariadbd exited with {proc.returncode}:\n{log_tail(log_file)}")
        if sock.exists():
            try:
                server.sql("SELECT 1")
                break
            except RuntimeError:
                pass
        if time.monotonic() > deadline:
            _stop(server, proc)
            raise RuntimeError(f"mariadbd not ready after {START_TIMEOUT}s:\n{log_tail(log_file)}")
        time.sleep(0.1)

    try:
        rows = ", ".join(f"({i}, {_lit(n)})" for i, n in PEOPLE)
        server.sql(
            f"CREATE DATABASE {DATABASE} CHARACTER SET utf8mb4;\n"
            f"CREATE USER '{USER}'@'127.0.0.1' IDENTIFIED BY {_lit(HARD_PASSWORD)};\n"
            f"GRANT ALL PRIVILEGES ON {DATABASE}.* TO '{USER}'@'127.0.0.1';\n"
            f"CREATE TABLE {DATABASE}.people (id INT PRIMARY KEY, name VARCHAR(50) NOT NULL);\n"
            f"INSERT INTO {DATABASE}.people VALUES {rows};\n"
        )
        # The server side is right: the hard password logs in over TCP.
        check = subprocess.run(
            [_which("mariadb"), "--no-defaults", "--protocol=TCP", "-h127.0.0.1", f"-P{port}",
             f"-u{USER}", f"--password={HARD_PASSWORD}", "--default-character-set=utf8mb4",
             "--batch", "--skip-column-names", "-e", f"SELECT count(*) FROM {DATABASE}.people"],
            capture_output=True, text=True, timeout=30)
        if check.returncode != 0 or check.stdout.strip() != str(len(PEOPLE)):
            raise RuntimeError(f"login check failed: {check.stderr.strip()}")
    except BaseException:
        _stop(server, proc)
        raise
    return server, proc


def _stop(server: MariaDBServer, proc: subprocess.Popen | None) -> None:
    stop_pid(server.pid, signal.SIGTERM, timeout=15, proc=proc)
    (pathlib.Path(server.data_dir).parent.parent / "mariadb.pid").unlink(missing_ok=True)
    if not os.environ.get("YS_KEEP_SERVER_DATA"):
        shutil.rmtree(server.data_dir, ignore_errors=True)


# One server per process, however many modules import the fixture (see servers/postgres.py).
_lock = threading.Lock()
_state: dict = {"server": None, "proc": None, "users": 0}


@contextlib.contextmanager
def running_mariadb():
    with _lock:
        if _state["server"] is None:
            _state["server"], _state["proc"] = _start()
            atexit.register(_stop_now)
        _state["users"] += 1
        server = _state["server"]
    try:
        yield server
    finally:
        with _lock:
            _state["users"] -= 1
            if _state["users"] == 0:
                _stop_now()


def _stop_now() -> None:
    if _state["server"] is not None:
        _stop(_state["server"], _state["proc"])
        _state["server"] = _state["proc"] = None


@pytest.fixture(scope="session")
def mariadb_server():
    """A running private MariaDB (MariaDBServer); stopped at the end of the session."""
    with running_mariadb() as server:
        yield server
