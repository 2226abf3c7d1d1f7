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
import sys

import pytest

from ._process import ROOT, RUN_DIR, SharedServer, cmdline, free_port, port_open, spawn, start_time, stop_pid  # noqa: F401
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
        if owner != os.getpid() and start_time(owner) == owner_started:
            continue  # another live session's server
        if start_time(pid) == started and "moto_server" in cmdline(pid):
            stop_pid(pid, signal.SIGTERM, STOP_TIMEOUT_S, group=True)
        pidfile.with_suffix(".log").unlink(missing_ok=True)
        pidfile.unlink(missing_ok=True)


def _moto_server_cmd() -> str:
    beside = pathlib.Path(sys.executable).parent / "moto_server"
    found = str(beside) if beside.exists() else shutil.which("moto_server")
    if not found:
        pytest.skip("moto_server not installed: run scripts/test-env.sh")
    return found


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


_shared = SharedServer()


@pytest.fixture(scope="session")
def moto():
    """A running moto server with IAM enforced: a MotoServer (endpoint, users' keys, buckets,
    upload()). Import it into a test module to use it: `from servers.moto import moto`."""
    with _shared.use(_start) as server:
        yield server


def _start():
    """Starts and sets up the server; returns (MotoServer, stop)."""
    pytest.importorskip("boto3")
    cmd = _moto_server_cmd()
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    _kill_stale()

    port = free_port()
    log = RUN_DIR / f"moto.{os.getpid()}.log"
    env = dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT=str(UNCHECKED_REQUESTS), MOTO_PORT=str(port))
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        env.pop(var, None)

    def record(proc) -> str:
        return json.dumps(
            {
                "pid": proc.pid,
                "started": start_time(proc.pid),
                "owner": os.getpid(),
                "owner_started": start_time(os.getpid()),
                "port": port,
            }
        )

    child = spawn(
        [cmd, "-H", "127.0.0.1", "-p", str(port)],
        pid_file=RUN_DIR / f"moto.{os.getpid()}.pid", log=log, record=record,
        stop_timeout=STOP_TIMEOUT_S, group=True, env=env, start_new_session=True,
    )
    child.on_stop(lambda: log.unlink(missing_ok=True))
    with child.stopped_on_error():
        child.wait_ready(lambda: port_open(port), "moto_server", START_TIMEOUT_S, interval=0.05)
        users = _setup(f"http://127.0.0.1:{port}")
        server = MotoServer("127.0.0.1", port, users, pid=child.pid)
        check_enforced(server)
    return server, child.stop
