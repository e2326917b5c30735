#!/usr/bin/env bash
# Notifications delivered per silo core to a local HTTP receiver (issue 18's target: >= 20,000/s per core). See
# BENCHMARKS.md ("Notification fan-out: delivery rate and latency") for the recorded results.
#
#   scripts/bench-notify.sh                        # $RUNS runs of the one-container shape after a warm-up
#   SHAPE=many-containers SUBSCRIPTIONS=20000 scripts/bench-notify.sh
#   NO_BUILD=1 scripts/bench-notify.sh             # use the Release output already built
#   BIN=/tmp/before/bin scripts/bench-notify.sh    # binaries kept from an earlier run (OUT/bin of it), for an A/B
#   RECEIVER=http2 scripts/bench-notify.sh         # the receiver speaks HTTP/2 only (prior knowledge) and the Silo
#                                                  # sends HTTP/2 (--Notifications:TryHttp2 true); default http1
#   SILO_ARGS="--Notifications:Http11Pipelining false" scripts/bench-notify.sh   # one request at a time per connection
#
# The published Silo (memory storage, MQTT and CoAP off) is pinned to CPU 0 and LoadGen's fanout (its own Kestrel
# receiver answering 2000) to CPU 1. Each run makes fresh subscriptions (each verified against the receiver), writes
# content instances and waits for every notification; it prints the delivery rate by wall clock and per silo
# CPU-second (read from /proc: the figure least moved by other load on the machine). The first run warms the JIT up
# and is not counted. On a shared machine run it as root under the bench lock:
#   flock /work/bench.lock scripts/bench-notify.sh   (PRIORITY=1 by default when /sys/fs/cgroup/cpu is writable)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

SHAPE=${SHAPE:-one-container}
SUBSCRIPTIONS=${SUBSCRIPTIONS:-2000}
INSTANCES=${INSTANCES:-10}
RUNS=${RUNS:-3}
SILO_ARGS=${SILO_ARGS:-}
RECEIVER=${RECEIVER:-http1}
PRIORITY=${PRIORITY:-auto}
OUT=${OUT:-${TMPDIR:-/tmp}/virtualiot-bench-notify}

bench_setup Silo LoadGen

CSE=http://127.0.0.1:$(free_port)
HTTP2_ARGS=()
if [ "$RECEIVER" = http2 ]; then HTTP2_ARGS=(--Notifications:TryHttp2 true); fi
SILO_WRAP="taskset -c 0" start_silo "$BIN/silo" "$OUT/silo.log" "$CSE" --Mqtt:Enabled false --Coap:Enabled false \
  --Logging:LogLevel:Default Warning "${HTTP2_ARGS[@]}" $SILO_ARGS

notify() {
  taskset -c 1 "${LOADGEN[@]}" fanout --base "$CSE" --shape "$SHAPE" --subscriptions "$SUBSCRIPTIONS" \
    --instances "$INSTANCES" --silo-pid "$SILO_PID" --receiver "$RECEIVER"
}

log "warm-up run (load average $(load_average))"
notify >"$OUT/warmup.txt"
for run in $(seq 1 "$RUNS"); do
  notify | tee -a "$OUT/results.txt" | grep '^FANOUT shape=' >&2
done

rate=$(grep '^FANOUT shape=' "$OUT/results.txt" | sed -n 's/.* notifications_per_s=\([0-9]*\).*/\1/p' | median_of)
per_cpu=$(grep '^FANOUT shape=' "$OUT/results.txt" | sed -n 's/.* notifications_per_silo_cpu_s=\([0-9]*\).*/\1/p' | median_of)
echo "notify $SHAPE: median of $RUNS runs: ${rate} notifications/s, ${per_cpu} notifications per silo CPU-second ($SUBSCRIPTIONS subscriptions, $INSTANCES instances, $RECEIVER receiver)"
log "done (load average $(load_average)); raw output in $OUT"
