#!/usr/bin/env python3
"""How soon an instance of an announced container reaches the IN-CSE (issue #21: within 100 ms p99). Driven by
scripts/bench-announce.sh, which starts the IN-CSE and the MN-CSE.

Usage: announce.py IN_PORT MN_PORT. On the MN-CSE: an AE and a container announced to the IN-CSE (at = /id-in). On the
IN-CSE, once the container's copy (containerAnnc) is there: a subscription to the copy (net 3, a direct child created)
notifying a listener in this script. Then COUNT instances, one at a time, each created on the MN-CSE with at = /id-in
and a label naming it; an instance counts as arrived when the IN-CSE notifies the creation of its copy
(contentInstanceAnnc) under the container's copy. Figures: from sending the create to the MN-CSE to the notification's
arrival (which adds the IN-CSE's own notification, so the announcement alone is faster), and from the MN-CSE's
acknowledgement to that arrival.
"""
import http.client, http.server, json, os, statistics, sys, threading, time, uuid
from m2m import send, expect

in_port, mn_port = int(sys.argv[1]), int(sys.argv[2])
COUNT = int(os.environ.get("COUNT", "500")); WARM = int(os.environ.get("WARM", "50"))
DEADLINE_S = 10.0

arrivals = {}; arrived = threading.Condition()

class Listener(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        now = time.perf_counter()
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(200); self.send_header("X-M2M-RSC", "2000"); self.send_header("Content-Length", "0"); self.end_headers()
        try:
            rep = json.loads(body)["m2m:sgn"]["nev"]["rep"]
        except (KeyError, ValueError, TypeError):
            return  # the verification request
        for label in next(iter(rep.values())).get("lbl", []):
            if label.startswith("n:"):
                with arrived:
                    arrivals.setdefault(label, now); arrived.notify_all()
    def log_message(self, *args):
        pass

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Listener)
threading.Thread(target=server.serve_forever, daemon=True).start()

ae = "Cannc" + uuid.uuid4().hex[:8]; tag = "bench:" + uuid.uuid4().hex[:8]
mn = http.client.HTTPConnection("127.0.0.1", mn_port, timeout=30)
inc = http.client.HTTPConnection("127.0.0.1", in_port, timeout=30)
expect(send(mn, "POST", "/cse-mn", ae, {"m2m:ae": {"rn": ae, "api": "Nbench", "rr": False, "srv": ["3"]}}, 2), "2001", "AE at the MN")
expect(send(mn, "POST", f"/cse-mn/{ae}", ae, {"m2m:cnt": {"rn": "data", "mni": COUNT + WARM + 10, "lbl": [tag], "at": ["/id-in"]}}, 3),
       "2001", "announced container at the MN")

start = time.monotonic(); copy = None
while copy is None:
    found = expect(send(inc, "GET", f"/cse-in?fu=1&ty=10003&lbl={tag}", "CAdmin"), "2000", "discovery of the container's copy")
    uris = (found or {}).get("m2m:uril", [])
    if uris:
        copy = uris[0]
    elif time.monotonic() - start > DEADLINE_S:
        print(f"ANNOUNCE: the container's copy did not reach the IN-CSE within {DEADLINE_S} s"); sys.exit(1)
    else:
        time.sleep(0.05)
nu = f"http://127.0.0.1:{server.server_address[1]}/ntf"
expect(send(inc, "POST", "/" + copy.lstrip("/"), "CAdmin", {"m2m:sub": {"rn": "bench", "nu": [nu], "enc": {"net": [3]}, "nct": 1}}, 23),
       "2001", "subscription to the copy at the IN")

def one(n):
    label = f"n:{n}"
    sent = time.perf_counter()
    expect(send(mn, "POST", f"/cse-mn/{ae}/data", ae, {"m2m:cin": {"con": str(n), "lbl": [label], "at": ["/id-in"]}}, 4), "2001", "instance")
    acked = time.perf_counter()
    with arrived:
        if not arrived.wait_for(lambda: label in arrivals, DEADLINE_S):
            print(f"ANNOUNCE: instance {n} did not reach the IN-CSE within {DEADLINE_S} s"); sys.exit(1)
    return (arrivals[label] - sent) * 1000, (arrivals[label] - acked) * 1000, (acked - sent) * 1000

for n in range(WARM):
    one(-n - 1)
samples = [one(n) for n in range(COUNT)]

def pct(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]

print(f"{'measure (ms)':<34} {'n':>5} {'p50':>8} {'p90':>8} {'p99':>8} {'max':>8} {'mean':>8}")
for i, name in enumerate(["create sent -> copy notified at IN", "create acked -> copy notified", "create round trip at the MN"]):
    values = [s[i] for s in samples]
    print(f"{name:<34} {len(values):>5} {pct(values, .5):>8.2f} {pct(values, .9):>8.2f} {pct(values, .99):>8.2f} {max(values):>8.2f} {statistics.mean(values):>8.2f}")
