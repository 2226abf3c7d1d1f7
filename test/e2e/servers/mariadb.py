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

import dataclasses
import os
import pathlib
import pwd
import shutil
import subprocess
import urllib.parse

import pytest

from ._process import SharedServer, check_login, chown_tree, free_port, kill_stale, remove_data, run_as_kwargs, run_dir, spawn

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


def _start():
    """Starts and sets up the server; returns (MariaDBServer, stop)."""
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
    child = spawn(args, pid_file=pid_file, own_log=log_file, stop_timeout=15.0, cwd=base,
                  start_new_session=True, **run_as_kwargs(run_as))
    child.on_stop(lambda: remove_data(data))
    server = MariaDBServer(host="127.0.0.1", port=port, user=USER, password=HARD_PASSWORD,
                           database=DATABASE, socket=str(sock), data_dir=str(data),
                           log_file=str(log_file), pid=child.pid)

    def ready() -> bool:
        if not sock.exists():
            return False
        try:
            server.sql("SELECT 1")
            return True
        except RuntimeError:
            return False

    with child.stopped_on_error():
        child.wait_ready(ready, "mariadbd", START_TIMEOUT)
        rows = ", ".join(f"({i}, {_lit(n)})" for i, n in PEOPLE)
        server.sql(
            f"CREATE DATABASE {DATABASE} CHARACTER SET utf8mb4;\n"
            f"CREATE USER '{USER}'@'127.0.0.1' IDENTIFIED BY {_lit(HARD_PASSWORD)};\n"
            f"GRANT ALL PRIVILEGES ON {DATABASE}.* TO '{USER}'@'127.0.0.1';\n"
            f"CREATE TABLE {DATABASE}.people (id INT PRIMARY KEY, name VARCHAR(50) NOT NULL);\n"
            f"INSERT INTO {DATABASE}.people VALUES {rows};\n"
        )
        # The server side is right: the hard password logs in over TCP.
        check_login([_which("mariadb"), "--no-defaults", "--protocol=TCP", "-h127.0.0.1", f"-P{port}",
                     f"-u{USER}", f"--password={HARD_PASSWORD}", "--default-character-set=utf8mb4",
                     "--batch", "--skip-column-names", "-e", f"SELECT count(*) FROM {DATABASE}.people"],
                    str(len(PEOPLE)))
    return server, child.stop


# running_mariadb(): a context manager, the one MariaDBServer of this process.
running_mariadb = SharedServer(_start).use


@pytest.fixture(scope="session")
def mariadb_server():
    """A running private MariaDB (MariaDBServer); stopped at the end of the session."""
    with running_mariadb() as server:
        yield server
