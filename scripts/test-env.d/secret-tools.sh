#!/usr/bin/env bash
# The secret-manager command-line tools test/e2e/test_value_sources.py runs through ${cmd:…}:
#   - the AWS CLI (PyPI `awscli`, v1) into the test venv, duckdb kept at its pinned version;
#   - Debian: pass, gnupg, libsecret-tools (secret-tool), gnome-keyring, dbus, dbus-x11.
# Called by scripts/test-env.sh with ENV_DIR, VENV and STAMPS set. Idempotent: one stamp plus a
# check that every tool is there. Needs root (apt-get) on Debian 12; non-interactive.
set -euo pipefail
: "${VENV:?}" "${STAMPS:?}"

DUCKDB_VERSION=1.5.5
# boto3 and duckdb named in the same pip command: pip resolves awscli's botocore pin against
# them instead of leaving boto3 with a botocore it does not match, and never moves duckdb.
PY_PACKAGES=(awscli boto3 "duckdb==$DUCKDB_VERSION")
DEB_PACKAGES=(pass gnupg libsecret-tools gnome-keyring dbus dbus-x11)
want="${PY_PACKAGES[*]} ${DEB_PACKAGES[*]}"
stamp="$STAMPS/secret-tools"

have_tools() {
  [[ -x "$VENV/bin/aws" ]] || return 1
  local b
  for b in pass gpg gpgconf secret-tool gnome-keyring-daemon dbus-run-session dbus-daemon; do
    command -v "$b" >/dev/null 2>&1 || return 1
  done
}
installed_duckdb() {
  "$VENV/bin/python" -c 'from importlib.metadata import version; print(version("duckdb"))' 2>/dev/null
}

if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]] && have_tools \
  && [[ "$(installed_duckdb)" == "$DUCKDB_VERSION" ]]; then
  echo "test-env: secret-tools ok"
  exit 0
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT

# 1. Debian packages (apt-get update only when the lists do not know them or the install fails).
missing=()
for p in "${DEB_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $EUID -ne 0 ]]; then
    echo "test-env: secret-tools: installing ${missing[*]} needs root (apt-get)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt_install() {
    apt-get install -y -q --no-install-recommends -o Dpkg::Options::=--force-confdef \
      -o Dpkg::Options::=--force-confold "${missing[@]}" >>"$log" 2>&1
  }
  if ! apt-cache show "${missing[@]}" >/dev/null 2>&1 || ! apt_install; then
    apt-get update -q >>"$log" 2>&1 || { cat "$log" >&2; exit 1; }
    apt_install || { cat "$log" >&2; echo "test-env: apt-get install ${missing[*]} failed" >&2; exit 1; }
  fi
fi

# 2. The AWS CLI into the venv.
"$VENV/bin/pip" install -q --disable-pip-version-check "${PY_PACKAGES[@]}" >>"$log" 2>&1 \
  || { cat "$log" >&2; echo "test-env: pip install ${PY_PACKAGES[*]} failed" >&2; exit 1; }
have="$(installed_duckdb)"
if [[ "$have" != "$DUCKDB_VERSION" ]]; then
  echo "test-env: secret-tools: duckdb is $have after the install, want $DUCKDB_VERSION" >&2
  exit 1
fi
if ! out="$("$VENV/bin/pip" check 2>&1)"; then
  echo "$out" >&2
  echo "test-env: secret-tools: pip check failed" >&2
  exit 1
fi

have_tools || { echo "test-env: secret-tools: a tool is missing after the install" >&2; exit 1; }
printf '%s' "$want" >"$stamp"
aws_version="$("$VENV/bin/aws" --version 2>&1 | cut -d' ' -f1)"
echo "test-env: secret-tools installed ($aws_version, pass $(dpkg-query -W -f='${Version}' pass)," \
  "gnupg $(dpkg-query -W -f='${Version}' gnupg), secret-tool $(dpkg-query -W -f='${Version}' libsecret-tools)," \
  "gnome-keyring $(dpkg-query -W -f='${Version}' gnome-keyring), duckdb $have)"
