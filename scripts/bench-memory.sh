#!/usr/bin/env bash
# Memory per active grain and per idle registered device (issue 18), side by side for one or more Silo builds: each
# round registers $DEVICES devices (AE + container) on a fresh Silo of every build in turn, with a full GC before each
# snapshot, waits until the grains are deactivated, and prints the managed heap per active grain and per idle device
# (LoadGen's --idle-wait figures). See BENCHMARKS.md ("Memory per grain: lazy collections").
#
#   scripts/bench-memory.sh                                # this checkout's Silo, 20,000 devices, 3 rounds
#   SILOS="/tmp/a /tmp/b" NO_BUILD=1 scripts/bench-memory.sh   # published Silo folders, measured in turn (A B A B ...)
#   DEVICES=50000 ROUNDS=1 scripts/bench-memory.sh
#   STORAGE=postgres scripts/bench-memory.sh               # PostgreSQL storage: a throwaway server of this run, a
#                                                          # database per Silo start (the records are then not in
#                                                          # the Silo's heap); default memory (the embedded default)
#
# Figures are the managed heap after an induced full GC (LoadGen --silo-gc): per active grain = heap at `registered`
# minus heap at `idle`, over the activations that went away; per idle device = heap at `idle` minus heap at `start`,
# over the devices. On a shared machine run it under the bench lock:
#   flock /work/bench.lock scripts/bench-memory.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

DEVICES=${DEVICES:-20000}
ROUNDS=${ROUNDS:-3}
IDLE_WAIT=${IDLE_WAIT:-3m}
OUT=${OUT:-${TMPDIR:-/tmp}/virtualiot-bench-memory}
STORAGE=${STORAGE:-memory}   # memory or postgres

bench_setup Silo LoadGen
read -r -a SILO_DIRS <<<"${SILOS:-$BIN/silo}"
case "$STORAGE" in
  memory) ;;
  postgres)
    export VIRTUALIOT_PG_STATE=$OUT/pg
    trap 'stop_started; "$REPO_ROOT/scripts/pg.sh" stop >/dev/null 2>&1 || true' EXIT
    start_bench_postgres ;;
  *) echo "STORAGE must be memory or postgres, not '$STORAGE'" >&2; exit 2 ;;
esac

for round in $(seq 1 "$ROUNDS"); do
  for i in "${!SILO_DIRS[@]}"; do
    dir=${SILO_DIRS[$i]}
    CSE=http://127.0.0.1:$(free_port)
    load_before=$(load_average)
    STORAGE_ARGS=()
    if [ "$STORAGE" = postgres ]; then
      STORAGE_ARGS=(--Storage:Provider postgres --Storage:ConnectionString "$(new_database "memory_${round}_$i")")
    fi
    start_silo "$dir" "$OUT/silo-$round-$i.log" "$CSE" "${STORAGE_ARGS[@]}" --Mqtt:Port "$(free_port)" --Coap:Enabled false \
      --Orleans:CollectionAge 00:01:00 --Orleans:CollectionQuantum 00:00:15 --Logging:LogLevel:Default Warning
    "${LOADGEN[@]}" --base "$CSE" --devices "$DEVICES" --duration 0 --idle-wait "$IDLE_WAIT" --silo-gc \
      --silo-pid "$SILO_PID" --no-live --results "$OUT/result-$round-$i.json" >"$OUT/loadgen-$round-$i.log" 2>&1
    stop_started
    python3 - "$OUT/result-$round-$i.json" "$round" "$dir" "$load_before" "$(load_average)" <<'PY'
import json, sys
path, rnd, silo, before, after = sys.argv[1:]
r = json.load(open(path))
s = r.get("Server") or r.get("server") or {}
def f(name):
    v = s.get(name, s.get(name[0].lower() + name[1:]))
    return "-" if v is None else f"{v:,.0f}"
print(f"round {rnd}  {silo}: heap per active grain {f('HeapBytesPerActiveGrain')} B, per idle device "
      f"{f('HeapBytesPerIdleDevice')} B (RSS {f('BytesPerActiveGrain')} / {f('BytesPerIdleDevice')} B); "
      f"load average {before} -> {after}")
PY
  done
done | tee "$OUT/summary.txt"
