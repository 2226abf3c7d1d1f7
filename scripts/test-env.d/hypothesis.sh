#!/usr/bin/env bash
# hypothesis (property tests: test/security/test_quoting.py), into the test venv.
# Called by scripts/test-env.sh with ENV_DIR, VENV and STAMPS set. Idempotent: one stamp.
set -euo pipefail
: "${VENV:?}" "${STAMPS:?}"

PACKAGES=(hypothesis)
want="${PACKAGES[*]}"
stamp="$STAMPS/hypothesis"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]] \
  && "$VENV/bin/python" -c 'import hypothesis' 2>/dev/null; then
  echo "test-env: hypothesis ok"
else
  "$VENV/bin/pip" install -q --disable-pip-version-check "${PACKAGES[@]}"
  printf '%s' "$want" >"$stamp"
  echo "test-env: hypothesis installed ($("$VENV/bin/python" -c 'import hypothesis; print(hypothesis.__version__)'))"
fi
