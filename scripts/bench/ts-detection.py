#!/usr/bin/env python3
"""Silo CPU of missing-data detection while nothing is missing (issue #15: 100,000 series under 5 % of one core).

Driven by scripts/bench-ts-detection.sh, which starts the Silo. Creates SERIES timeSeries under the CSEBase (as
CAdmin) with mdd true, pei PEI s, mdt PEI/2 s, and gives each INSTANCES instances whose dgt lie ahead, one per
period from T0 on (T0 a little after the feed is expected to end), so that no point goes missing while the checks
run. Then it reads the Silo's CPU time over two windows: BASELINE (after the feed, before the first check at
T0 + pei + mdt: detection armed, no timer firing) and ACTIVE (from the second round of checks on, while every series
is checked once per period), and
prints the CPU per check. A control series with a gap must report it (mdc >= 1), and the measured series none.
"""
import http.client, json, os, sys, threading, time

base_port = int(sys.argv[1]); silo_pid = int(sys.argv[2])
SERIES = int(os.environ.get("SERIES", "10000")); INSTANCES = int(os.environ.get("INSTANCES", "6"))
PEI = int(os.environ.get("PEI", "20")); THREADS = int(os.environ.get("THREADS", "8")); LEAD = int(os.environ.get("LEAD", "50"))
TICK = os.sysconf("SC_CLK_TCK")

def cpu():
    with open(f"/proc/{silo_pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK

def stamp(t):
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime(t))

errors = []
def send(conn, method, path, body=None, ty=None):
    headers = {"X-M2M-Origin": "CAdmin", "X-M2M-RI": "r", "X-M2M-RVI": "3", "Accept": "application/json"}
    if ty:
        headers["Content-Type"] = f"application/json;ty={ty}"
    conn.request(method, path, body=json.dumps(body) if body else None, headers=headers)
    r = conn.getresponse(); data = r.read()
    return r.getheader("X-M2M-RSC"), data

t_start = time.time()
T0 = int(t_start) + LEAD

def feed(worker):
    conn = http.client.HTTPConnection("127.0.0.1", base_port, timeout=30)
    for n in range(worker, SERIES, THREADS):
        name = f"tsd{n:06d}"
        rsc, data = send(conn, "POST", "/cse-in", {"m2m:ts": {"rn": name, "pei": PEI * 1000, "mdt": PEI * 500, "mdd": True}}, 29)
        if rsc != "2001":
            errors.append((name, rsc, data[:200])); continue
        for i in range(INSTANCES):
            rsc, data = send(conn, "POST", f"/cse-in/{name}", {"m2m:tsi": {"dgt": stamp(T0 + i * PEI), "con": i}}, 30)
            if rsc != "2001":
                errors.append((name, rsc, data[:200]))
    conn.close()

threads = [threading.Thread(target=feed, args=(w,)) for w in range(THREADS)]
for t in threads: t.start()
for t in threads: t.join()
fed = time.time()

# Control: the same series, but its second point is missing.
control = http.client.HTTPConnection("127.0.0.1", base_port, timeout=30)
send(control, "POST", "/cse-in", {"m2m:ts": {"rn": "tsdcontrol", "pei": PEI * 1000, "mdt": PEI * 500, "mdd": True}}, 29)
for i in [0] + list(range(2, INSTANCES)):
    send(control, "POST", "/cse-in/tsdcontrol", {"m2m:tsi": {"dgt": stamp(T0 + i * PEI), "con": i}}, 30)

first_check = T0 + PEI + PEI / 2
last_covered = T0 + (INSTANCES - 1) * PEI + PEI / 2     # the last check that finds its point
print(f"TSD fed {SERIES} series x {INSTANCES} instances in {fed - t_start:.1f} s ({SERIES * (INSTANCES + 1) / (fed - t_start):.0f} req/s), errors {len(errors)} {errors[:3]}")
if fed + 5 > first_check - 2:
    print(f"TSD the feed ended too late (LEAD {LEAD} s is too short): no baseline window"); sys.exit(1)

def window(start, end):
    while time.time() < start: time.sleep(0.05)
    c0 = cpu(); w0 = time.time()
    while time.time() < end: time.sleep(0.05)
    return cpu() - c0, time.time() - w0

# The baseline is the last 20 s before the first check: the feed's after-effects (GC, tier-up) have settled by then.
base_cpu, base_s = window(max(fed + 5, first_check - 22), first_check - 2)
# The first round of checks is left out (its code is still being compiled).
active_cpu, active_s = window(first_check + PEI + 1, last_covered - 1)
checks = SERIES * active_s / PEI
time.sleep(max(0, last_covered + 1 - time.time()))
control.close()
control = http.client.HTTPConnection("127.0.0.1", base_port, timeout=30)   # the idle one may have timed out
rsc, data = send(control, "GET", "/cse-in/tsdcontrol")
control_mdc = json.loads(data)["m2m:ts"].get("mdc")
missing = 0
for n in range(0, SERIES, max(1, SERIES // 200)):
    rsc, data = send(control, "GET", f"/cse-in/tsd{n:06d}")
    if json.loads(data)["m2m:ts"].get("mdc", 0) != 0: missing += 1
extra = max(0.0, active_cpu / active_s - base_cpu / base_s)
per_check_us = extra / (SERIES / PEI) * 1e6
print(f"TSD baseline {100 * base_cpu / base_s:.2f} % of a core over {base_s:.0f} s; checking {100 * active_cpu / active_s:.2f} % over {active_s:.0f} s "
      f"({SERIES / PEI:.0f} checks/s); detection {100 * extra:.2f} % = {per_check_us:.1f} us CPU per check")
for series, pei in [(100000, 60), (100000, 10)]:
    print(f"TSD extrapolated: {series} series with pei {pei} s = {series / pei:.0f} checks/s = {100 * per_check_us * series / pei / 1e6:.1f} % of a core")
print(f"TSD control series with a gap: mdc {control_mdc} (must be >= 1); sampled measured series with missing data: {missing} (must be 0)")
