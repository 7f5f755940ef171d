#!/usr/bin/env bash
# Prepares the Python venv that holds tritonclient[http], the OIP v2 client the
# interoperability test drives against model-server. Idempotent: it installs only
# when the venv is missing or test/interop/requirements.txt has changed.
#
#   bash test/interop/setup.sh          prepare the venv, print its python
#   bash test/interop/setup.sh help     this text
#
# MLL_INTEROP_VENV overrides where the venv lives (default: node_modules/.cache/mll-interop-venv,
# which git ignores and `rm -rf node_modules` cleans).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
venv="${MLL_INTEROP_VENV:-$repo/node_modules/.cache/mll-interop-venv}"
requirements="$here/requirements.txt"

# shellcheck source=test/support/venv.sh
. "$repo/test/support/venv.sh"

die() {
  printf 'interop setup: %s\n' "$*" >&2
  exit 1
}

prepare() {
  ensure_venv "$venv" "$requirements"
}

case "${1:-prepare}" in
  prepare) prepare ;;
  help | -h | --help) sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' ;;
  *) die "unknown verb '$1'; try: bash test/interop/setup.sh help" ;;
esac
