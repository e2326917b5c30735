#!/usr/bin/env python3
"""How fast a polling channel holding QUEUED notifications answers a poll of pcu (issue #15: 10,000 queued, < 50 ms).

Driven by scripts/bench-pcu.sh, which starts the Silo. Registers an AE that cannot be reached (rr false, no poa) with
its polling channel, a container and a subscription (nse on) whose target is the AE, then creates QUEUED content
instances (THREADS connections) so that QUEUED notifications wait on the channel, and waits until the subscription
counts them all delivered (a notification counts once it is on the channel). Then POLLS sequential polls of pcu, each
taking the oldest queued notification (the queue stays near QUEUED), are timed end to end (HTTP, keep-alive), and each
answer is checked (2000, m2m:rqp, each connection's instances in creation order). Last, a channel with rqag (request aggregation) holding
AGGREGATED notifications is polled once: that poll takes all of them as m2m:agrp.
"""
import http.client, os, sys, threading, time, uuid

from m2m import expect, send

port = int(sys.argv[1])
QUEUED = int(os.environ.get("QUEUED", "10000")); POLLS = int(os.environ.get("POLLS", "500"))
THREADS = int(os.environ.get("THREADS", "8")); AGGREGATED = int(os.environ.get("AGGREGATED", "1000"))

def channel(aggregate, count):
    ae = "Cpcu" + uuid.uuid4().hex[:10]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    expect(send(conn, "POST", "/cse-in", ae, {"m2m:ae": {"rn": ae, "api": "Npcu", "rr": False, "srv": ["3"]}}, 2), "2001", "AE")
    expect(send(conn, "POST", f"/cse-in/{ae}", ae, {"m2m:pch": {"rn": "pch", "rqag": aggregate}}, 15), "2001", "pollingChannel")
    expect(send(conn, "POST", f"/cse-in/{ae}", ae, {"m2m:cnt": {"rn": "cnt"}}, 3), "2001", "container")
    expect(send(conn, "POST", f"/cse-in/{ae}/cnt", ae, {"m2m:sub": {"rn": "s", "nu": [ae], "enc": {"net": [3]}, "nse": True}}, 23), "2001", "subscription")
    errors = []
    def feed(worker):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for n in range(worker, count, THREADS):
            rsc, data = send(c, "POST", f"/cse-in/{ae}/cnt", ae, {"m2m:cin": {"rn": f"i{n:06d}", "con": str(n)}}, 4)
            if rsc != "2001":
                errors.append((n, rsc, data[:200]))
        c.close()
    start = time.time()
    threads = [threading.Thread(target=feed, args=(w,)) for w in range(THREADS)]
    for t in threads: t.start()
    for t in threads: t.join()
    fed = time.time() - start
    # The setup connection sat idle through the fill, which under load can outlast the server's keep-alive timeout.
    conn.close()
    deadline = time.monotonic() + 300
    while True:
        sub = expect(send(conn, "GET", f"/cse-in/{ae}/cnt/s", ae), "2000", "subscription")["m2m:sub"]
        delivered = sum(s.get("rsr", 0) for s in sub.get("nsi", []))
        if delivered >= count or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    print(f"PCU channel rqag={aggregate}: {count} instances created in {fed:.1f} s, errors {len(errors)} {errors[:3]}; "
          f"{delivered} notifications queued after {time.time() - start:.1f} s")
    if delivered < count or errors:
        print("PCU the queue did not fill"); sys.exit(1)
    return ae, conn

ae, conn = channel(False, QUEUED)
# The instances come from THREADS connections, worker w creating w, w + THREADS, ... one after the other: only each
# worker's own instances have a creation order, so the polls must take each worker's in increasing order, none twice.
times = []; last = {}
for i in range(POLLS):
    t0 = time.perf_counter()
    result = send(conn, "GET", f"/cse-in/{ae}/pch/pcu", ae, headers={"X-M2M-RET": "PT5S"})
    times.append((time.perf_counter() - t0) * 1000)
    con = int(expect(result, "2000", f"poll {i}")["m2m:rqp"]["pc"]["m2m:sgn"]["nev"]["rep"]["m2m:cin"]["con"])
    worker = con % THREADS
    if con <= last.get(worker, -1):
        print(f"PCU poll {i} took notification {con} after {last[worker]} of the same connection: out of order"); sys.exit(1)
    last[worker] = con
times.sort()
q = lambda p: times[min(len(times) - 1, int(p * len(times)))]
print(f"PCU {POLLS} polls of a channel holding {QUEUED} -> {QUEUED - POLLS} notifications: p50 {q(0.5):.1f} ms, p90 {q(0.9):.1f} ms, "
      f"p99 {q(0.99):.1f} ms, max {times[-1]:.1f} ms; under 50 ms: {sum(1 for t in times if t < 50) * 100 / len(times):.1f} %")

ae2, conn2 = channel(True, AGGREGATED)
t0 = time.perf_counter()
result = send(conn2, "GET", f"/cse-in/{ae2}/pch/pcu", ae2, headers={"X-M2M-RET": "PT10S"})
took = (time.perf_counter() - t0) * 1000
taken = len(expect(result, "2000", "aggregated poll")["m2m:agrp"])
print(f"PCU one rqag poll took {taken} of {AGGREGATED} queued notifications in {took:.1f} ms ({len(result[1]) / 1e6:.1f} MB)")
