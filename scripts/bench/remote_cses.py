#!/usr/bin/env python3
"""Registers COUNT remote CSEs (<remoteCSE>, ty 16, From = each CSE-ID) at the IN-CSE on PORT, THREADS at a time on
keep-alive connections, each answer checked (2001). Driven by scripts/bench-remote-cses.sh.
Usage: remote_cses.py PORT PREFIX COUNT"""
import http.client, json, os, sys, threading, uuid

port, prefix, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
THREADS = int(os.environ.get("THREADS", "4"))
errors = []

def register(worker):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for n in range(worker, count, THREADS):
        csi = f"/{prefix}{n:05d}"
        body = {"m2m:csr": {"csi": csi, "cb": f"{csi}/cse-mn", "cst": 2, "rr": True, "srv": ["3"],
                            "poa": [f"http://10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}:8080"]}}
        conn.request("POST", "/cse-in", body=json.dumps(body), headers={"X-M2M-Origin": csi, "X-M2M-RI": uuid.uuid4().hex[:12],
                     "X-M2M-RVI": "3", "Content-Type": "application/json;ty=16", "Accept": "application/json"})
        r = conn.getresponse(); data = r.read()
        if r.getheader("X-M2M-RSC") != "2001":
            errors.append((csi, r.getheader("X-M2M-RSC"), data[:200]))
    conn.close()

threads = [threading.Thread(target=register, args=(w,)) for w in range(THREADS)]
for t in threads: t.start()
for t in threads: t.join()
if errors:
    print(f"{len(errors)} registrations failed, first: {errors[0]}"); sys.exit(1)
print(f"registered {count} remote CSEs ({prefix}00000 ...)")
