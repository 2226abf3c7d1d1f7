"""A private PostgreSQL 15 server on 127.0.0.1 for the end-to-end tests.

Use it from any test module (session-scoped; one server per pytest process however many
modules import the fixture):

    from servers.postgres import postgres_server  # noqa: F401  (the fixture)

    def test_x(postgres_server):
        postgres_server.port, .user, .password, .database, .uri(), .key_values()
        postgres_server.psql("CREATE TABLE t(i int)")           # as the superuser
        postgres_server.create_database("lake", owner=postgres_server.user)

The server is a real `postgres` process started by PID (no pg_ctl, no distro cluster):
initdb into build/test-env/run/postgres/data (wiped first, after killing a stale server
recorded in build/test-env/run/postgres.pid), listening on 127.0.0.1 only, on a free port,
with scram-sha-256 for every TCP login and trust only on its private Unix socket (used for
setup). As root it runs as the `postgres` user (PostgreSQL refuses to run as root).
The login role's password is deliberately hard: ' " ; -- $ \\ a space and a non-ASCII letter.

Binaries: /usr/lib/postgresql/15/bin (override with YS_PG_BIN); installed by
scripts/test-env.d/postgres-mariadb.sh.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import pwd
import shutil
import signal
import subprocess
import urllib.parse

import pytest

from ._process import (  # noqa: F401  (log_tail, stop_pid: still offered from here)
    ROOT,
    SharedServer,
    check_login,
    chown_tree,
    free_port,
    kill_stale,
    log_tail,
    remove_data,
    run_as_kwargs,
    run_dir,
    spawn,
    stop_pid,
)

PG_BIN = pathlib.Path(os.environ.get("YS_PG_BIN", "/usr/lib/postgresql/15/bin"))
START_TIMEOUT = 20.0

USER = "ys_user"
DATABASE = "ys_db"
# Every character that breaks naive quoting: SQL ', identifier ", statement ;, comment --,
# dollar quoting $, backslash, a space, and a non-ASCII letter.
HARD_PASSWORD = "pa'ss\"w;rd--$x\\y é"
# The rows of public.people in DATABASE (owned by USER).
PEOPLE = [(1, "Ada"), (2, "Grace"), (3, "Zoë")]


# ---- the server ----------------------------------------------------------------------------

@dataclasses.dataclass
class PostgresServer:
    host: str
    port: int
    user: str
    password: str
    database: str
    superuser: str
    socket_dir: str
    data_dir: str
    log_file: str
    pid: int

    def uri(self, password: str | None = None, database: str | None = None) -> str:
        """postgresql://user:password@127.0.0.1:port/db, every part percent-encoded."""
        q = lambda s: urllib.parse.quote(s, safe="")  # noqa: E731
        pw = self.password if password is None else password
        return f"postgresql://{q(self.user)}:{q(pw)}@{self.host}:{self.port}/{q(database or self.database)}"

    def key_values(self, password: str | None = None, database: str | None = None) -> str:
        """libpq key=value form, every value single-quoted with \\ and ' escaped."""
        def lit(s: str) -> str:
            return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"
        pw = self.password if password is None else password
        return (f"host={self.host} port={self.port} dbname={lit(database or self.database)} "
                f"user={lit(self.user)} password={lit(pw)}")

    def psql(self, sql: str, database: str | None = None) -> str:
        """Run SQL as the superuser over the private Unix socket; returns psql's stdout."""
        out = subprocess.run(
            [str(PG_BIN / "psql"), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
             "-h", self.socket_dir, "-p", str(self.port), "-U", self.superuser,
             "-d", database or "postgres"],
            input=sql, capture_output=True, text=True, env=_client_env(), timeout=30,
        )
        if out.returncode != 0:
            raise RuntimeError(f"psql failed ({out.returncode}): {out.stderr.strip()}")
        return out.stdout

    def create_database(self, name: str, owner: str | None = None) -> None:
        """CREATE DATABASE name (owned by `owner`, default the login user), if missing."""
        exists = self.psql(f"SELECT 1 FROM pg_database WHERE datname = {_lit(name)}")
        if not exists.strip():
            self.psql(f"CREATE DATABASE {_ident(name)} OWNER {_ident(owner or self.user)}")


def _lit(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _ident(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


def _client_env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["PGCLIENTENCODING"] = "UTF8"
    env["PGCONNECT_TIMEOUT"] = "5"
    return env


def _start():
    """Starts and sets up the server; returns (PostgresServer, stop)."""
    for tool in ("initdb", "postgres", "psql", "pg_isready"):
        if not (PG_BIN / tool).exists():
            pytest.skip(f"{PG_BIN / tool} missing: run scripts/test-env.sh")
    run_as = "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.getuid()).pw_name
    base = run_dir("postgres")
    pid_file = base.parent / "postgres.pid"
    kill_stale(pid_file, "postgres", signal.SIGINT)
    data = base / "data"
    # A server of an earlier session that lost its pid file: its own postmaster.pid.
    kill_stale(data / "postmaster.pid", "postgres", signal.SIGINT)
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    chown_tree(base, run_as)
    log_file = base / "postgres.log"

    initdb = subprocess.run(
        [str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "-E", "UTF8", "--no-locale",
         "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync", "--no-instructions"],
        capture_output=True, text=True, cwd=base, env=_client_env(), timeout=60,
        **run_as_kwargs(run_as),
    )
    if initdb.returncode != 0:
        raise RuntimeError(f"initdb failed: {initdb.stdout}\n{initdb.stderr}")
    # Only the private socket is trusted; every TCP login goes through SCRAM.
    (data / "pg_hba.conf").write_text(
        "local all all trust\n"
        "host  all all 127.0.0.1/32 scram-sha-256\n"
    )
    chown_tree(data / "pg_hba.conf", run_as)

    port = free_port()
    settings = {
        "listen_addresses": "127.0.0.1",
        "port": str(port),
        "unix_socket_directories": str(base),
        "password_encryption": "scram-sha-256",
        "max_connections": "50",
        "shared_buffers": "16MB",
        "fsync": "off",
        "synchronous_commit": "off",
        "full_page_writes": "off",
        "logging_collector": "off",
    }
    args = [str(PG_BIN / "postgres"), "-D", str(data)]
    for k, v in settings.items():
        args += ["-c", f"{k}={v}"]
    child = spawn(args, pid_file=pid_file, log=log_file, stop_signal=signal.SIGINT,  # fast shutdown
                  stop_timeout=10.0, cwd=base, env=_client_env(), start_new_session=True,
                  **run_as_kwargs(run_as))
    child.on_stop(lambda: remove_data(data))

    def ready() -> bool:
        return subprocess.run([str(PG_BIN / "pg_isready"), "-q", "-h", str(base), "-p", str(port)],
                              env=_client_env()).returncode == 0

    server = PostgresServer(host="127.0.0.1", port=port, user=USER, password=HARD_PASSWORD,
                            database=DATABASE, superuser="postgres", socket_dir=str(base),
                            data_dir=str(data), log_file=str(log_file), pid=child.pid)
    with child.stopped_on_error():
        child.wait_ready(ready, "postgres", START_TIMEOUT)
        rows = ", ".join(f"({i}, {_lit(n)})" for i, n in PEOPLE)
        server.psql(f"CREATE ROLE {_ident(USER)} LOGIN PASSWORD {_lit(HARD_PASSWORD)};\n"
                    f"CREATE DATABASE {_ident(DATABASE)} OWNER {_ident(USER)};\n")
        server.psql(f"SET ROLE {_ident(USER)};\n"
                    "CREATE TABLE public.people (id integer PRIMARY KEY, name text NOT NULL);\n"
                    f"INSERT INTO public.people VALUES {rows};\n"
                    "CREATE SCHEMA sales;\n"
                    "CREATE TABLE sales.orders (id integer PRIMARY KEY, amount numeric(10,2));\n"
                    "INSERT INTO sales.orders VALUES (1, 9.99), (2, 20.00);\n",
                    database=DATABASE)
        # The server side is right: the hard password logs in over TCP with SCRAM.
        env = _client_env() | {"PGPASSWORD": HARD_PASSWORD}
        check_login([str(PG_BIN / "psql"), "-X", "-At", "-h", "127.0.0.1", "-p", str(port), "-U", USER,
                     "-d", DATABASE, "-c", "SELECT count(*) FROM public.people"],
                    str(len(PEOPLE)), env=env)
    return server, child.stop


# running_postgres(): a context manager, the one PostgresServer of this process.
running_postgres = SharedServer(_start).use


@pytest.fixture(scope="session")
def postgres_server():
    """A running private PostgreSQL (PostgresServer); stopped at the end of the session."""
    with running_postgres() as server:
        yield server
