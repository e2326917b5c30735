#!/usr/bin/env bash
# Idle cost of active schedules and actions (issue 16): the Silo's CPU while idle, with $SCHEDULES <schedule>s and
# $ACTIONS <action>s (evm 3, continuous, each watching its parent AE) against the same Silo before they existed.
# See BENCHMARKS.md ("Idle schedules and actions").
#
#   scripts/bench-idle-resources.sh                   # 10,000 of each over 100 AEs, 60 s idle before and after
#   SCHEDULES=1000 ACTIONS=1000 IDLE=30 scripts/bench-idle-resources.sh
#   NO_BUILD=1 scripts/bench-idle-resources.sh
#
# The figure is (CPU seconds of the Silo while idle after - before) / idle seconds, as a share of one core; both
# windows start after $SETTLE s without requests. On a shared machine run it under the bench lock:
#   flock /work/bench.lock scripts/bench-idle-resources.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

SCHEDULES=${SCHEDULES:-10000}
ACTIONS=${ACTIONS:-10000}
AES=${AES:-100}
IDLE=${IDLE:-60}
SETTLE=${SETTLE:-20}
OUT=${OUT:-${TMPDIR:-/tmp}/virtualiot-bench-idle}

bench_setup Silo
CSE=http://127.0.0.1:$(free_port)
start_silo "$BIN/silo" "$OUT/silo.log" "$CSE" --Mqtt:Enabled false --Logging:LogLevel:Default Warning

idle_cpu() {  # CPU seconds of the Silo over $IDLE s (ticks are 1/100 s)
  local before after
  before=$(cpu_ticks "$SILO_PID"); sleep "$IDLE"; after=$(cpu_ticks "$SILO_PID")
  echo "$(( after - before ))"
}

sleep "$SETTLE"
log "idle baseline: $IDLE s (load average $(load_average))"
BASE=$(idle_cpu)

log "creating $SCHEDULES schedules and $ACTIONS actions over $AES AEs"
python3 - "$CSE" "$AES" "$SCHEDULES" "$ACTIONS" <<'PY' | tee "$OUT/create.txt" >&2
import http.client, json, sys, threading, time, urllib.parse
base, aes, schedules, actions = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
url = urllib.parse.urlparse(base)
local = threading.local()

def send(method, path, origin, ty=None, body=None, expect=2001):
    conn = getattr(local, "conn", None) or http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    local.conn = conn
    headers = {"X-M2M-Origin": origin, "X-M2M-RI": "r", "X-M2M-RVI": "3", "Accept": "application/json"}
    if ty is not None:
        headers["Content-Type"] = f"application/json;ty={ty}"
    conn.request(method, "/" + path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = conn.getresponse()
    text = response.read().decode()
    rsc = int(response.getheader("X-M2M-RSC", "0"))
    if rsc != expect:
        raise SystemExit(f"{method} {path} answered {rsc}: {text[:300]}")

started = time.time()
ids = [f"Cidle{i:04d}" for i in range(aes)]
for ae in ids:
    send("POST", "cse-in", ae, 2, {"m2m:ae": {"rn": ae, "api": "Nidle", "rr": False, "srv": ["3"]}})
    send("POST", f"cse-in/{ae}", ae, 3, {"m2m:cnt": {"rn": "out"}})

def work(kind, count):
    def run(worker, workers):
        for n in range(worker, count, workers):
            ae = ids[n % aes]
            if kind == "sch":
                send("POST", f"cse-in/{ae}", ae, 18, {"m2m:sch": {"rn": f"s{n}", "se": {"sce": ["* 0-59 8-17 * * 1-5 *"]}}})
            else:
                send("POST", f"cse-in/{ae}", ae, 65, {"m2m:actr": {"rn": f"a{n}", "evc": {"sbjt": "apn", "optr": 1, "thld": "start"}, "evm": 3,
                    "orc": f"cse-in/{ae}/out", "apv": {"op": 1, "fr": ae, "ty": 4, "pc": {"m2m:cin": {"con": "fired"}}}}})
    threads = [threading.Thread(target=run, args=(w, 16)) for w in range(16)]
    for t in threads: t.start()
    for t in threads: t.join()

work("sch", schedules)
work("actr", actions)
print(f"IDLE created aes={aes} schedules={schedules} actions={actions} in {time.time() - started:.1f} s")
PY

sleep "$SETTLE"
log "idle with them: $IDLE s (load average $(load_average))"
AFTER=$(idle_cpu)
awk -v b="$BASE" -v a="$AFTER" -v s="$IDLE" -v sch="$SCHEDULES" -v act="$ACTIONS" 'BEGIN {
  printf "IDLE schedules=%d actions=%d idle_s=%d base_core_pct=%.2f with_core_pct=%.2f added_core_pct=%.2f\n",
    sch, act, s, b / s, a / s, (a - b) / s }' | tee "$OUT/results.txt"
