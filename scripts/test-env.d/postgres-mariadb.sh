#!/usr/bin/env bash
# PostgreSQL 15 and MariaDB server binaries (Debian packages) for test/e2e/servers/.
# Idempotent: a stamp plus a check that the binaries exist. The tests start private instances
# (own data dir, own port on 127.0.0.1), so the distro's own services are never started here.
# Needs root (apt-get) on Debian 12; non-interactive.
set -euo pipefail

: "${STAMPS:?STAMPS not set (run through scripts/test-env.sh)}"
PACKAGES=(postgresql mariadb-server)
want="${PACKAGES[*]}"
PG_BIN=/usr/lib/postgresql/15/bin

have_binaries() {
  local b
  for b in initdb postgres psql pg_isready; do [[ -x "$PG_BIN/$b" ]] || return 1; done
  [[ -x /usr/sbin/mariadbd ]] || command -v mariadbd >/dev/null 2>&1 || return 1
  command -v mariadb-install-db >/dev/null 2>&1 && command -v mariadb >/dev/null 2>&1
}

if [[ -f "$STAMPS/postgres-mariadb" && "$(cat "$STAMPS/postgres-mariadb")" == "$want" ]] && have_binaries; then
  echo "test-env: postgres+mariadb ok"
  exit 0
fi

if [[ $EUID -ne 0 ]]; then
  echo "test-env: postgres+mariadb: installing ${PACKAGES[*]} needs root (apt-get)" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
log="$(mktemp)"
# Keep invoke-rc.d from starting the packages' services during the install: our own
# policy-rc.d for the duration, unless the machine already has one (e.g. Docker images).
own_policy=""
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
  own_policy=1
fi
cleanup() {
  if [[ -n "$own_policy" ]]; then rm -f /usr/sbin/policy-rc.d; fi
  rm -f "$log"
}
trap cleanup EXIT

apt_install() {
  apt-get install -y -q --no-install-recommends -o Dpkg::Options::=--force-confdef \
    -o Dpkg::Options::=--force-confold "${PACKAGES[@]}" >>"$log" 2>&1
}
# apt-get update only when the package lists are missing or do not know the packages.
if ! apt-cache show "${PACKAGES[@]}" >/dev/null 2>&1 || ! apt_install; then
  apt-get update -q >>"$log" 2>&1 || { cat "$log" >&2; exit 1; }
  apt_install || { cat "$log" >&2; echo "test-env: apt-get install ${PACKAGES[*]} failed" >&2; exit 1; }
fi

# The distro's services: not wanted (the tests run private instances). Stop them if something
# started them anyway, and keep them from starting at boot.
if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
  systemctl disable --now postgresql mariadb >/dev/null 2>&1 || true
else
  service postgresql stop >/dev/null 2>&1 || true
  service mariadb stop >/dev/null 2>&1 || true
fi

have_binaries || { echo "test-env: postgres+mariadb: binaries missing after install" >&2; exit 1; }
printf '%s' "$want" >"$STAMPS/postgres-mariadb"
echo "test-env: postgres+mariadb installed ($(dpkg-query -W -f='${Version}' postgresql-15) / mariadb $(dpkg-query -W -f='${Version}' mariadb-server))"
