"""Azurite (npm `azurite`, blob service only) for the `azure` secret type.

Fixture `azurite_server` (session scope, one server shared by every module importing it):
`azurite-blob --loose --inMemoryPersistence --disableTelemetry` on a free port of 127.0.0.1,
recorded in build/test-env/run/azurite.pid (a stale one is killed first), with container
`ystest` holding `data.csv` and `data.parquet` (uploaded with azure-storage-blob); stopped at
the end of the session. Installed by scripts/test-env.d/azure-http-iceberg.sh.
"""
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
RUN_DIR = ROOT / "build" / "test-env" / "run"
AZURITE_BIN = ROOT / "build" / "test-env" / "node" / "node_modules" / ".bin" / "azurite-blob"
NAME = "azurite"

# Azurite's well-known development account (public, documented by Microsoft).
ACCOUNT = "devstoreaccount1"
ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
CONTAINER = "ystest"
DATA_CSV = b"id,city\n1,Oslo\n2,Lima\n3,Pune\n"


@dataclass
class Azurite:
    endpoint: str  # http://127.0.0.1:PORT/devstoreaccount1
    account: str
    key: str
    container: str
    log: Path

    def connection_string(self, key: str | None = None) -> str:
        return (
            f"DefaultEndpointsProtocol=http;AccountName={self.account};"
            f"AccountKey={key or self.key};BlobEndpoint={self.endpoint};"
        )

    def container_sas(self) -> str:
        """A read/list SAS token for the container, valid for an hour."""
        import datetime

        from azure.storage.blob import ContainerSasPermissions, generate_container_sas

        return generate_container_sas(
            self.account, self.container, account_key=self.key,
            permission=ContainerSasPermissions(read=True, list=True),
            expiry=datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1),
        )


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


def _parquet_bytes(tmp: Path) -> bytes:
    import duckdb

    path = tmp / "data.parquet"
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT range AS id, 'row ' || range AS label FROM range(5)) TO '{path}' (FORMAT parquet)"
    )
    con.close()
    return path.read_bytes()


def _start(tmp: Path):
    if not AZURITE_BIN.exists():
        pytest.skip(f"no {AZURITE_BIN}: run scripts/test-env.sh")
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    pid_file = RUN_DIR / f"{NAME}.pid"
    log = RUN_DIR / f"{NAME}.log"
    kill_stale(pid_file, "azurite")
    port = free_port()
    work = tmp / "azurite"
    work.mkdir()
    argv = [
        str(AZURITE_BIN), "--loose", "--inMemoryPersistence", "--disableTelemetry",
        "--blobHost", "127.0.0.1", "--blobPort", str(port),
    ]
    with open(log, "wb") as out:  # cwd: azurite writes its debug/extent files there
        proc = subprocess.Popen(
            argv, cwd=work, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    pid_file.write_text(str(proc.pid))
    server = Azurite(f"http://127.0.0.1:{port}/{ACCOUNT}", ACCOUNT, ACCOUNT_KEY, CONTAINER, log)
    deadline = time.monotonic() + 30
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"azurite exited with {proc.returncode}: {log.read_text()}")
        try:
            # Any HTTP answer (400/403 for an unsigned request) means it listens.
            urllib.request.urlopen(f"{server.endpoint}?comp=list", timeout=1)
            break
        except urllib.error.HTTPError:
            break
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            stop(proc, pid_file)
            raise RuntimeError(f"azurite not ready on port {port}: {log.read_text()}")
        time.sleep(0.1)
    try:
        from azure.storage.blob import BlobServiceClient

        # api_version: one this azurite accepts (the SDK defaults to a newer one).
        service = BlobServiceClient.from_connection_string(
            server.connection_string(), api_version="2026-02-06"
        )
        container = service.create_container(CONTAINER)
        container.upload_blob("data.csv", DATA_CSV, overwrite=True)
        container.upload_blob("data.parquet", _parquet_bytes(work), overwrite=True)
    except BaseException:
        stop(proc, pid_file)
        raise
    return proc, pid_file, server


# One server per pytest process, however many test modules import the fixture (pytest makes
# a separate session fixture of each import): the imports share it and count their users.
_shared = {"users": 0}


@pytest.fixture(scope="session")
def azurite_server(tmp_path_factory):
    if _shared["users"] == 0:
        _shared["started"] = _start(tmp_path_factory.mktemp("azurite"))
    _shared["users"] += 1
    try:
        yield _shared["started"][2]
    finally:
        _shared["users"] -= 1
        if _shared["users"] == 0:
            proc, pid_file, _ = _shared.pop("started")
            stop(proc, pid_file)
