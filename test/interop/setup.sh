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

die() {
  printf 'interop setup: %s\n' "$*" >&2
  exit 1
}

prepare() {
  command -v python3 >/dev/null 2>&1 ||
    die "python3 is missing: install Python 3.9 or later with its venv module (Debian: apt-get install python3 python3-venv)"
  python3 -c 'import venv, ensurepip' >/dev/null 2>&1 ||
    die "python3 has no venv/ensurepip module: install it (Debian: apt-get install python3-venv)"

  local stamp wanted
  wanted="$(sha256sum "$requirements" | cut -d' ' -f1)"
  stamp="$venv/.requirements.sha256"
  if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]]; then
    printf '%s\n' "$venv/bin/python"
    return 0
  fi
  python3 -m venv "$venv" >&2 || die "cannot create a venv at $venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" >&2 ||
    die "pip cannot install $requirements into $venv (is PyPI reachable?)"
  printf '%s\n' "$wanted" >"$stamp"
  printf '%s\n' "$venv/bin/python"
}

case "${1:-prepare}" in
  prepare) prepare ;;
  help | -h | --help) sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' ;;
  *) die "unknown verb '$1'; try: bash test/interop/setup.sh help" ;;
esac
