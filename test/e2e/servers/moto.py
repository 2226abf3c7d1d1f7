"""A moto server (S3 + IAM) on 127.0.0.1 with IAM enforced, for the end-to-end tests.

Use it from any test module with

    from servers.moto import moto  # noqa: F401  (registers the session fixture)

    def test_x(moto): ...moto.endpoint, moto.users["reader"].key_id, moto.upload(...)

How IAM gets enforced: moto checks nothing unless started with INITIAL_NO_AUTH_ACTION_COUNT=N;
then it lets the first N requests through unchecked (any key) and, from request N+1 on,
verifies every request's SigV4 signature against the IAM access keys it knows and evaluates the
user's IAM policies. The fixture spends exactly those N requests creating the buckets and the
IAM users (user, inline policy, access key: three requests each) with boto3, then checks that
the budget is used up: an admin-signed request succeeds, a made-up key is refused
(InvalidAccessKeyId), a real key id with a wrong secret is refused (SignatureDoesNotMatch),
and a user cannot read outside its policy (AccessDenied).

Waiting for the port is a bare TCP connect, so it costs no request. boto3 runs with a single
attempt (a retry would spend a second request) and short timeouts.

One server per pytest process, shared by every module that imports the fixture. It runs in its
own process group; build/test-env/run/moto.<pytest-pid>.pid records its PID and start time and
those of the pytest process that owns it. At session start, a PID file whose owner is gone (or
a zombie, or its PID reused) is stale: its server, if still the same moto_server process, is
killed and the file removed. At session end the server is stopped by PID (SIGTERM, then
SIGKILL) and its log (build/test-env/run/moto.<pytest-pid>.log) removed.
"""
from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
RUN_DIR = ROOT / "build" / "test-env" / "run"
REGION = "us-east-1"
ACCOUNT_ID = "123456789012"  # moto's default account

# Buckets, and which users may read which (IAM inline policies). `admin` may do anything.
BUCKET_DATA = "ys-data"  # read by `reader`
BUCKET_A = "ys-bucket-a"  # read by `alpha` only (and admin)
BUCKET_B = "ys-bucket-b"  # read by `beta` only (and admin)
BUCKETS = (BUCKET_DATA, BUCKET_A, BUCKET_B)
READABLE = {
    "admin": None,  # Action "*" on "*"
    "reader": ("*",),
    "alpha": (BUCKET_A,),
    "beta": (BUCKET_B,),
}

# The unchecked requests, counted: one CreateBucket per bucket, and per user CreateUser,
# PutUserPolicy, CreateAccessKey. The checks after setup prove the count is exact.
REQUESTS_PER_USER = 3
UNCHECKED_REQUESTS = len(BUCKETS) + REQUESTS_PER_USER * len(READABLE)

START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 5.0


@dataclasses.dataclass(frozen=True)
class IamKey:
    user: str
    key_id: str
    secret: str


@dataclasses.dataclass
class MotoServer:
    host: str
    port: int
    users: dict  # name -> IamKey
    bucket_data: str = BUCKET_DATA
    bucket_a: str = BUCKET_A
    bucket_b: str = BUCKET_B
    region: str = REGION
    pid: int = 0

    @property
    def endpoint(self) -> str:
        """host:port, the form DuckDB's ENDPOINT takes (with USE_SSL false)."""
        return f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def admin(self) -> IamKey:
        return self.users["admin"]

    def client(self, service: str = "s3", key: IamKey | None = None, **kwargs):
        """A boto3 client signed with `key` (default: the admin IAM key)."""
        return _client(self.url, service, key or self.admin, **kwargs)

    def upload(self, bucket: str, key: str, data, content_type: str | None = None) -> str:
        """Puts `data` (bytes, str, or a local file path) at s3://bucket/key with the admin IAM
        key; returns the s3:// URL."""
        if isinstance(data, pathlib.Path):
            data = data.read_bytes()
        elif isinstance(data, str):
            data = data.encode()
        extra = {"ContentType": content_type} if content_type else {}
        self.client().put_object(Bucket=bucket, Key=key, Body=data, **extra)
        return f"s3://{bucket}/{key}"


def _client(url: str, service: str, key: IamKey, **kwargs):
    import boto3
    from botocore.config import Config

    config = Config(
        retries={"total_max_attempts": 1},
        connect_timeout=5,
        read_timeout=10,
        s3={"addressing_style": "path"},
    )
    return boto3.client(
        service,
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id=key.key_id,
        aws_secret_access_key=key.secret,
        config=config,
        **kwargs,
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _alive(pid: int) -> bool:
    return _start_time(pid) is not None


def _start_time(pid: int) -> str | None:
    """The process's start time (clock ticks since boot), None if it is gone or a zombie: with the
    PID, it names a process even after the PID is reused."""
    try:
        stat = pathlib.Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
    return None if fields[0] in ("Z", "X") else fields[19]


def _cmdline(pid: int) -> str:
    try:
        return pathlib.Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _stop(pid: int, proc: subprocess.Popen | None = None) -> None:
    """SIGTERM the server's process group, then SIGKILL after STOP_TIMEOUT_S. `proc`: our own
    child (reaped); otherwise a stale server of an earlier session (polled until gone)."""
    for sig, wait in ((signal.SIGTERM, STOP_TIMEOUT_S), (signal.SIGKILL, 2.0)):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        except PermissionError:
            os.kill(pid, sig)
        if proc is not None:
            try:
                proc.wait(timeout=wait)
                return
            except subprocess.TimeoutExpired:
                continue
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not _alive(pid):
                return
            time.sleep(0.05)


def _kill_stale() -> None:
    """Kills the servers of earlier sessions whose pytest process is gone."""
    for pidfile in RUN_DIR.glob("moto.*.pid"):
        try:
            info = json.loads(pidfile.read_text())
            pid, owner = int(info["pid"]), int(info["owner"])
            owner_started, started = info["owner_started"], info["started"]
        except (OSError, ValueError, KeyError, TypeError):
            pidfile.unlink(missing_ok=True)
            continue
        if owner != os.getpid() and _start_time(owner) == owner_started:
            continue  # another live session's server
        if _start_time(pid) == started and "moto_server" in _cmdline(pid):
            _stop(pid)
        pidfile.with_suffix(".log").unlink(missing_ok=True)
        pidfile.unlink(missing_ok=True)


def _moto_server_cmd() -> str:
    beside = pathlib.Path(sys.executable).parent / "moto_server"
    found = str(beside) if beside.exists() else shutil.which("moto_server")
    if not found:
        pytest.skip("moto_server not installed: run scripts/test-env.sh")
    return found


def _wait_for_port(proc: subprocess.Popen, port: int, log: pathlib.Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"moto_server exited with {proc.returncode}:\n{log.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"moto_server did not listen on {port} within {START_TIMEOUT_S}s")


def _policy(buckets) -> str:
    if buckets is None:
        statement = [{"Effect": "Allow", "Action": "*", "Resource": "*"}]
    else:
        resources = []
        for b in buckets:
            resources += [f"arn:aws:s3:::{b}", f"arn:aws:s3:::{b}/*"]
        statement = [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": resources}]
    return json.dumps({"Version": "2012-10-17", "Statement": statement})


def _setup(url: str) -> dict:
    """Spends exactly UNCHECKED_REQUESTS requests; returns the IAM keys by user name."""
    anyone = IamKey("setup", "AKIASETUPSETUPSETUP0", "unchecked-requests-take-any-secret")
    s3 = _client(url, "s3", anyone)
    iam = _client(url, "iam", anyone)
    spent = 0
    for bucket in BUCKETS:
        s3.create_bucket(Bucket=bucket)
        spent += 1
    users = {}
    for name, buckets in READABLE.items():
        user = f"ys-{name}"
        iam.create_user(UserName=user)
        iam.put_user_policy(UserName=user, PolicyName=f"{user}-s3", PolicyDocument=_policy(buckets))
        created = iam.create_access_key(UserName=user)["AccessKey"]
        spent += REQUESTS_PER_USER
        users[name] = IamKey(user, created["AccessKeyId"], created["SecretAccessKey"])
    assert spent == UNCHECKED_REQUESTS
    return users


def _error_code(exc: Exception) -> str:
    return getattr(exc, "response", {}).get("Error", {}).get("Code", repr(exc))


def check_enforced(server: MotoServer) -> None:
    """Raises AssertionError unless moto now checks every request's key and policy."""
    from botocore.exceptions import ClientError

    # Refusals first: were the budget not used up, a refused-looking request would pass.
    made_up = IamKey("nobody", "AKIAMADEUPMADEUP0000", "made-up-secret-made-up-secret-made-up-0")
    wrong_secret = dataclasses.replace(server.users["reader"], secret="wrong" + server.users["reader"].secret[5:])
    for key, want in ((made_up, "InvalidAccessKeyId"), (wrong_secret, "SignatureDoesNotMatch")):
        try:
            server.client(key=key).list_objects_v2(Bucket=server.bucket_data)
        except ClientError as exc:
            assert _error_code(exc) == want, f"{key.user}: {_error_code(exc)}, want {want}"
        else:
            raise AssertionError(f"moto accepted a request signed with a {key.user} key: IAM not enforced")
    try:
        server.client(key=server.users["alpha"]).list_objects_v2(Bucket=server.bucket_b)
    except ClientError as exc:
        assert _error_code(exc) == "AccessDenied", _error_code(exc)
    else:
        raise AssertionError("alpha listed bucket b: IAM policies not enforced")
    server.client().list_objects_v2(Bucket=server.bucket_data)  # admin: allowed


# One server per pytest process, however many test modules import the fixture: pytest makes a
# separate session fixture of each module's import, so the fixtures share this and count users.
_shared = {"server": None, "users": 0, "stop": None}


@pytest.fixture(scope="session")
def moto():
    """A running moto server with IAM enforced: a MotoServer (endpoint, users' keys, buckets,
    upload()). Import it into a test module to use it: `from servers.moto import moto`."""
    if _shared["server"] is None:
        _shared["server"], _shared["stop"] = _start()
    _shared["users"] += 1
    try:
        yield _shared["server"]
    finally:
        _shared["users"] -= 1
        if _shared["users"] == 0:
            stop, _shared["server"], _shared["stop"] = _shared["stop"], None, None
            stop()


def _start():
    """Starts and sets up the server; returns (MotoServer, stop)."""
    pytest.importorskip("boto3")
    cmd = _moto_server_cmd()
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    _kill_stale()

    port = _free_port()
    log = RUN_DIR / f"moto.{os.getpid()}.log"
    env = dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT=str(UNCHECKED_REQUESTS), MOTO_PORT=str(port))
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        env.pop(var, None)
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [cmd, "-H", "127.0.0.1", "-p", str(port)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    pidfile = RUN_DIR / f"moto.{os.getpid()}.pid"
    pidfile.write_text(
        json.dumps(
            {
                "pid": proc.pid,
                "started": _start_time(proc.pid),
                "owner": os.getpid(),
                "owner_started": _start_time(os.getpid()),
                "port": port,
            }
        )
    )

    def stop():
        _stop(proc.pid, proc)
        pidfile.unlink(missing_ok=True)
        log.unlink(missing_ok=True)

    try:
        _wait_for_port(proc, port, log)
        users = _setup(f"http://127.0.0.1:{port}")
        server = MotoServer("127.0.0.1", port, users, pid=proc.pid)
        check_enforced(server)
    except BaseException:
        stop()
        raise
    return server, stop
