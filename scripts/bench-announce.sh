#!/usr/bin/env bash
# How soon an instance of an announced container reaches the IN-CSE (issue #21: within 100 ms p99); see BENCHMARKS.md
# ("Retargeting and remote CSEs"). Starts an IN-CSE and an MN-CSE registered to it (HTTP, memory storage; lib.sh
# start_cse_pair), then runs scripts/bench/announce.py. Run as root, it runs in the high-share CPU cgroup.
#   scripts/bench-announce.sh                 COUNT=500 instances, one at a time; NO_BUILD=1 to reuse the build
#   MQTT=1 scripts/bench-announce.sh          the MN-CSE registered over MQTT: the announcements go over the IN's broker
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
OUT=${OUT:-${TMPDIR:-/tmp}/virtualiot-bench-announce}
export DOTNET_ENVIRONMENT=Production ASPNETCORE_ENVIRONMENT=Production
trap stop_started EXIT
trap 'exit 130' INT TERM

release_copy "$OUT" Silo
enter_priority_cgroup
start_cse_pair "$OUT/bin/silo" "$OUT"
log "load average before: $(load_average)"
python3 scripts/bench/announce.py "$IN_PORT" "$MN_PORT" | tee "$OUT/summary.txt"
log "load average after: $(load_average); 'fail:' log entries: IN $(grep -c '^fail:' "$OUT/in.log" || true), MN $(grep -c '^fail:' "$OUT/mn.log" || true)"
