"""Azurite (npm `azurite`, blob service only) for the `azure` secret type.

Fixture `azurite_server` (session scope, one server shared by every module importing it):
`azurite-blob --loose --inMemoryPersistence --disableTelemetry` on a free port of 127.0.0.1,
recorded in build/test-env/run/azurite.pid (a stale one is killed first), with container
`ystest` holding `data.csv` and `data.parquet` (uploaded with azure-storage-blob); stopped at
the end of the session. Installed by scripts/test-env.d/azure-http-iceberg.sh.
"""
import signal
from dataclasses import dataclass
from pathlib import Path

import pytest

from ._process import ROOT, RUN_DIR, SharedServer, free_port, http_ready, kill_stale, spawn

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
    """Starts the server and fills the container; returns (Azurite, stop)."""
    if not AZURITE_BIN.exists():
        pytest.skip(f"no {AZURITE_BIN}: run scripts/test-env.sh")
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    pid_file = RUN_DIR / f"{NAME}.pid"
    log = RUN_DIR / f"{NAME}.log"
    kill_stale(pid_file, "azurite", signal.SIGKILL)
    port = free_port()
    work = tmp / "azurite"
    work.mkdir()
    argv = [
        str(AZURITE_BIN), "--loose", "--inMemoryPersistence", "--disableTelemetry",
        "--blobHost", "127.0.0.1", "--blobPort", str(port),
    ]
    # cwd: azurite writes its debug/extent files there
    child = spawn(argv, pid_file=pid_file, log=log, cwd=work)
    server = Azurite(f"http://127.0.0.1:{port}/{ACCOUNT}", ACCOUNT, ACCOUNT_KEY, CONTAINER, log)
    with child.stopped_on_error():
        # Any HTTP answer (400/403 for an unsigned request) means it listens.
        child.wait_ready(lambda: http_ready(f"{server.endpoint}?comp=list", any_status=True), NAME, 30)
        from azure.storage.blob import BlobServiceClient

        # api_version: one this azurite accepts (the SDK defaults to a newer one).
        service = BlobServiceClient.from_connection_string(
            server.connection_string(), api_version="2026-02-06"
        )
        container = service.create_container(CONTAINER)
        container.upload_blob("data.csv", DATA_CSV, overwrite=True)
        container.upload_blob("data.parquet", _parquet_bytes(work), overwrite=True)
    return server, child.stop


_shared = SharedServer()


@pytest.fixture(scope="session")
def azurite_server(tmp_path_factory):
    with _shared.use(lambda: _start(tmp_path_factory.mktemp("azurite"))) as server:
        yield server
