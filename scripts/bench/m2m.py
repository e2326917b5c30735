"""oneM2M over HTTP for the benchmark drivers in this folder: one request on a keep-alive connection, and a check of
its response status that ends the run (naming the driver and the step) when it is not the one expected."""
import json, os, sys, uuid

def send(conn, method, path, origin, body=None, ty=None, headers=None):
    """Sends a request (JSON, release 3) and returns (X-M2M-RSC, body bytes)."""
    h = {"X-M2M-Origin": origin, "X-M2M-RI": uuid.uuid4().hex[:12], "X-M2M-RVI": "3", "Accept": "application/json"}
    if body is not None:
        h["Content-Type"] = f"application/json;ty={ty}" if ty else "application/json"
    h.update(headers or {})
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=h)
    r = conn.getresponse(); data = r.read()
    return r.getheader("X-M2M-RSC"), data

def expect(result, rsc, what):
    """The parsed body of a response with status rsc; any other status ends the run."""
    if result[0] != rsc:
        name = os.path.splitext(os.path.basename(sys.argv[0]))[0].upper()
        print(f"{name} {what}: expected {rsc}, got {result[0]}: {result[1][:300]}"); sys.exit(1)
    return json.loads(result[1]) if result[1] else None
