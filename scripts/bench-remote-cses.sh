#!/usr/bin/env bash
# Memory of 1,000 MN-CSEs registered to one IN-CSE (issue #21: under 10 MB); see BENCHMARKS.md ("Retargeting").
# Starts an IN-CSE (memory storage), registers WARM (100) remote CSEs to warm it up, then measures the process after
# a full blocking GC (dotnet-gcdump collect induces one: managed heap as the dump counts it, and RSS), registers
# COUNT (1,000) more, and measures again. The difference is what the registrations cost, their grains still active.
#   scripts/bench-remote-cses.sh            COUNT=1000 WARM=100 NO_BUILD=1 PUBLISH=0 to reuse the existing build
# Needs dotnet-gcdump (dotnet tool install -g dotnet-gcdump).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
OUT=${OUT:-${TMPDIR:-/tmp}/virtualiot-bench-remote-cses}
COUNT=${COUNT:-1000}
WARM=${WARM:-100}
GCDUMP=${GCDUMP:-$(command -v dotnet-gcdump || echo "$HOME/.dotnet/tools/dotnet-gcdump")}
export DOTNET_ENVIRONMENT=Production ASPNETCORE_ENVIRONMENT=Production
trap stop_started EXIT
trap 'exit 130' INT TERM

release_copy "$OUT" Silo
PORT=$(free_port)
start_silo "$OUT/bin/silo" "$OUT/in.log" "http://127.0.0.1:$PORT" --Mqtt:Enabled false --Coap:Enabled false

# measure NAME: a full GC (the dump's collection), then the managed heap the dump holds and the RSS, in bytes.
measure() {
  "$GCDUMP" collect -p "$SILO_PID" -o "$OUT/$1.gcdump" >/dev/null
  sleep 2 # the collector hands freed pages back to the OS over a moment
  HEAP=$("$GCDUMP" report "$OUT/$1.gcdump" | awk '/GC Heap bytes/ {gsub(",", "", $1); print $1; exit}')
  RSS=$(($(awk '/VmRSS/ {print $2}' "/proc/$SILO_PID/status") * 1024))
  log "$1: managed heap $HEAP B, RSS $RSS B"
}

python3 scripts/bench/remote_cses.py "$PORT" id-warm "$WARM"
measure before
HEAP0=$HEAP; RSS0=$RSS
python3 scripts/bench/remote_cses.py "$PORT" id-mn "$COUNT"
measure after
log "load average: $(load_average)"
awk -v h0="$HEAP0" -v h1="$HEAP" -v r0="$RSS0" -v r1="$RSS" -v n="$COUNT" 'BEGIN {
  printf "%d remote CSEs: managed heap +%.2f MB (%.0f B each), RSS +%.2f MB (%.0f B each)\n", n, (h1 - h0) / 1e6, (h1 - h0) / n, (r1 - r0) / 1e6, (r1 - r0) / n }' \
  | tee "$OUT/summary.txt"
