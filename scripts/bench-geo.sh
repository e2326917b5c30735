#!/usr/bin/env bash
# Geo-query at scale (issue 16): discovery with gmty/geom/gsf over $RESOURCES located AEs, on the embedded default
# (one silo, memory storage). See BENCHMARKS.md ("Geo-query over 100,000 located resources") for the recorded results.
#
#   scripts/bench-geo.sh                          # 100,000 located AEs, then $QUERIES queries after a warm-up
#   RESOURCES=10000 QUERIES=100 scripts/bench-geo.sh
#   NO_BUILD=1 scripts/bench-geo.sh               # use the Release output already built
#
# LoadGen's geo-query checks every answer against the points it placed (same seed), and prints one "GEO ..." line
# per run with the latency percentiles. On a shared machine run it under the bench lock:
#   flock /work/bench.lock scripts/bench-geo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

RESOURCES=${RESOURCES:-100000}
QUERIES=${QUERIES:-200}
WARMUP=${WARMUP:-50}
RUNS=${RUNS:-3}
SIDE=${SIDE:-0.1}
SEED=${SEED:-1}
SILO_ARGS=${SILO_ARGS:-}
PRIORITY=${PRIORITY:-auto}
OUT=${OUT:-${TMPDIR:-/tmp}/virtualiot-bench-geo}

bench_setup Silo LoadGen

CSE=http://127.0.0.1:$(free_port)
start_silo "$BIN/silo" "$OUT/silo.log" "$CSE" --Mqtt:Enabled false --Logging:LogLevel:Default Warning $SILO_ARGS

log "registering $RESOURCES located AEs, then $RUNS x $QUERIES queries (load average $(load_average))"
"${LOADGEN[@]}" geo-query --base "$CSE" --resources "$RESOURCES" --queries "$QUERIES" --warmup "$WARMUP" --side "$SIDE" \
  --seed "$SEED" --run geo | tee -a "$OUT/results.txt" | grep '^GEO' >&2
# Later runs query the same AEs again (registering them again would answer 4105): no setup, other squares.
for run in $(seq 2 "$RUNS"); do
  "${LOADGEN[@]}" geo-query --base "$CSE" --resources "$RESOURCES" --register 0 --queries "$QUERIES" --warmup 0 --side "$SIDE" \
    --seed "$SEED" --query-seed "$((SEED + 1000 + run))" --run geo \
    | tee -a "$OUT/results.txt" | grep '^GEO' >&2
done
p50=$(grep '^GEO resources=' "$OUT/results.txt" | sed -n 's/.* p50_ms=\([0-9.]*\).*/\1/p' | median_of)
p99=$(grep '^GEO resources=' "$OUT/results.txt" | sed -n 's/.* p99_ms=\([0-9.]*\).*/\1/p' | median_of)
echo "geo-query over $RESOURCES located AEs: median of $RUNS runs: p50 ${p50} ms, p99 ${p99} ms (side $SIDE degrees)"
