#!/usr/bin/env bash
# Shared helpers for the scripts in scripts/. Sourced, never run.

# shellcheck disable=SC2034 # used by the scripts that source this file
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck disable=SC2034
RUNTIME_DIR="${MLL_RUNTIME_DIR:-$REPO_ROOT/.runtime}"
# Absolute, since some steps run from other folders.
case "$RUNTIME_DIR" in /*) ;; *) RUNTIME_DIR="$PWD/$RUNTIME_DIR" ;; esac

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# require_cmd NAME HINT: fails with an install hint when a command is missing.
require_cmd() {
  command -v "$1" >/dev/null 2>&1 || die "$1 is not installed. $2"
}
