#!/usr/bin/env bash
# A retrieve retargeted through an IN-CSE to an MN-CSE against the same retrieve sent straight to the MN-CSE, in the
# same run (issue #21: at most one extra HTTP round trip); see BENCHMARKS.md ("Retargeting"). Starts an IN-CSE and an
# MN-CSE registered to it (HTTP, memory storage), then runs scripts/bench/retarget.py (DRIVER=announce:
# scripts/bench/announce.py, as bench-announce.sh does). Run as root, it runs in the high-share CPU cgroup (lib.sh
# enter_priority_cgroup).
#   scripts/bench-retarget.sh                 ROUNDS=3 REQUESTS=2000 (per kind and round) NO_BUILD=1 to reuse the build
#   MQTT=1 scripts/bench-retarget.sh          the MN-CSE registered over MQTT: the hop IN -> MN goes over its broker
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
DRIVER=${DRIVER:-retarget}
OUT=${OUT:-${TMPDIR:-/tmp}/virtualiot-bench-$DRIVER}
export DOTNET_ENVIRONMENT=Production ASPNETCORE_ENVIRONMENT=Production
trap stop_started EXIT
trap 'exit 130' INT TERM

release_copy "$OUT" Silo
enter_priority_cgroup
start_cse_pair "$OUT/bin/silo" "$OUT"
log "load average before: $(load_average)"
python3 "scripts/bench/$DRIVER.py" "$IN_PORT" "$MN_PORT" | tee "$OUT/summary.txt"
log "load average after: $(load_average); 'fail:' log entries: IN $(grep -c '^fail:' "$OUT/in.log" || true), MN $(grep -c '^fail:' "$OUT/mn.log" || true)"
