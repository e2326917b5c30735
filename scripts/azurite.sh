#!/usr/bin/env bash
# A throwaway Azurite table service for development and tests: loopback only, a free port, data in a temp folder.
#
#   scripts/azurite.sh start   starts it (installs Azurite with npm into a machine-wide cache folder if missing)
#                              and prints its Azure Storage connection string; does nothing more if running
#   scripts/azurite.sh env     prints `export VIRTUALIOT_TEST_AZURITE=...` for the running service
#   scripts/azurite.sh stop    stops it and deletes its data
#
# VIRTUALIOT_AZURITE_STATE names the folder holding the running service (default /tmp/virtualiot-azurite-$UID);
# VIRTUALIOT_AZURITE_HOME the install folder (default /opt/virtualiot/azurite, kept across clones and runs).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

STATE=${VIRTUALIOT_AZURITE_STATE:-/tmp/virtualiot-azurite-$(id -u)}
HOME_DIR=${VIRTUALIOT_AZURITE_HOME:-/opt/virtualiot/azurite}
VERSION=3.37.0
# Azurite's well-known development account (public, documented by Microsoft; not a secret).
ACCOUNT_KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

# True when the install folder holds an Azurite whose modules all load (an interrupted or concurrent npm install can
# leave the launcher in place with dependencies missing).
installed() {
  [ -x "$HOME_DIR/node_modules/.bin/azurite-table" ] &&
    (cd "$HOME_DIR" && npm ls --all >/dev/null 2>&1)
}

# Installs (or repairs) Azurite; one install at a time per machine, under a lock beside the install folder.
install() {
  local force=${1:-}
  mkdir -p "$HOME_DIR"
  exec 9>"$HOME_DIR.lock"
  flock 9
  if [ -z "$force" ] && installed; then
    flock -u 9
    return 0
  fi
  echo "Azurite missing or incomplete; installing azurite@${VERSION} into ${HOME_DIR} (about a minute, once per machine)" >&2
  rm -rf "$HOME_DIR/node_modules" "$HOME_DIR/package-lock.json"
  echo '{"name":"virtualiot-azurite","private":true}' > "$HOME_DIR/package.json"
  (cd "$HOME_DIR" && npm install --no-audit --no-fund --loglevel=error "azurite@${VERSION}" >&2)
  flock -u 9
}

connection_string() {
  echo "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${ACCOUNT_KEY};TableEndpoint=http://127.0.0.1:$(cat "$STATE/port")/devstoreaccount1;"
}

running() {
  [ -f "$STATE/pid" ] && kill -0 "$(cat "$STATE/pid")" 2>/dev/null
}

launch() {
  local port
  rm -rf "$STATE"
  mkdir -p "$STATE/data"
  port=$(free_port)
  nohup "$HOME_DIR/node_modules/.bin/azurite-table" --tableHost 127.0.0.1 --tablePort "$port" \
    --location "$STATE/data" --silent --disableTelemetry >"$STATE/azurite.log" 2>&1 &
  echo $! > "$STATE/pid"
  echo "$port" > "$STATE/port"
  wait_for_port "$port" 30
}

start() {
  if running; then
    connection_string
    return 0
  fi

  install
  if ! launch; then
    # A broken install shows as a start that dies ("Cannot find module ..."): reinstall once and try again.
    cat "$STATE/azurite.log" >&2
    stop
    install force
    launch || { cat "$STATE/azurite.log" >&2; stop; return 1; }
  fi
  connection_string
}

stop() {
  if running; then
    local pid
    pid=$(cat "$STATE/pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -rf "$STATE"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  env)
    running || { echo "no Azurite running in $STATE; run: scripts/azurite.sh start" >&2; exit 1; }
    echo "export VIRTUALIOT_TEST_AZURITE='$(connection_string)'"
    ;;
  *) echo "usage: $0 start|stop|env" >&2; exit 2 ;;
esac
