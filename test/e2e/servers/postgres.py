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

import atexit
import contextlib
import dataclasses
import os
import pathlib
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import threading
import time
import urllib.parse

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
PG_BIN = pathlib.Path(os.environ.get("YS_PG_BIN", "/usr/lib/postgresql/15/bin"))
START_TIMEOUT = 20.0

USER = "ys_user"
DATABASE = "ys_db"
# Every character that breaks naive quoting: SQL ', identifier ", statement ;, comment --,
# dollar quoting $, backslash, a space, and a non-ASCII letter.
HARD_PASSWORD = "pa'ss\"w;rd--$x\\y é"
# The rows of public.people in DATABASE (owned by USER).
PEOPLE = [(1, "Ada"), (2, "Grace"), (3, "Zoë")]


# ---- helpers shared with the other server modules ----------------------------------------

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_dir(name: str) -> pathlib.Path:
    """build/test-env/run/<name>, or a fixed /tmp directory when the build tree is not
    traversable by other users (the servers run unprivileged) or too deep for a socket path."""
    base = ROOT / "build" / "test-env" / "run"
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


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours counts as dead.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def stop_pid(pid: int, sig: int = signal.SIGTERM, timeout: float = 10.0, proc=None) -> None:
    """Send `sig`, wait up to `timeout`, then SIGKILL. Reaps `proc` when given."""
    if not _alive(pid):
        if proc is not None:
            proc.poll()
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return
        if not _alive(pid):
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    if proc is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(5)


def kill_stale(pid_file: pathlib.Path, marker: str, sig: int = signal.SIGTERM) -> None:
    """Stop the process a previous session recorded in pid_file, if it is still running and
    its command line contains `marker` (so a recycled PID is never killed)."""
    try:
        pid = int(pid_file.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return
    if _alive(pid) and marker in _cmdline(pid):
        stop_pid(pid, sig)
    pid_file.unlink(missing_ok=True)


def log_tail(path: pathlib.Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


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


def _start() -> tuple[PostgresServer, subprocess.Popen]:
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
    with open(log_file, "ab") as log:
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=log, cwd=base,
                                env=_client_env(), start_new_session=True, **run_as_kwargs(run_as))
    pid_file.write_text(f"{proc.pid}\n")

    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if proc.poll() is not None:
            pid_file.unlink(missing_ok=True)
            raise RuntimeError(f"postgres exited with {proc.returncode}:\n{log_tail(log_file)}")
        ready = subprocess.run([str(PG_BIN / "pg_isready"), "-q", "-h", str(base), "-p", str(port)],
                               env=_client_env())
        if ready.returncode == 0:
            break
        if time.monotonic() > deadline:
            stop_pid(proc.pid, signal.SIGINT, proc=proc)
            pid_file.unlink(missing_ok=True)
            raise RuntimeError(f"postgres not ready after {START_TIMEOUT}s:\n{log_tail(log_file)}")
        time.sleep(0.1)

    server = PostgresServer(host="127.0.0.1", port=port, user=USER, password=HARD_PASSWORD,
                            database=DATABASE, superuser="postgres", socket_dir=str(base),
                            data_dir=str(data), log_file=str(log_file), pid=proc.pid)
    try:
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
        check = subprocess.run(
            [str(PG_BIN / "psql"), "-X", "-At", "-h", "127.0.0.1", "-p", str(port), "-U", USER,
             "-d", DATABASE, "-c", "SELECT count(*) FROM public.people"],
            capture_output=True, text=True, env=env, timeout=30)
        if check.returncode != 0 or check.stdout.strip() != str(len(PEOPLE)):
            raise RuntimeError(f"login check failed: {check.stderr.strip()}")
    except BaseException:
        _stop(server, proc)
        raise
    return server, proc


def _stop(server: PostgresServer, proc: subprocess.Popen | None) -> None:
    stop_pid(server.pid, signal.SIGINT, proc=proc)  # SIGINT: PostgreSQL's fast shutdown
    pid_file = pathlib.Path(server.socket_dir).parent / "postgres.pid"
    pid_file.unlink(missing_ok=True)
    if not os.environ.get("YS_KEEP_SERVER_DATA"):
        shutil.rmtree(server.data_dir, ignore_errors=True)


# One server per process, shared by every module that imports the fixture (pytest makes one
# fixture definition per importing module; the reference count keeps them on one server).
_lock = threading.Lock()
_state: dict = {"server": None, "proc": None, "users": 0}


@contextlib.contextmanager
def running_postgres():
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
def postgres_server():
    """A running private PostgreSQL (PostgresServer); stopped at the end of the session."""
    with running_postgres() as server:
        yield server
