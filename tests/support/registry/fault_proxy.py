#!/usr/bin/env python3
"""A loopback HTTP proxy in front of a plain-HTTP registry that injects faults,
each once (in the order given) unless noted:

  drop-upload    on the second PATCH of an upload (mid-upload), pass the chunk to the
                 registry, then close the connection without an answer
  500-upload     answer the first POST .../blobs/uploads/ with 500 and an errors JSON
  429-head       answer the first HEAD .../blobs/... with 429 and Retry-After: 1
  stall-upload   take the first blob body, then send nothing for STALL seconds (default 8)
  always-500     answer every POST .../blobs/uploads/ with 500 (a permanent failure)

Requests are otherwise forwarded unchanged (Host kept, so registry Location
headers point back at the proxy). Each injected fault is logged as
"FAULT <name>", each request as "REQ <method> <path>".

usage: fault_proxy.py PORT UPSTREAM_HOST:PORT FAULT...
"""
import http.client, os, socket, sys, threading, time
from http.server import ThreadingHTTPServer

from json_handler import JsonHandler

PORT, UPSTREAM = int(sys.argv[1]), sys.argv[2]
pending = list(sys.argv[3:])
lock = threading.Lock()
STALL = float(os.environ.get("STALL", "8"))
counts = {"patch": 0}


def forward(method, path, body, headers):
    conn = http.client.HTTPConnection(UPSTREAM, timeout=60)
    headers = {k: v for k, v in headers.items() if k.lower() not in ("connection", "proxy-connection")}
    conn.request(method, path, body=body, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp, data


def take(name):
    with lock:
        if name in pending:
            pending.remove(name)
            print("FAULT", name, flush=True)
            return True
        if name == "always-500" and "always-500" in sys.argv[3:]:
            print("FAULT", name, flush=True)
            return True
    return False


class Handler(JsonHandler):

    def handle_any(self):
        method, path = self.command, self.path
        print("REQ", method, path, flush=True)
        if path == "/proxy-health":
            return self.reply_json(200, {"ok": True})
        length = int(self.headers.get("Content-Length", "0") or 0)
        is_blob_body = method in ("PATCH", "PUT") and "/blobs/uploads/" in path and length > 0
        is_upload_start = method == "POST" and path.split("?")[0].endswith("/blobs/uploads/")
        if is_upload_start and (take("500-upload") or take("always-500")):
            return self.reply_json(500, {"errors": [{"code": "UNKNOWN", "message": "injected failure"}]})
        if method == "HEAD" and "/blobs/sha256:" in path and take("429-head"):
            self.send_response(429)
            self.send_header("Retry-After", "1")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = self.rfile.read(length) if length else None
        if method == "PATCH":
            with lock:
                counts["patch"] += 1
                second_patch = counts["patch"] == 2
            if second_patch and take("drop-upload"):
                # The registry takes the chunk; the client never hears back.
                forward(method, path, body, self.headers)
                self.connection.shutdown(socket.SHUT_RDWR)
                self.close_connection = True
                return
        if is_blob_body and take("stall-upload"):
            time.sleep(STALL)
            self.close_connection = True
            return
        resp, data = forward(method, path, body, self.headers)
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ("connection", "transfer-encoding", "content-length"):
                self.send_header(k, v)
        # HEAD keeps the upstream length (the blob's size); others send what we read.
        self.send_header("Content-Length", resp.getheader("Content-Length", "0") if method == "HEAD" else str(len(data)))
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(data)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any


ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
