#!/usr/bin/env python3
"""A small distribution registry of the test suite's own that attacks its
client, and the "other origin" it sends the client to, for the trust-boundary
tests (issue 8). Both roles run on loopback, over TLS when given a cert.

registry role: a working in-memory registry (HEAD/GET/PUT manifests and blobs,
POST/PATCH/PUT uploads; a layout directory given with --layout is served
read-only besides) that requires --auth basic (htpasswd-like user:password)
or --auth bearer (a token realm at /token on itself that takes the same
user:password and hands out TOKEN). It misbehaves as --attack says:

  location URL      answer the upload POST with 202 and "Location: URL/upload/1"
  redirect URL      answer blob GETs with 307 to URL/blob/<digest>
  echo-503          answer the upload POST with 503 and an errors JSON whose message
                    echoes the request's Authorization header and its decoding
  echo-404          answer manifest GETs with 404, echoing the same way
  endless-body      answer the upload POST with a 202 whose body never ends
  drip-body         the same, one byte every 0.2 s

recorder role (--record FILE): the other origin. It appends everything it
receives (request line, headers, body) to FILE and answers like a blob store:
POST/PATCH 202 with a Location on itself, PUT 201 with Docker-Content-Digest,
GET /blob/<digest> with the blob from --layout, anything else 404.

usage: hostile_registry.py PORT [--tls CERT KEY] [--layout DIR]
         (--auth basic|bearer USER PASS [--token TOKEN] [--attack NAME [ARG]] | --record FILE)
"""
import argparse, base64, hashlib, json, os, ssl, sys, threading, time, uuid
from http.server import ThreadingHTTPServer

from json_handler import JsonHandler

ap = argparse.ArgumentParser()
ap.add_argument("port", type=int)
ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
ap.add_argument("--layout")
ap.add_argument("--auth", nargs=3, metavar=("SCHEME", "USER", "PASS"))
ap.add_argument("--token", default="tok-SECRET-0123456789")
ap.add_argument("--attack", nargs="+", default=[])
ap.add_argument("--record")
args = ap.parse_args()
scheme = "https" if args.tls else "http"
self_origin = f"{scheme}://127.0.0.1:{args.port}"
lock = threading.Lock()
blobs, manifests, uploads = {}, {}, {}


def layout_blob(digest):
    if not args.layout or not digest.startswith("sha256:") or "/" in digest:
        return None
    path = os.path.join(args.layout, "blobs", "sha256", digest[7:])
    return open(path, "rb").read() if os.path.isfile(path) else None


def layout_manifest(ref):
    if not args.layout:
        return None
    if ref.startswith("sha256:"):
        return layout_blob(ref)
    index = json.load(open(os.path.join(args.layout, "index.json")))
    for m in index.get("manifests", []):
        if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == ref:
            return layout_blob(m["digest"])
    return None


class Handler(JsonHandler):

    def body(self):
        n = int(self.headers.get("Content-Length", "0") or 0)
        return self.rfile.read(n) if n else b""

    def reply(self, status, data=b"", headers=None, head=False):
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if not head:
            self.wfile.write(data)

    def echo(self, status):
        authz = self.headers.get("Authorization", "")
        decoded = ""
        if authz.startswith("Basic "):
            decoded = base64.b64decode(authz[6:]).decode(errors="replace")
        msg = f"upstream unavailable; request was {self.command} {self.path} Authorization: {authz} (user:password {decoded})"
        self.reply_json(status, {"errors": [{"code": "UNAVAILABLE", "message": msg, "detail": authz}]})

    def endless(self, delay):
        self.send_response(202)
        self.send_header("Location", self_origin + "/v2/never/blobs/uploads/x")
        self.send_header("Content-Type", "text/plain")
        self.end_headers()  # no Content-Length: the body ends when the connection does, i.e. never
        chunk = b"x" if delay else b"y" * 65536
        try:
            while True:
                self.wfile.write(chunk)
                self.wfile.flush()
                if delay:
                    time.sleep(delay)
        except OSError:
            self.close_connection = True

    # --- recorder role -------------------------------------------------------
    def record(self):
        data = self.body()
        with lock, open(args.record, "ab") as f:
            f.write(f"{self.command} {self.path}\n{self.headers}".encode())
            f.write(data + b"\n=====\n")
        path = self.path.split("?")[0]
        if self.command in ("POST", "PATCH"):
            return self.reply(202, headers={"Location": f"{self_origin}/upload/{uuid.uuid4().hex}",
                                            "Range": "0-0"})
        if self.command == "PUT":
            digest = self.path.split("digest=")[-1] if "digest=" in self.path else ""
            return self.reply(201, headers={"Docker-Content-Digest": digest.replace("%3A", ":")})
        if self.command == "GET" and path.startswith("/blob/"):
            data = layout_blob(path[len("/blob/"):])
            if data is not None:
                return self.reply(200, data, {"Content-Type": "application/octet-stream"})
        self.reply(404)

    # --- registry role -------------------------------------------------------
    def authorized(self):
        mode, user, password = args.auth
        authz = self.headers.get("Authorization", "")
        basic = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        if mode == "basic":
            if authz == basic:
                return True
            challenge = 'Basic realm="hostile"'
        else:
            if authz == "Bearer " + args.token:
                return True
            challenge = f'Bearer realm="{self_origin}/token",service="hostile",scope="repository:x:pull,push"'
        self.reply_json(401, {"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]},
                        {"WWW-Authenticate": challenge})
        return False

    def token(self):
        _, user, password = args.auth
        want = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        if self.headers.get("Authorization", "") != want:
            return self.reply_json(401, {"errors": [{"code": "UNAUTHORIZED", "message": "bad login"}]})
        self.reply_json(200, {"token": args.token, "expires_in": 300})

    def registry(self):
        attack = args.attack[0] if args.attack else ""
        target = args.attack[1] if len(args.attack) > 1 else ""
        path = self.path.split("?")[0]
        if path == "/token":
            return self.token()
        data = self.body()
        if not self.authorized():
            return
        if path == "/v2/":
            return self.reply_json(200, {})
        parts = path[len("/v2/"):].split("/")
        head = self.command == "HEAD"
        if "blobs" in parts and parts[-2:-1] != ["uploads"] and "uploads" not in parts:
            digest = parts[-1]
            if self.command == "GET" and attack == "redirect":
                return self.reply(307, headers={"Location": f"{target}/blob/{digest}"})
            blob = blobs.get(digest) or layout_blob(digest)
            if blob is None:
                return self.reply(404, head=head)
            return self.reply(200, blob, {"Content-Type": "application/octet-stream",
                                          "Docker-Content-Digest": digest}, head=head)
        if "uploads" in parts:
            repo = "/".join(parts[:parts.index("blobs")])
            if self.command == "POST":
                if attack == "echo-503":
                    return self.echo(503)
                if attack == "location":
                    return self.reply(202, headers={"Location": f"{target}/upload/1"})
                if attack in ("endless-body", "drip-body"):
                    return self.endless(0.2 if attack == "drip-body" else 0)
                sid = uuid.uuid4().hex
                uploads[sid] = b""
                return self.reply(202, headers={"Location": f"/v2/{repo}/blobs/uploads/{sid}", "Range": "0-0"})
            sid = parts[-1]
            if sid not in uploads:
                return self.reply(404)
            uploads[sid] += data
            if self.command == "PATCH":
                return self.reply(202, headers={"Location": f"/v2/{repo}/blobs/uploads/{sid}",
                                                "Range": f"0-{len(uploads[sid]) - 1}"})
            digest = self.path.split("digest=")[-1].replace("%3A", ":")
            blobs[digest] = uploads.pop(sid)
            return self.reply(201, headers={"Docker-Content-Digest": digest})
        if "manifests" in parts:
            ref = parts[-1]
            if self.command == "GET" and attack == "echo-404":
                return self.echo(404)
            if self.command == "PUT":
                digest = "sha256:" + hashlib.sha256(data).hexdigest()
                manifests[ref] = manifests[digest] = (data, self.headers.get("Content-Type", ""))
                return self.reply(201, headers={"Docker-Content-Digest": digest})
            found = manifests.get(ref)
            if found is None and (m := layout_manifest(ref)) is not None:
                found = (m, json.loads(m).get("mediaType", "application/vnd.oci.image.manifest.v1+json"))
            if found is None:
                return self.reply_json(404, {"errors": [{"code": "MANIFEST_UNKNOWN", "message": "unknown"}]})
            return self.reply(200, found[0], {"Content-Type": found[1],
                                              "Docker-Content-Digest": "sha256:" + hashlib.sha256(found[0]).hexdigest()},
                              head=head)
        self.reply(404)

    def handle_any(self):
        try:
            if self.path == "/health":
                return self.reply_json(200, {"ok": True})
            self.record() if args.record else self.registry()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any


server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
server.daemon_threads = True
if args.tls:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(*args.tls)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
server.serve_forever()
