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

# build_workspaces SCRIPT WORKSPACE...: runs the npm SCRIPT (build or
# build:bench) of each workspace, unless none of their inputs (src/,
# package.json, tsconfig*.json, and chaincode/bench/), nor the root
# tsconfig.json or package-lock.json, changed since it last succeeded
# here (a stamp per SCRIPT and workspaces in node_modules/.cache/mll-builds)
# and each workspace's output folder is still there. Returns 1 when it skipped.
# A start on a running network thus costs no compiler run.
build_workspaces() {
  local script="$1" out=dist
  shift
  if [ "$script" = build:bench ]; then out=dist-bench; fi
  local stamp
  stamp="$REPO_ROOT/node_modules/.cache/mll-builds/${script/:/-}-$(IFS=-; echo "$*").stamp"
  local dirs=() args=() w input
  for w in "$@"; do
    # What tsc (or Vite) reads; a workspace's tests, scripts and docs do not change its build.
    for input in "$REPO_ROOT/$w"/src "$REPO_ROOT/$w"/bench "$REPO_ROOT/$w"/package.json "$REPO_ROOT/$w"/tsconfig*.json "$REPO_ROOT/$w"/index.html "$REPO_ROOT/$w"/vite.config.ts; do
      [ -e "$input" ] && dirs+=("$input")
    done
    args+=(-w "$w")
  done
  local built=1
  for w in "$@"; do
    [ -d "$REPO_ROOT/$w/$out" ] || built=0
  done
  if [ "$built" = 1 ] && [ -f "$stamp" ] &&
    [ -z "$(find "${dirs[@]}" "$REPO_ROOT/tsconfig.json" "$REPO_ROOT/package-lock.json" \
      \( -name node_modules -o -name dist -o -name dist-bench \) -prune -o -type f -newer "$stamp" -print -quit)" ]; then
    return 1
  fi
  mkdir -p "$(dirname "$stamp")"
  # Stamped with the time the build began, so that an edit made during it is seen next time.
  local began
  began="$(mktemp)"
  (cd "$REPO_ROOT" && npm run --silent "$script" "${args[@]}") || { rm -f "$began"; return 2; }
  mv "$began" "$stamp"
}

# build_step WHAT SCRIPT WORKSPACE...: build_workspaces, saying what it did.
build_step() {
  local what="$1" status=0
  shift
  build_workspaces "$@" || status=$?
  case "$status" in
    0) log "built $what" ;;
    1) log "$what is built and unchanged" ;;
    *) die "$what does not build" ;;
  esac
}
