#!/usr/bin/env bash
# Shared by the test scripts that need a Python tool from PyPI. Sourced, never run.

# ensure_venv VENV REQUIREMENTS: creates the venv and installs REQUIREMENTS into
# it, or reuses it when they have not changed since; prints its python. Fails
# with what to install when Python, its venv module or PyPI is missing.
ensure_venv() {
  local venv="$1" requirements="$2" stamp wanted
  command -v python3 >/dev/null 2>&1 ||
    die "python3 is missing: install Python 3.9 or later with its venv module (Debian: apt-get install python3 python3-venv)"
  python3 -c 'import venv, ensurepip' >/dev/null 2>&1 ||
    die "python3 has no venv/ensurepip module: install it (Debian: apt-get install python3-venv)"
  wanted="$(sha256sum "$requirements" | cut -d' ' -f1)"
  stamp="$venv/.requirements.sha256"
  if [[ ! -x "$venv/bin/python" || ! -f "$stamp" || "$(cat "$stamp")" != "$wanted" ]]; then
    mkdir -p "$(dirname "$venv")"
    python3 -m venv "$venv" >&2 || die "cannot create a venv at $venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" >&2 ||
      die "pip cannot install $requirements into $venv (is PyPI reachable?)"
    printf '%s\n' "$wanted" >"$stamp"
  fi
  printf '%s\n' "$venv/bin/python"
}
