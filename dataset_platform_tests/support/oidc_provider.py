"""A local OpenID Connect provider for tests, signing with joserfc (Authlib's JOSE library: RS256 ID tokens, JWKS).

It speaks the authorization-code flow as Google, Keycloak or Authentik do: discovery document, an
``/authorize`` page with a sign-in form, ``/token`` (client_secret_basic or _post, PKCE S256 when the client
sends a challenge), ``/userinfo``, ``/jwks`` and ``/logout``. Users, clients and their claims are set by the
test; every token request is recorded.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse


@dataclass
class User:
    password: str
    claims: dict[str, Any]


@dataclass
class Client:
    secret: str
    redirect_uris: list[str]


@dataclass
class _Grant:
    client_id: str
    redirect_uri: str
    username: str
    nonce: str | None
    challenge: str | None
    expires: float


@dataclass
class OIDCProvider:
    users: dict[str, User] = field(default_factory=dict)
    clients: dict[str, Client] = field(default_factory=dict)
    token_requests: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        from joserfc.jwk import RSAKey

        self._key = RSAKey.generate_key(2048, parameters={"kid": "test-key", "alg": "RS256", "use": "sig"})
        self._grants: dict[str, _Grant] = {}
        self._access: dict[str, str] = {}
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="oidc-provider", daemon=True)

    @property
    def issuer(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def metadata_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def __enter__(self) -> OIDCProvider:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    # protocol ----------------------------------------------------------------------------------
    def discovery(self) -> dict[str, Any]:
        i = self.issuer
        return {
            "issuer": i,
            "authorization_endpoint": f"{i}/authorize",
            "token_endpoint": f"{i}/token",
            "userinfo_endpoint": f"{i}/userinfo",
            "jwks_uri": f"{i}/jwks",
            "end_session_endpoint": f"{i}/logout",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "profile", "email", "groups"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": ["sub", "email", "email_verified", "name", "groups"],
        }

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self._key.as_dict(private=False)]}

    def id_token(self, client_id: str, username: str, nonce: str | None) -> str:
        from joserfc import jwt

        now = int(time.time())
        claims = {"iss": self.issuer, "aud": client_id, "iat": now, "exp": now + 600, **self.users[username].claims}
        if nonce:
            claims["nonce"] = nonce
        header = {"alg": "RS256", "kid": "test-key"}
        return jwt.encode(header, claims, self._key)

    def _login_page(self, query: dict[str, str], error: str = "") -> str:
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">' for k, v in query.items()
        )
        return (
            "<!doctype html><html><head><title>Test identity provider</title></head><body>"
            f"<h1>Sign in to the test provider</h1><p style='color:red'>{html.escape(error)}</p>"
            f'<form method="post" action="/authorize">{hidden}'
            '<label>Username <input name="username" autocomplete="username"></label>'
            '<label>Password <input name="password" type="password"></label>'
            '<button type="submit">Sign in</button></form></body></html>'
        )

    def _authorize(self, params: dict[str, str]) -> tuple[int, dict[str, str], str]:
        client = self.clients.get(params.get("client_id", ""))
        redirect_uri = params.get("redirect_uri", "")
        if client is None or redirect_uri not in client.redirect_uris:
            return 400, {}, "unknown client or redirect_uri"
        if params.get("response_type") != "code" or "openid" not in params.get("scope", "").split():
            return 400, {}, "only the authorization-code flow with scope openid"
        username = params.pop("username", None)
        password = params.pop("password", None)
        if username is None:
            return 200, {"Content-Type": "text/html"}, self._login_page(params)
        user = self.users.get(username)
        if user is None or not secrets.compare_digest(user.password, password or ""):
            return 200, {"Content-Type": "text/html"}, self._login_page(params, "wrong username or password")
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._grants[code] = _Grant(
                params["client_id"],
                redirect_uri,
                username,
                params.get("nonce"),
                params.get("code_challenge"),
                time.time() + 60,
            )
        query = {"code": code, **({"state": params["state"]} if "state" in params else {})}
        return 302, {"Location": f"{redirect_uri}?{urlencode(query)}"}, ""

    def _token(self, form: dict[str, str], authorization: str | None) -> tuple[int, dict[str, Any]]:
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        if authorization and authorization.startswith("Basic "):
            client_id, _, client_secret = base64.b64decode(authorization[6:]).decode().partition(":")
        self.token_requests.append({"client_id": client_id, "grant_type": form.get("grant_type")})
        client = self.clients.get(client_id or "")
        if client is None or not secrets.compare_digest(client.secret, client_secret or ""):
            return 401, {"error": "invalid_client"}
        with self._lock:
            grant = self._grants.pop(form.get("code", ""), None)
        if (
            form.get("grant_type") != "authorization_code"
            or grant is None
            or grant.expires < time.time()
            or grant.client_id != client_id
            or grant.redirect_uri != form.get("redirect_uri")
        ):
            return 400, {"error": "invalid_grant"}
        if grant.challenge is not None:
            verifier = form.get("code_verifier", "")
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if digest != grant.challenge:
                return 400, {"error": "invalid_grant", "error_description": "PKCE verification failed"}
        access = secrets.token_urlsafe(24)
        with self._lock:
            self._access[access] = grant.username
        return 200, {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": 600,
            "id_token": self.id_token(client_id or "", grant.username, grant.nonce),
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, body: str | dict[str, Any], headers: dict[str, str] | None = None) -> None:
                headers = dict(headers or {})
                if isinstance(body, dict):
                    body, headers["Content-Type"] = json.dumps(body), "application/json"
                data = body.encode()
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _form(self) -> dict[str, str]:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                return {k: v[0] for k, v in parse_qs(raw).items()}

            def do_GET(self) -> None:
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/.well-known/openid-configuration":
                    self._send(200, provider.discovery())
                elif url.path == "/jwks":
                    self._send(200, provider.jwks())
                elif url.path == "/authorize":
                    query.pop("username", None), query.pop("password", None)  # credentials only by POST
                    status, headers, body = provider._authorize(query)
                    self._send(status, body, headers)
                elif url.path == "/userinfo":
                    token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
                    username = provider._access.get(token)
                    if username is None:
                        self._send(401, {"error": "invalid_token"})
                    else:
                        self._send(200, provider.users[username].claims)
                elif url.path == "/logout":
                    target = query.get("post_logout_redirect_uri")
                    self._send(302 if target else 200, "signed out", {"Location": target} if target else {})
                else:
                    self._send(404, {"error": "not_found"})

            def do_POST(self) -> None:
                path = urlparse(self.path).path
                if path == "/authorize":
                    status, headers, body = provider._authorize(self._form())
                    self._send(status, body, headers)
                elif path == "/token":
                    status, payload = provider._token(self._form(), self.headers.get("Authorization"))
                    self._send(status, payload, {"Cache-Control": "no-store"})
                else:
                    self._send(404, {"error": "not_found"})

        return Handler
