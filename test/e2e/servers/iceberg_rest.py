"""An Iceberg REST catalog with an OAuth2 token endpoint, for the `iceberg` secret type.

The catalog is pyiceberg's SqlCatalog (sqlite, warehouse in a local folder); in front of it a
read-only subset of the Iceberg REST API (other methods: 405), enough for DuckDB's iceberg extension to ATTACH
and read:

    POST /v1/oauth/tokens                   client_credentials grant: client_id and
                                            client_secret (form fields or Basic auth) must
                                            match, else 401 invalid_client
    GET  /v1/config
    GET  /v1/namespaces[?parent=]           HEAD/GET /v1/namespaces/{ns}
    GET  /v1/namespaces/{ns}/tables         HEAD/GET /v1/namespaces/{ns}/tables/{table}

Every /v1/ path but the token endpoint wants `Authorization: Bearer <token it issued>`.
At start it creates namespace `demo` with table `items` (3 rows) unless present.

Run as a script: `python iceberg_rest.py PORT WAREHOUSE_DIR` with ICEBERG_CLIENT_ID and
ICEBERG_CLIENT_SECRET in the environment. Fixture `iceberg_rest_server` (session scope, one
server shared by every module importing it): in its own process on a free port of
127.0.0.1, recorded in build/test-env/run/iceberg_rest.pid (a stale one is killed first),
stopped at the end of the session.
"""
import base64
import hmac
import json
import os
import secrets as _secrets
import signal
import sys
import threading
import urllib.parse
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path

if __package__:
    from ._process import RUN_DIR, SharedServer, free_port, http_ready, kill_stale, serve_http, spawn
else:  # run as a script: servers/ is sys.path[0]
    from _process import RUN_DIR, SharedServer, free_port, http_ready, kill_stale, serve_http, spawn

NAMESPACE = "demo"
TABLE = "items"
ROWS = [(1, "apple", 1.5), (2, "pear", 2.25), (3, "plum", 0.75)]


# ---------------------------------------------------------------------------------------
# Server side.

def open_catalog(warehouse: Path):
    from pyiceberg.catalog.sql import SqlCatalog

    warehouse.mkdir(parents=True, exist_ok=True)
    return SqlCatalog(
        "ystest",
        uri=f"sqlite:///{warehouse / 'catalog.db'}",
        warehouse=warehouse.resolve().as_uri(),
    )


def seed(catalog) -> None:
    import pyarrow as pa

    if (NAMESPACE,) not in catalog.list_namespaces():
        catalog.create_namespace(NAMESPACE)
    if catalog.table_exists((NAMESPACE, TABLE)):
        return
    data = pa.table({
        "id": pa.array([r[0] for r in ROWS], pa.int64()),
        "name": pa.array([r[1] for r in ROWS], pa.string()),
        "price": pa.array([r[2] for r in ROWS], pa.float64()),
    })
    table = catalog.create_table((NAMESPACE, TABLE), schema=data.schema)
    table.append(data)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    catalog = None
    client_id = ""
    client_secret = ""
    tokens: set = set()
    lock = threading.Lock()

    # -- plumbing
    def _json(self, status: int, body=None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _error(self, status: int, kind: str, message: str) -> None:
        self._json(status, {"error": {"message": message, "type": kind, "code": status}})

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def log_message(self, fmt, *args):  # one line per request, to stderr (the log file)
        sys.stderr.write("%s\n" % (fmt % args))

    # -- OAuth2
    def _token(self) -> None:
        form = urllib.parse.parse_qs(self._body().decode(), keep_blank_values=True)
        field = lambda k: form.get(k, [""])[0]
        cid, csecret = field("client_id"), field("client_secret")
        basic = self.headers.get("Authorization", "")
        if basic.startswith("Basic "):
            user, _, pw = base64.b64decode(basic[6:]).decode().partition(":")
            cid, csecret = urllib.parse.unquote(user), urllib.parse.unquote(pw)
        if field("grant_type") != "client_credentials":
            return self._json(400, {"error": "unsupported_grant_type",
                                    "error_description": "only client_credentials"})
        ok = hmac.compare_digest(cid.encode(), self.client_id.encode()) and hmac.compare_digest(
            csecret.encode(), self.client_secret.encode())
        if not ok:
            return self._json(401, {"error": "invalid_client",
                                    "error_description": "client authentication failed"})
        token = "at-" + _secrets.token_hex(16)
        with self.lock:
            self.tokens.add(token)
        self._json(200, {"access_token": token, "token_type": "bearer", "expires_in": 3600,
                         "issued_token_type": "urn:ietf:params:oauth:token-type:access_token"})

    def _authorised(self) -> bool:
        auth = self.headers.get("Authorization", "")
        with self.lock:
            return auth.startswith("Bearer ") and auth[7:] in self.tokens

    # -- catalog
    def _route(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        parts = [urllib.parse.unquote(p) for p in url.path.strip("/").split("/")]
        query = urllib.parse.parse_qs(url.query)
        if parts == ["health"]:
            return self._json(200, {"status": "ok"})
        if parts[:1] != ["v1"]:
            return self._error(404, "NotFoundException", f"no route {url.path}")
        if parts == ["v1", "oauth", "tokens"] and self.command == "POST":
            return self._token()
        if not self._authorised():
            return self._error(401, "NotAuthorizedException", "missing or unknown bearer token")
        if self.command not in ("GET", "HEAD"):  # read-only catalog
            self._body()
            return self._error(405, "NotSupportedException", f"{self.command} is not supported")
        rest = parts[1:]
        if rest == ["config"]:
            return self._json(200, {"defaults": {}, "overrides": {}})
        if rest[:1] != ["namespaces"]:
            return self._error(404, "NotFoundException", f"no route {url.path}")
        from pyiceberg.exceptions import NoSuchNamespaceError, NoSuchTableError

        cat = self.catalog
        try:
            if len(rest) == 1:
                parent = tuple(query["parent"][0].split("\x1f")) if "parent" in query else ()
                return self._json(200, {"namespaces": [list(n) for n in cat.list_namespaces(parent)]})
            ns = tuple(rest[1].split("\x1f"))
            if len(rest) == 2:
                props = cat.load_namespace_properties(ns)
                return self._json(204 if self.command == "HEAD" else 200,
                                  None if self.command == "HEAD" else
                                  {"namespace": list(ns), "properties": props})
            if len(rest) == 3 and rest[2] == "tables":
                ids = cat.list_tables(ns)
                return self._json(200, {"identifiers": [
                    {"namespace": list(i[:-1]), "name": i[-1]} for i in ids]})
            if len(rest) == 4 and rest[2] == "tables":
                table = cat.load_table(ns + (rest[3],))
                if self.command == "HEAD":
                    return self._json(204)
                return self._json(200, {
                    "metadata-location": table.metadata_location,
                    "metadata": json.loads(table.metadata.model_dump_json()),
                    "config": {},
                })
        except NoSuchNamespaceError as e:
            return self._error(404, "NoSuchNamespaceException", str(e))
        except NoSuchTableError as e:
            return self._error(404, "NoSuchTableException", str(e))
        return self._error(404, "NotFoundException", f"no route {url.path}")

    def _handle(self) -> None:
        try:
            self._route()
        except Exception as e:  # a bug here: say so in the log and to the client
            import traceback

            traceback.print_exc()
            self._error(500, "InternalServerError", repr(e))

    do_GET = do_HEAD = do_POST = do_DELETE = _handle


def main() -> None:
    port, warehouse = int(sys.argv[1]), Path(sys.argv[2])
    catalog = open_catalog(warehouse)
    seed(catalog)
    Handler.catalog = catalog
    Handler.client_id = os.environ["ICEBERG_CLIENT_ID"]
    Handler.client_secret = os.environ["ICEBERG_CLIENT_SECRET"]
    serve_http(Handler, port)


# ---------------------------------------------------------------------------------------
# Fixture side: process management.

NAME = "iceberg_rest"


@dataclass
class IcebergRest:
    endpoint: str  # http://127.0.0.1:PORT
    client_id: str
    client_secret: str
    namespace: str
    table: str
    rows: list
    log: Path

    @property
    def token_uri(self) -> str:
        return self.endpoint + "/v1/oauth/tokens"


def _start(warehouse: Path):
    """Starts the server (it seeds the catalog); returns (IcebergRest, stop)."""
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    pid_file = RUN_DIR / f"{NAME}.pid"
    log = RUN_DIR / f"{NAME}.log"
    kill_stale(pid_file, str(Path(__file__).resolve()), signal.SIGKILL)
    port = free_port()
    client_id = "yamlsecrets-test"
    client_secret = "cs-" + _secrets.token_hex(12)
    env = dict(os.environ, ICEBERG_CLIENT_ID=client_id, ICEBERG_CLIENT_SECRET=client_secret)
    child = spawn([sys.executable, str(Path(__file__).resolve()), str(port), str(warehouse)],
                  pid_file=pid_file, log=log, env=env)
    server = IcebergRest(f"http://127.0.0.1:{port}", client_id, client_secret,
                         NAMESPACE, TABLE, ROWS, log)
    with child.stopped_on_error():
        child.wait_ready(lambda: http_ready(server.endpoint + "/health"), NAME, 30)
    return server, child.stop


_shared = SharedServer()


try:
    import pytest

    @pytest.fixture(scope="session")
    def iceberg_rest_server(tmp_path_factory):
        with _shared.use(lambda: _start(tmp_path_factory.mktemp("iceberg") / "warehouse")) as server:
            yield server
except ImportError:  # run as a script in an environment without pytest
    pass


if __name__ == "__main__":
    main()
