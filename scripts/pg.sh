#!/usr/bin/env bash
# A throwaway PostgreSQL 15 for development and tests: loopback only, a free port, data in a temp folder.
#
#   scripts/pg.sh start   starts it (installs PostgreSQL with apt-get if its binaries are missing) and prints
#                         the Npgsql connection string of its database "virtualiot"; does nothing more if running
#   scripts/pg.sh env     prints `export VIRTUALIOT_TEST_POSTGRES=...` for the running server
#   scripts/pg.sh stop    stops it and deletes its data
#   scripts/pg.sh down    stops it and keeps its data (a database outage, e.g. in the middle of a chaos run)
#   scripts/pg.sh up      starts a server stopped by `down` again, on the same port with the same data
#
# VIRTUALIOT_PG_STATE names the folder holding the server (default /tmp/virtualiot-pg-$UID), so several
# servers can run side by side. As root, the server runs as the postgres user (initdb refuses root).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

STATE=${VIRTUALIOT_PG_STATE:-/tmp/virtualiot-pg-$(id -u)}
DATA=$STATE/data

bin_dir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$dir" ] || [ ! -x "$dir/initdb" ]; then
    echo "PostgreSQL binaries missing; installing with apt-get" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    dir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  fi
  echo "$dir"
}

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

connection_string() {
  echo "Host=127.0.0.1;Port=$(cat "$STATE/port");Username=postgres;Database=virtualiot;Pooling=true"
}

running() {
  [ -f "$STATE/port" ] && [ -d "$DATA" ] && as_owner "$(bin_dir)/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

# launch BIN PORT: starts the server on the data folder (loopback, PORT).
launch() {
  # No unix socket: the machine's shared socket folder stays untouched; clients use TCP on 127.0.0.1.
  as_owner "$1/pg_ctl" -D "$DATA" -l "$STATE/server.log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $2 -c unix_socket_directories='' -c max_connections=200" start >&2 \
    || { cat "$STATE/server.log" >&2; return 1; }
}

start() {
  if running; then
    connection_string
    return 0
  fi

  local bin port
  bin=$(bin_dir)
  rm -rf "$STATE"
  mkdir -p "$STATE"
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$STATE"
  fi

  as_owner "$bin/initdb" -D "$DATA" -A trust -U postgres -E UTF8 --locale=C.UTF-8 --no-sync >"$STATE/initdb.log" 2>&1 \
    || { cat "$STATE/initdb.log" >&2; return 1; }
  # A port found free can still be taken before the server binds it: a few tries, each on another port.
  for attempt in 1 2 3; do
    port=$(free_port)
    echo "$port" > "$STATE/port"
    launch "$bin" "$port" && break
    [ "$attempt" -lt 3 ] || return 1
    echo "PostgreSQL could not start on port $port; trying another" >&2
  done
  "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -qAt -c 'CREATE DATABASE virtualiot' >&2
  connection_string
}

stop() {
  if [ -d "$DATA" ]; then
    as_owner "$(bin_dir)/pg_ctl" -D "$DATA" -m fast -w stop >&2 || true
  fi
  rm -rf "$STATE"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  down)
    [ -f "$STATE/port" ] && [ -d "$DATA" ] || { echo "no PostgreSQL in $STATE" >&2; exit 1; }
    as_owner "$(bin_dir)/pg_ctl" -D "$DATA" -m fast -w stop >&2
    ;;
  up)
    [ -f "$STATE/port" ] && [ -d "$DATA" ] || { echo "no PostgreSQL in $STATE" >&2; exit 1; }
    running || launch "$(bin_dir)" "$(cat "$STATE/port")"
    ;;
  env)
    running || { echo "no PostgreSQL running in $STATE; run: scripts/pg.sh start" >&2; exit 1; }
    echo "export VIRTUALIOT_TEST_POSTGRES='$(connection_string)'"
    ;;
  *) echo "usage: $0 start|stop|down|up|env" >&2; exit 2 ;;
esac
