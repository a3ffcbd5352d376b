#!/usr/bin/env bash
# Set up everything the test suite needs on a fresh Debian machine and run it.
#   - Debian packages (as root, via apt-get): nix-bin (reference parser `nix-instantiate
#     --parse`), PostgreSQL and Redis servers (started by the tests themselves on free
#     ports in temporary directories), zstd, git, tzdata (time zone names `init` checks).
#   - A virtualenv in .venv with nqd and its test extras.
#   - The official SARIF 2.1.0 JSON schema, from the npm registry, for the SARIF test.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v nix-instantiate >/dev/null || need_apt+=(nix-bin)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
command -v redis-server >/dev/null || need_apt+=(redis-server)
command -v zstd >/dev/null || need_apt+=(zstd)
command -v git >/dev/null || need_apt+=(git)
[ -d /usr/share/zoneinfo ] || need_apt+=(tzdata)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  else
    echo "warning: missing ${need_apt[*]} (install them with apt-get as root);" \
         "tests that need them will be skipped" >&2
  fi
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e '.[test]'

schema_dir=.cache/sarif
schema="$schema_dir/package/lib/schemas/sarif-2.1.0-rtm.5.json"
if [ ! -f "$schema" ] && command -v npm >/dev/null; then
  mkdir -p "$schema_dir"
  (cd "$schema_dir" && npm pack --silent @microsoft/jest-sarif@1.0.0-beta.0 >/dev/null 2>&1 \
     && tar xzf microsoft-jest-sarif-1.0.0-beta.0.tgz) || echo "warning: SARIF schema unavailable" >&2
fi
[ -f "$schema" ] && export NQD_SARIF_SCHEMA="$PWD/$schema"

exec .venv/bin/python -m pytest "$@"
