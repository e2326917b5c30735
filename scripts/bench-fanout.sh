#!/usr/bin/env bash
# Group fan-out through fopt (issue 13): a retrieve of every member's la and a create of a content instance in every
# member, for a group of $MEMBERS containers, on the embedded default (one silo, memory storage). See BENCHMARKS.md
# ("Group fan-out through fopt") for the recorded results.
#
#   scripts/bench-fanout.sh                         # la then cin, $RUNS runs each after a warm-up; about 1.5 minutes
#   RUNS=1 OPS=la scripts/bench-fanout.sh
#   SILO_ARGS="--Dashboard:Enabled false" scripts/bench-fanout.sh
#   NO_BUILD=1 scripts/bench-fanout.sh              # use the Release output already built
#   BIN=/tmp/before/bin scripts/bench-fanout.sh     # binaries kept from an earlier run (OUT/bin of it), for an A/B
#
# One fan-out at a time ($CONCURRENCY, default 1): the latency is the platform's for one 1,000-member fan-out, not
# queueing behind other fan-outs in the benchmark. LoadGen's group-fanout checks every answer (one m2m:rsp per
# member, each 2000 or 2001) and prints, with --silo-pid, the silo's CPU time per member operation.
# The warm-up ($WARMUP_LA la fan-outs, then $WARMUP_CIN create fan-outs, unrecorded) lets the JIT tier up the path
# before anything is measured. On a shared machine run it as root in a high-share CPU cgroup, under the bench lock:
#   flock /work/bench.lock scripts/bench-fanout.sh   with PRIORITY=1 (the default when /sys/fs/cgroup/cpu is writable)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

MEMBERS=${MEMBERS:-1000}
RUNS=${RUNS:-3}
OPS=${OPS:-"la cin"}
LA_REQUESTS=${LA_REQUESTS:-200}
CIN_REQUESTS=${CIN_REQUESTS:-50}
WARMUP_LA=${WARMUP_LA:-300}
WARMUP_CIN=${WARMUP_CIN:-40}
CONCURRENCY=${CONCURRENCY:-1}
SILO_ARGS=${SILO_ARGS:-}
PRIORITY=${PRIORITY:-auto}
OUT=${OUT:-${TMPDIR:-/tmp}/virtualiot-bench-fanout}

# In the high-share CPU cgroup: this shell and everything it starts take the cores ahead of other sessions' work.
bench_setup Silo LoadGen

CSE=http://127.0.0.1:$(free_port)
start_silo "$BIN/silo" "$OUT/silo.log" "$CSE" --Mqtt:Enabled false --Logging:LogLevel:Default Warning $SILO_ARGS

fanout() { "${LOADGEN[@]}" group-fanout --base "$CSE" --members "$MEMBERS" --concurrency "$CONCURRENCY" --silo-pid "$SILO_PID" "$@"; }

log "warm-up: $WARMUP_LA la and $WARMUP_CIN create fan-outs (load average $(load_average))"
fanout --op la --requests "$WARMUP_LA" --warmup 0 >"$OUT/warmup-la.txt"
fanout --op cin --requests "$WARMUP_CIN" --warmup 0 >"$OUT/warmup-cin.txt"

for op in $OPS; do
  if [ "$op" = la ]; then requests=$LA_REQUESTS; warmup=20; else requests=$CIN_REQUESTS; warmup=5; fi
  for run in $(seq 1 "$RUNS"); do
    fanout --op "$op" --requests "$requests" --warmup "$warmup" | tee -a "$OUT/results.txt" | grep '^GROUP op=' >&2
  done
done

# Medians over the runs: la p99 and create member operations per second, the two targets of issue 13.
for op in $OPS; do
  p99=$(grep "^GROUP op=$op " "$OUT/results.txt" | sed -n 's/.* p99_ms=\([0-9.]*\).*/\1/p' | median_of)
  rate=$(grep "^GROUP op=$op " "$OUT/results.txt" | sed -n 's/.* member_ops_per_s=\([0-9]*\).*/\1/p' | median_of)
  cpu=$(grep "^GROUP op=$op " "$OUT/results.txt" | sed -n 's/.* silo_cpu_us_per_member_op=\([0-9.]*\).*/\1/p' | median_of)
  echo "fanout $op: median of $RUNS runs: p99 ${p99} ms, ${rate} member ops/s, ${cpu} silo CPU-us per member op (members $MEMBERS, concurrency $CONCURRENCY)"
done
log "done (load average $(load_average)); raw output in $OUT"
