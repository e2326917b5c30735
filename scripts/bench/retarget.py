#!/usr/bin/env python3
"""A retrieve retargeted through a CSE against the same retrieve sent straight to the CSE that holds it (issue #21:
at most one extra HTTP round trip). Driven by scripts/bench-retarget.sh, which starts the IN-CSE and the MN-CSE.

Usage: retarget.py IN_PORT MN_PORT. Sets up, on the MN-CSE, an AE with a container readable by the AE and by its
SP-relative form at the IN-CSE (an ACP naming both), and on the IN-CSE a container of its own. Then ROUNDS rounds,
each sending, one after the other on three keep-alive connections, REQUESTS of each kind, interleaved request by
request so that all three see the same machine:
  direct     GET MN /cse-mn/<ae>/data            (client -> MN)
  retarget   GET IN /~/id-mn/cse-mn/<ae>/data    (client -> IN -> MN: one more hop)
  in-local   GET IN /cse-in/<ae>/data            (client -> IN: a single round trip at the IN, for reference)
Every answer must be 2000. Prints p50/p90/p99/mean per kind and the extra cost of the hop (retarget - direct).
"""
import http.client, json, os, statistics, sys, time, uuid
from m2m import send, expect

in_port, mn_port = int(sys.argv[1]), int(sys.argv[2])
ROUNDS = int(os.environ.get("ROUNDS", "3")); REQUESTS = int(os.environ.get("REQUESTS", "2000"))

ae = "Cbench" + uuid.uuid4().hex[:8]
mn = http.client.HTTPConnection("127.0.0.1", mn_port, timeout=30)
inc = http.client.HTTPConnection("127.0.0.1", in_port, timeout=30)
expect(send(mn, "POST", "/cse-mn", ae, {"m2m:ae": {"rn": ae, "api": "Nbench", "rr": False, "srv": ["3"]}}, 2), "2001", "AE at the MN")
acp = expect(send(mn, "POST", f"/cse-mn/{ae}", ae, {"m2m:acp": {"rn": "acp", "pv": {"acr": [{"acor": [ae, "/id-in/" + ae], "acop": 63}]},
                                                               "pvs": {"acr": [{"acor": [ae], "acop": 63}]}}}, 1), "2001", "ACP at the MN")
expect(send(mn, "POST", f"/cse-mn/{ae}", ae, {"m2m:cnt": {"rn": "data", "acpi": [acp["m2m:acp"]["ri"]]}}, 3), "2001", "container at the MN")
expect(send(inc, "POST", "/cse-in", ae, {"m2m:ae": {"rn": ae, "api": "Nbench", "rr": False, "srv": ["3"]}}, 2), "2001", "AE at the IN")
expect(send(inc, "POST", f"/cse-in/{ae}", ae, {"m2m:cnt": {"rn": "data"}}, 3), "2001", "container at the IN")

kinds = {
    "direct": (http.client.HTTPConnection("127.0.0.1", mn_port, timeout=30), f"/cse-mn/{ae}/data"),
    "retarget": (http.client.HTTPConnection("127.0.0.1", in_port, timeout=30), f"/~/id-mn/cse-mn/{ae}/data"),
    "in-local": (http.client.HTTPConnection("127.0.0.1", in_port, timeout=30), f"/cse-in/{ae}/data"),
}
samples = {k: [] for k in kinds}

def one(kind):
    conn, path = kinds[kind]
    start = time.perf_counter()
    result = send(conn, "GET", path, ae)
    elapsed = (time.perf_counter() - start) * 1000
    expect(result, "2000", kind)
    return elapsed

for _ in range(300):  # warm-up: JIT, connections, the IN's connection pool to the MN
    for kind in kinds:
        one(kind)

for round_ in range(ROUNDS):
    for _ in range(REQUESTS):
        for kind in kinds:
            samples[kind].append(one(kind))
    print(f"round {round_ + 1}: " + ", ".join(f"{k} p50 {statistics.median(v[-REQUESTS:]):.3f} ms" for k, v in samples.items()))

def pct(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]

print(f"{'kind':<10} {'n':>6} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'mean ms':>8}")
for kind, values in samples.items():
    print(f"{kind:<10} {len(values):>6} {pct(values, .5):>8.3f} {pct(values, .9):>8.3f} {pct(values, .99):>8.3f} {statistics.mean(values):>8.3f}")
d50, r50 = pct(samples["direct"], .5), pct(samples["retarget"], .5)
print(f"extra for the hop (retarget - direct): p50 {r50 - d50:.3f} ms = {(r50 - d50) / d50:.2f} direct round trips; "
      f"mean {statistics.mean(samples['retarget']) - statistics.mean(samples['direct']):.3f} ms")
