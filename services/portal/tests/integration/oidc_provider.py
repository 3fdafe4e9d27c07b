"""A small OpenID Connect provider for the portal's tests, on a loopback port: discovery,
an authorization endpoint that signs in one configured person at once (no login form), a
token endpoint that checks the client's secret, the code, its redirect URI and the PKCE
verifier (S256), and the JWKS of its ES256 key. Tokens: an ID token for the portal
(aud = client id, nonce) and an access token for the services (aud = ``cae-api``), with
the platform's claims (sub, roles, coop)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

AUDIENCE = "cae-api"


class OidcProvider:
    def __init__(self, client_id: str, client_secret: str):
        self.client_id, self.client_secret = client_id, client_secret
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.kid = secrets.token_hex(6)
        self.person: dict = {}  # the claims of whoever signs in next
        self.codes: dict[str, dict] = {}  # code -> what the authorization request said
        self.seen: list[tuple[str, dict]] = []  # (endpoint, parameters) of every request
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                provider.seen.append((url.path, query))
                if url.path == "/.well-known/openid-configuration":
                    self.reply(200, provider.discovery())
                elif url.path == "/jwks":
                    self.reply(200, {"keys": [provider.jwk()]})
                elif url.path == "/authorize":
                    self.redirect(provider.authorize(query))
                else:
                    self.reply(404, {"error": "not_found"})

            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                provider.seen.append((self.path, form))
                status, body = provider.exchange(form, self.headers.get("Authorization"))
                self.reply(status, body)

            def reply(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(data)

            def redirect(self, location):
                self.send_response(302)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    # -- what it serves ----------------------------------------------------------------------
    def discovery(self) -> dict:
        return {"issuer": self.issuer, "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token", "jwks_uri": f"{self.issuer}/jwks",
                "response_types_supported": ["code"], "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["ES256"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic",
                                                          "client_secret_post"]}

    def jwk(self) -> dict:
        return {**ECAlgorithm.to_jwk(self.key.public_key(), as_dict=True), "kid": self.kid,
                "use": "sig", "alg": "ES256"}

    def token(self, audience: str = AUDIENCE, lifetime: int = 300, **claims) -> str:
        now = int(time.time())
        body = {"iss": self.issuer, "aud": audience, "iat": now, "exp": now + lifetime,
                **claims}
        return jwt.encode(body, self.key, algorithm="ES256", headers={"kid": self.kid})

    def authorize(self, query: dict) -> str:
        """The person is signed in at once: back to the client with a code (or an error)."""
        redirect_uri = query.get("redirect_uri", "")
        if query.get("client_id") != self.client_id or query.get("response_type") != "code":
            return f"{redirect_uri}?{urlencode({'error': 'unauthorized_client'})}"
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            return f"{redirect_uri}?{urlencode({'error': 'invalid_request', 'state': query.get('state', '')})}"
        code = secrets.token_urlsafe(24)
        self.codes[code] = {**query, "person": dict(self.person)}
        return f"{redirect_uri}?{urlencode({'code': code, 'state': query.get('state', '')})}"

    def exchange(self, form: dict, authorization: str | None) -> tuple[int, dict]:
        client_id, secret = form.get("client_id"), form.get("client_secret")
        if authorization and authorization.startswith("Basic "):
            client_id, secret = base64.b64decode(authorization[6:]).decode().split(":", 1)
        if (client_id, secret) != (self.client_id, self.client_secret):
            return 401, {"error": "invalid_client"}
        asked = self.codes.pop(form.get("code", ""), None)  # a code is used once
        if asked is None or form.get("grant_type") != "authorization_code" or \
                form.get("redirect_uri") != asked["redirect_uri"]:
            return 400, {"error": "invalid_grant"}
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        if challenge.rstrip(b"=").decode() != asked["code_challenge"]:
            return 400, {"error": "invalid_grant", "error_description": "PKCE verifier"}
        person = asked["person"]
        id_token = self.token(audience=self.client_id, nonce=asked.get("nonce"),
                              sub=person["sub"], name=person.get("name", ""))
        return 200, {"access_token": self.token(**person), "id_token": id_token,
                     "token_type": "Bearer", "expires_in": 300}

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
