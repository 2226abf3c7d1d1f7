"""Where values come from, for real: `${cmd:…}` against the actual secret-manager tools and
`${file:…#field}` on JSON files, plus the refusals. Every load passes `allow_commands := true`
(unless the test is about its absence) and the value is checked in
`duckdb_secrets(redact := false)` (connections opened with `allow_unredacted_secrets`), or by
authenticating with it.

- AWS CLI (the venv's `aws`, scripts/test-env.d/secret-tools.sh) against moto's Secrets Manager
  (test/e2e/servers/moto.py, IAM enforced): the CLI signs with a user whose only policy is
  secretsmanager:GetSecretValue. The whole JSON text, one field (`#password`), an S3 secret whose
  keys come from a Secrets Manager secret and then read through httpfs, a missing secret id and
  a made-up key (the CLI's exit status and stderr, nothing else).
- `pass` with a throwaway GPG key (no passphrase) in tmp dirs; the agent started by `pass show`
  is killed at the end with gpgconf.
- `secret-tool lookup` against gnome-keyring-daemon on a private D-Bus session bus (own config,
  no service activation), its login keyring created and unlocked with an empty password line.
  Skips, saying what failed, where that cannot run.
- `${file:…}`: `#password`, `#a.b`, a missing field, a file that is not JSON.
- Refusals: no `allow_commands`, `enable_external_access = false` (set after LOAD), a timeout, a
  non-zero exit. A command that creates a marker file proves whether it ran.
- `secrets_check(…, allow_commands := true)` lists the command and runs nothing.

The commands run in this process's environment (the extension runs in-process), so
monkeypatch.setenv reaches them: PATH, AWS_*, GNUPGHOME, PASSWORD_STORE_DIR,
DBUS_SESSION_BUS_ADDRESS.
"""
from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys
import time

import duckdb
import pytest

from servers.moto import BUCKET_DATA, IamKey, moto  # noqa: F401

FIXTURES = pathlib.Path(__file__).resolve().parent / "fixtures" / "sources"
VENV_BIN = pathlib.Path(sys.executable).parent

AWS_PG_ID = "ys/value-sources/pg"
AWS_S3_ID = "ys/value-sources/s3"
AWS_PG = {"username": "analytics", "password": "aws-canary-Pa55!w0rd-8d1f"}
CSV_KEY = "value-sources/people.csv"
CSV_TEXT = "id,name\n1,ada\n2,grace\n"

PASS_VALUE = "pass-canary-0c7e"
KEYRING_VALUE = "keyring-canary-5a93"


# ---------------------------------------------------------------------------------------------
# helpers


def open_db(connect, *extensions):
    return connect(*extensions, allow_unredacted_secrets="true")


def load(con, path, **params):
    args = "".join(f", {k} := {v}" for k, v in params.items())
    cur = con.execute(f"FROM load_secrets_yaml('{path}'{args})")
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row)) for row in cur.fetchall()]


def load_error(con, path, **params) -> str:
    with pytest.raises(duckdb.Error) as info:
        load(con, path, **params)
    return str(info.value)


def check(con, path, **params):
    args = "".join(f", {k} := {v}" for k, v in params.items())
    cur = con.execute(f"FROM secrets_check('{path}'{args}) ORDER BY name")
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row)) for row in cur.fetchall()]


def secret_strings(con) -> dict:
    return dict(con.execute("SELECT name, secret_string FROM duckdb_secrets(redact := false)").fetchall())


def bearer_token(con, name) -> str:
    """The unredacted bearer_token of an http secret (the last field of its secret_string; the
    value may itself hold ';')."""
    text = secret_strings(con)[name]
    _, sep, value = text.partition(";bearer_token=")
    assert sep, text
    return value


def assert_clean(text: str, *values: str) -> None:
    for value in values:
        assert value not in text, f"{value!r} leaked into: {text}"


def render(template: str, out: pathlib.Path, **subst) -> pathlib.Path:
    text = (FIXTURES / template).read_text()
    for key, value in subst.items():
        text = text.replace(f"@{key}@", value)
    assert "@" not in text.replace("#", ""), text  # every placeholder filled
    out.write_text(text)
    return out


def alive_with(needle: str) -> list[int]:
    """PIDs of live (not zombie) processes whose command line contains `needle`."""
    found = []
    for proc in pathlib.Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            stat = (proc / "stat").read_text()
        except OSError:
            continue
        if needle in cmdline and stat[stat.rindex(")") + 2] not in "ZX":
            found.append(int(proc.name))
    return found


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


# ---------------------------------------------------------------------------------------------
# AWS CLI against moto's Secrets Manager


@pytest.fixture(scope="module")
def aws(moto):  # noqa: F811
    """Two JSON secrets in moto's Secrets Manager, a CSV object to read with the S3 one, and an
    IAM user allowed only secretsmanager:GetSecretValue; returns (moto, that user's key)."""
    if not (VENV_BIN / "aws").exists():
        pytest.skip("the AWS CLI is not in the venv: run scripts/test-env.sh")
    sm = moto.client("secretsmanager")
    sm.create_secret(Name=AWS_PG_ID, SecretString=json.dumps(AWS_PG))
    reader = moto.users["reader"]
    sm.create_secret(Name=AWS_S3_ID, SecretString=json.dumps({"key_id": reader.key_id, "secret": reader.secret}))
    moto.upload(BUCKET_DATA, CSV_KEY, CSV_TEXT, "text/csv")
    iam = moto.client("iam")
    user = "ys-secrets-reader"
    iam.create_user(UserName=user)
    policy = {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": "*"}
    iam.put_user_policy(
        UserName=user,
        PolicyName=f"{user}-sm",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [policy]}),
    )
    created = iam.create_access_key(UserName=user)["AccessKey"]
    return moto, IamKey(user, created["AccessKeyId"], created["SecretAccessKey"])


@pytest.fixture
def aws_env(aws, tmp_path, monkeypatch):
    """The CLI's environment: the venv's bin on PATH, the key in AWS_*, empty config files."""
    server, key = aws
    for var in list(os.environ):
        if var.startswith("AWS_"):
            monkeypatch.delenv(var)
    config, credentials = tmp_path / "aws-config", tmp_path / "aws-credentials"
    config.write_text("")
    credentials.write_text("")
    monkeypatch.setenv("PATH", f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key.key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key.secret)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return server, key


def test_aws_cli_whole_json_and_one_field(connect, aws_env, tmp_path):
    server, _ = aws_env
    path = render("aws.yaml.in", tmp_path / "aws.yaml", ENDPOINT=server.url)
    con = open_db(connect)
    rows = load(con, path, allow_commands="true")
    assert sorted((r["name"], r["action"]) for r in rows) == [("sm_password", "created"), ("sm_whole", "created")]
    for row in rows:
        assert_clean(row["sql"], AWS_PG["password"])
    assert json.loads(bearer_token(con, "sm_whole")) == AWS_PG
    assert bearer_token(con, "sm_whole") == json.dumps(AWS_PG)  # the text as stored, trimmed
    assert bearer_token(con, "sm_password") == AWS_PG["password"]


def test_aws_cli_keys_authenticate_s3(connect, aws_env, tmp_path):
    """key_id and secret of an S3 secret from one Secrets Manager JSON secret: httpfs then
    reads from moto, which checks the signature and the reader's IAM policy."""
    server, _ = aws_env
    path = render("aws-s3.yaml.in", tmp_path / "aws-s3.yaml", ENDPOINT=server.url, S3_ENDPOINT=server.endpoint)
    con = open_db(connect, "httpfs")
    con.execute("SET http_timeout = 10; SET http_retries = 1")
    [row] = load(con, path, allow_commands="true")
    assert (row["name"], row["type"]) == ("sm_s3", "s3")
    assert_clean(row["sql"], server.users["reader"].secret)
    assert con.execute(f"SELECT name FROM 's3://{BUCKET_DATA}/{CSV_KEY}' ORDER BY id").fetchall() == [
        ("ada",),
        ("grace",),
    ]


def test_aws_cli_missing_secret_id(connect, aws_env, tmp_path):
    server, key = aws_env
    path = render("aws-missing.yaml.in", tmp_path / "aws-missing.yaml", ENDPOINT=server.url)
    con = open_db(connect)
    err = load_error(con, path, allow_commands="true")
    # AWS CLI v1 exits with 255 on a service error (v2: 254)
    assert (
        "aws-missing.yaml:4:19: secret 'sm_missing', field 'bearer_token': command 'aws' failed with exit "
        "status 255: An error occurred (ResourceNotFoundException) when calling the GetSecretValue "
        "operation: Secrets Manager can't find the specified secret."
    ) in err, err
    assert "no secret was created" in err, err
    assert_clean(err, key.secret, AWS_PG["password"])
    assert secret_strings(con) == {}


def test_aws_cli_made_up_key_refused(connect, aws_env, tmp_path, monkeypatch):
    """Proof the CLI's requests are really authenticated: a key IAM never issued is refused."""
    server, _ = aws_env
    made_up_secret = "made-up-secret-0123456789abcdefghijklmnopqrs"
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAMADEUPMADEUP0000")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", made_up_secret)
    path = render("aws.yaml.in", tmp_path / "aws.yaml", ENDPOINT=server.url)
    con = open_db(connect)
    err = load_error(con, path, allow_commands="true")
    assert "secret 'sm_whole', field 'bearer_token': command 'aws' failed with exit status 255" in err, err
    assert "InvalidClientTokenId" in err, err
    assert_clean(err, made_up_secret, AWS_PG["password"])
    assert secret_strings(con) == {}


# ---------------------------------------------------------------------------------------------
# pass (GPG)


def _run(cmd, env, **kwargs):
    return subprocess.run(cmd, env=env, check=True, capture_output=True, timeout=60, **kwargs)


@pytest.fixture
def password_store(tmp_path_factory, monkeypatch):
    """A password store in tmp dirs, encrypted to a throwaway GPG key without passphrase, holding
    db/password; GNUPGHOME and PASSWORD_STORE_DIR set. Kills the gpg-agent at the end."""
    for tool in ("pass", "gpg", "gpgconf"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} is not installed: run scripts/test-env.sh")
    base = tmp_path_factory.mktemp("pass")  # short: the agent's socket path must fit
    gnupghome, store = base / "gnupg", base / "store"
    gnupghome.mkdir(mode=0o700)
    env = dict(os.environ, GNUPGHOME=str(gnupghome), PASSWORD_STORE_DIR=str(store))
    env.pop("GPG_AGENT_INFO", None)
    try:
        _run(
            ["gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", "", "--quick-gen-key",
             "yamlsecrets test <ys-test@example.invalid>", "future-default", "default", "never"],
            env,
        )
        listing = _run(["gpg", "--batch", "--with-colons", "--list-secret-keys"], env, text=True).stdout
        fingerprint = next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:"))
        _run(["pass", "init", fingerprint], env)
        _run(["pass", "insert", "--multiline", "db/password"], env, input=f"{PASS_VALUE}\n".encode())
        # stop the agent the key generation started: `pass show` under the extension starts its own
        _run(["gpgconf", "--kill", "gpg-agent"], env)
        for var in ("GNUPGHOME", "PASSWORD_STORE_DIR"):
            monkeypatch.setenv(var, env[var])
        monkeypatch.delenv("GPG_AGENT_INFO", raising=False)
        yield store
    finally:
        subprocess.run(["gpgconf", "--kill", "gpg-agent"], env=env, capture_output=True, timeout=30)
        deadline = time.monotonic() + 5
        while alive_with(str(gnupghome)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive_with(str(gnupghome)), "gpg-agent still running after gpgconf --kill"


def test_pass_show(connect, password_store):
    encrypted = (password_store / "db" / "password.gpg").read_bytes()
    assert PASS_VALUE.encode() not in encrypted  # the value really is GPG-encrypted
    con = open_db(connect)
    started = time.monotonic()
    [row] = load(con, FIXTURES / "pass.yaml", allow_commands="true")
    # `pass show` starts gpg-agent, a daemon: the call must not wait for it
    assert time.monotonic() - started < 10
    assert (row["name"], row["action"]) == ("from_pass", "created")
    assert_clean(row["sql"], PASS_VALUE)
    assert bearer_token(con, "from_pass") == PASS_VALUE


# ---------------------------------------------------------------------------------------------
# Secret Service (secret-tool, gnome-keyring)

DBUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={socket}</listen>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


@pytest.fixture
def secret_service(tmp_path_factory, monkeypatch):
    """gnome-keyring-daemon (secrets component) on a private session bus, its login keyring
    created and unlocked with an empty password, holding service=yamlsecrets-test user=analytics.
    The bus has no service directories, so nothing is activated behind our back. Skips, with
    what failed, when the keyring cannot be set up here."""
    tools = ("dbus-daemon", "gnome-keyring-daemon", "secret-tool")
    missing = [t for t in tools if not shutil.which(t)]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed: run scripts/test-env.sh")
    base = tmp_path_factory.mktemp("keyring")
    dirs = {name: base / name for name in ("home", "data", "config", "runtime")}
    for d in dirs.values():
        d.mkdir(mode=0o700)
    config = base / "session.conf"
    config.write_text(DBUS_CONFIG.format(socket=base / "bus"))
    env = dict(
        os.environ,
        HOME=str(dirs["home"]),
        XDG_DATA_HOME=str(dirs["data"]),
        XDG_CONFIG_HOME=str(dirs["config"]),
        XDG_RUNTIME_DIR=str(dirs["runtime"]),
    )
    for var in ("DBUS_SESSION_BUS_ADDRESS", "GNOME_KEYRING_CONTROL", "DISPLAY", "WAYLAND_DISPLAY"):
        env.pop(var, None)
    procs = []
    keyring_log = base / "gnome-keyring.log"
    try:
        bus = subprocess.Popen(
            ["dbus-daemon", f"--config-file={config}", "--nofork", "--print-address=1"],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        procs.append(bus)
        address = bus.stdout.readline().decode().strip()
        if not address:
            bus.wait(timeout=5)
            pytest.skip(f"dbus-daemon exited with {bus.returncode}: {bus.stderr.read().decode().strip()}")
        env["DBUS_SESSION_BUS_ADDRESS"] = address
        with open(keyring_log, "wb") as log:
            # --unlock reads the login password from stdin: an empty line creates the login
            # keyring with an empty password, unlocked (no input at all leaves it uncreated, and
            # the first store then needs a prompt, which a headless machine cannot show)
            keyring = subprocess.Popen(
                ["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
                env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=log,
            )
        procs.append(keyring)
        keyring.stdin.write(b"\n")
        keyring.stdin.close()
        deadline, last = time.monotonic() + 10, ""
        while True:
            stored = subprocess.run(
                ["secret-tool", "store", "--label=yamlsecrets test", "service", "yamlsecrets-test",
                 "user", "analytics"],
                env=env, input=KEYRING_VALUE.encode(), capture_output=True, timeout=10,
            )
            if stored.returncode == 0:
                break
            last = stored.stderr.decode().strip()
            if keyring.poll() is not None or time.monotonic() > deadline:
                state = "running" if keyring.poll() is None else f"exited with {keyring.returncode}"
                pytest.skip(
                    f"Secret Service unavailable: secret-tool store failed ({last}); "
                    f"gnome-keyring-daemon {state}, its log: {keyring_log.read_text().strip() or '(empty)'}"
                )
            time.sleep(0.1)
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
        yield env
    finally:
        for proc in reversed(procs):
            stop(proc)


def test_secret_tool_lookup(connect, secret_service):
    con = open_db(connect)
    [row] = load(con, FIXTURES / "secret-tool.yaml", allow_commands="true")
    assert (row["name"], row["action"]) == ("from_keyring", "created")
    assert_clean(row["sql"], KEYRING_VALUE)
    assert bearer_token(con, "from_keyring") == KEYRING_VALUE


# ---------------------------------------------------------------------------------------------
# ${file:…#field}

FILE_VALUES = ("file-canary-4e1a", "nested-canary-9c0d", "analytics", "plain-text-canary-77b2")


def test_file_json_fields(connect):
    con = open_db(connect)
    rows = load(con, FIXTURES / "file.yaml")
    assert sorted(r["name"] for r in rows) == ["from_field", "from_nested"]
    assert bearer_token(con, "from_field") == "file-canary-4e1a"
    assert bearer_token(con, "from_nested") == "nested-canary-9c0d"


def test_file_missing_field(connect):
    con = open_db(connect)
    err = load_error(con, FIXTURES / "file-missing-field.yaml")
    assert "file-missing-field.yaml:4:19: secret 'typo', field 'bearer_token'" in err, err
    assert "file 'db.json': the JSON document has no field 'passwrd'" in err, err
    assert_clean(err, *FILE_VALUES)
    assert secret_strings(con) == {}


def test_file_not_json(connect):
    con = open_db(connect)
    err = load_error(con, FIXTURES / "file-not-json.yaml")
    assert "file 'not-json.txt': the value is not a JSON document, so it has no field 'password'" in err, err
    assert_clean(err, *FILE_VALUES)
    assert secret_strings(con) == {}


# ---------------------------------------------------------------------------------------------
# refusals

MARKER_VALUE = "marker-canary-21f5"


@pytest.fixture
def marker(tmp_path, monkeypatch):
    path = tmp_path / "ran"
    monkeypatch.setenv("YS_MARKER", str(path))
    return path


def test_marker_command_runs_when_allowed(connect, marker):
    """The control for the refusals below: allowed, the command runs and leaves its marker."""
    con = open_db(connect)
    load(con, FIXTURES / "marker.yaml", allow_commands="true")
    assert marker.exists()
    assert bearer_token(con, "marked") == MARKER_VALUE


def test_commands_off_by_default(connect, marker):
    con = open_db(connect)
    err = load_error(con, FIXTURES / "marker.yaml")
    assert (
        "marker.yaml:6:19: secret 'marked', field 'bearer_token': '${cmd:sh …}' runs a command, which is "
        "off by default: pass allow_commands := true to the call"
    ) in err, err
    assert not marker.exists()
    assert_clean(err, MARKER_VALUE)
    assert secret_strings(con) == {}


def test_external_access_disabled_runs_nothing(connect, marker):
    con = open_db(connect)
    con.execute("SET enable_external_access = false")
    err = load_error(con, FIXTURES / "marker.yaml", allow_commands="true")
    assert "enable_external_access is false, so no file is read and no secret is created" in err, err
    assert not marker.exists()
    assert_clean(err, MARKER_VALUE)
    # (duckdb_secrets() itself is refused now: it lists the secret directory)


def test_command_timeout(connect):
    con = open_db(connect)
    started = time.monotonic()
    err = load_error(con, FIXTURES / "timeout.yaml", allow_commands="true")
    elapsed = time.monotonic() - started
    assert (
        "timeout.yaml:6:19: secret 'slow', field 'bearer_token': "
        "command 'sleep' did not finish within 0.5 s and was stopped"
    ) in err, err
    assert elapsed < 3, f"the call took {elapsed:.1f} s"
    assert secret_strings(con) == {}


def test_command_nonzero_exit(connect):
    con = open_db(connect)
    err = load_error(con, FIXTURES / "failing.yaml", allow_commands="true")
    assert (
        "failing.yaml:5:19: secret 'denied', field 'bearer_token': "
        "command 'sh' failed with exit status 3: vault: permission denied"
    ) in err, err
    assert_clean(err, "exit-canary-6b3e")
    assert secret_strings(con) == {}


# ---------------------------------------------------------------------------------------------
# secrets_check


def test_secrets_check_lists_commands_and_runs_none(connect, marker):
    con = open_db(connect)
    [row] = check(con, FIXTURES / "marker.yaml", allow_commands="true")
    assert (row["name"], row["severity"], row["field"]) == ("marked", "warning", "bearer_token")
    assert row["message"] == "would run the command: sh -c 'touch \"$YS_MARKER\"; printf marker-canary-21f5'"
    assert row["source"].endswith("marker.yaml:6:19")
    assert not marker.exists()
    assert secret_strings(con) == {}


def test_secrets_check_without_allow_commands(connect, marker):
    con = open_db(connect)
    [row] = check(con, FIXTURES / "marker.yaml")
    assert (row["name"], row["severity"], row["field"]) == ("marked", "error", "bearer_token")
    assert "runs a command, which is off by default: pass allow_commands := true" in row["message"]
    assert not marker.exists()


# ---------------------------------------------------------------------------------------------
# the time limit covers what the command started


def _kill_all(needle: str) -> None:
    """Kills the leftovers of this test's own command, found by its unique argument."""
    for pid in alive_with(needle):
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass


def test_timeout_stops_the_commands_children(connect):
    con = open_db(connect)
    try:
        err = load_error(con, FIXTURES / "orphan.yaml", allow_commands="true")
        assert "command 'sh' did not finish within 0.5 s and was stopped" in err, err
        time.sleep(0.2)
        assert alive_with("sleep 6.271") == [], "the command's child outlived the timeout"
    finally:
        _kill_all("sleep 6.271")


def test_timeout_bounds_an_inherited_stdout(connect):
    con = open_db(connect)
    try:
        started = time.monotonic()
        try:
            load(con, FIXTURES / "background.yaml", allow_commands="true")
        except duckdb.Error:
            pass  # an error within the limit is fine too
        elapsed = time.monotonic() - started
        assert elapsed < 1.5, f"command_timeout 0.5 s, but the call took {elapsed:.1f} s"
    finally:
        _kill_all("sleep 2.713")
