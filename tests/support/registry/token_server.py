#!/usr/bin/env python3
"""A minimal Docker token server (distribution "token" auth) for tests.

GET  /token?service=&scope=...   Basic auth with USER:PASS (or anonymous)
POST /token                      grant_type=password | refresh_token (OAuth2 form)
GET  /health

Tokens are RS256 JWTs whose header carries "x5c" with the signing
certificate, which the registry trusts through `rootcertbundle` (distribution
2.8 token.go accepts either x5c chaining to a root in that bundle, or a
libtrust "kid"). Signing uses the openssl CLI, so only the stdlib is needed.
Each issued token is logged as "TOKEN <account> <scopes>" on stdout.

usage: token_server.py PORT KEY.pem CERT.pem USER PASS
"""
import base64, json, os, subprocess, sys, time, uuid
from http.server import ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from json_handler import JsonHandler

PORT, KEY, CERT, USER, PASS = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
ISSUER, TTL = "slimbuild-test-issuer", int(os.environ.get("TOKEN_TTL", "300"))
REFRESH = "refresh-" + uuid.uuid4().hex
CERT_DER = subprocess.run(["openssl", "x509", "-in", CERT, "-outform", "der"], capture_output=True, check=True).stdout


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign(claims):
    header = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(CERT_DER).decode()]}
    signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", KEY], input=signing_input.encode(),
                         capture_output=True, check=True).stdout
    return signing_input + "." + b64url(sig)


def access_for(scopes, authenticated):
    out = []
    for scope in scopes:
        for one in scope.split(" "):
            parts = one.split(":")
            if len(parts) < 3 or parts[0] != "repository":
                continue
            actions = parts[-1].split(",")
            # Anonymous users get nothing, as on a private registry.
            out.append({"type": "repository", "name": ":".join(parts[1:-1]),
                        "actions": actions if authenticated else []})
    return out


class Handler(JsonHandler):

    def basic_user(self):
        h = self.headers.get("Authorization", "")
        if not h.lower().startswith("basic "):
            return None, False
        try:
            user, _, password = base64.b64decode(h[6:]).decode().partition(":")
        except Exception:
            return None, True
        return (user, True) if (user, password) == (USER, PASS) else (None, True)

    def issue(self, account, service, scopes, refresh=False):
        now = int(time.time())
        claims = {"iss": ISSUER, "sub": account or "", "aud": service, "exp": now + TTL, "nbf": now - 10,
                  "iat": now, "jti": uuid.uuid4().hex, "access": access_for(scopes, account is not None)}
        token = sign(claims)
        print("TOKEN", account or "-", " ".join(scopes), flush=True)
        body = {"token": token, "access_token": token, "expires_in": TTL, "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ")}
        if refresh:
            body["refresh_token"] = REFRESH
        self.reply_json(200, body)

    def do_GET(self):
        url = urlparse(self.path)
        if url.path == "/health":
            return self.reply_json(200, {"ok": True})
        if url.path != "/token":
            return self.reply_json(404, {"details": "not found"})
        q = parse_qs(url.query)
        user, tried = self.basic_user()
        if tried and user is None:
            return self.reply_json(401, {"details": "invalid username or password"})
        self.issue(user, q.get("service", [""])[0], q.get("scope", []))

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        form = parse_qs(self.rfile.read(length).decode())
        grant = form.get("grant_type", [""])[0]
        service, scopes = form.get("service", [""])[0], form.get("scope", [])
        if grant == "password" and (form.get("username", [""])[0], form.get("password", [""])[0]) == (USER, PASS):
            return self.issue(USER, service, scopes, refresh=True)
        if grant == "refresh_token" and form.get("refresh_token", [""])[0] == REFRESH:
            return self.issue(USER, service, scopes)
        if grant == "refresh_token" and form.get("refresh_token", [""])[0] == os.environ.get("TOKEN_REFRESH", "\0"):
            return self.issue(USER, service, scopes)
        self.reply_json(401, {"error": "invalid_grant"})


ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
