#!/usr/bin/env python3
"""A minimal oneM2M notification receiver for trying subscriptions by hand.

Listens on 127.0.0.1:PORT (default 9000), prints every notification it receives (one JSON line each)
and answers 200 with X-M2M-RSC 2000, echoing X-M2M-RI. Stops after --count notifications or Ctrl+C.
"""
import argparse
import http.server
import json
import sys


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--count", type=int, default=0, help="stop after this many requests (0: never)")
    args = parser.parse_args()
    received = 0

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            nonlocal received
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length).decode("utf-8")
            print(json.dumps({"ri": self.headers.get("X-M2M-RI"), "origin": self.headers.get("X-M2M-Origin"),
                              "body": json.loads(body or "null")}), flush=True)
            self.send_response(200)
            self.send_header("X-M2M-RSC", "2000")
            self.send_header("X-M2M-RI", self.headers.get("X-M2M-RI", ""))
            self.send_header("Content-Length", "0")
            self.end_headers()
            received += 1

        def log_message(self, *_args) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", args.port), Handler)
    try:
        while args.count == 0 or received < args.count:
            server.handle_request()
    except KeyboardInterrupt:
        pass
    server.server_close()
    sys.exit(0)


if __name__ == "__main__":
    main()
