#!/usr/bin/env bash
# moto (S3 + IAM server for test/e2e/servers/moto.py) and boto3, into the test venv.
# Called by scripts/test-env.sh with ENV_DIR, VENV and STAMPS set. Idempotent: one stamp.
set -euo pipefail
: "${VENV:?}" "${STAMPS:?}"

PACKAGES=("moto[server]" boto3)
want="${PACKAGES[*]}"
stamp="$STAMPS/moto"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -x "$VENV/bin/moto_server" ]] \
  && "$VENV/bin/python" -c 'import moto, boto3' 2>/dev/null; then
  echo "test-env: moto ok"
else
  "$VENV/bin/pip" install -q --disable-pip-version-check "${PACKAGES[@]}"
  printf '%s' "$want" >"$stamp"
  echo "test-env: moto installed ($("$VENV/bin/python" -c 'import moto; print(moto.__version__)'))"
fi
