"""Tokens of an OpenID Connect provider, verified with the keys of its JWKS
(CAE_JWT_JWKS_URL): a local JWKS served by a small http.server thread."""

from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from caekit import auth
from caekit.config import ConfigurationError, Settings, check_token_settings
from caekit.problems import Unauthorized

COOP = "5d0c9a3e-8f6b-4c1e-9a7d-2b3c4d5e6f70"
ISSUER = "https://login.example.org/realms/cae"


class Provider:
    """The provider's signing keys, and its JWKS on a loopback port (requests counted)."""

    def __init__(self):
        self.keys: dict[str, tuple[object, str]] = {}  # kid -> (private key, algorithm)
        self.published: list[str] = []
        self.fetches = 0
        self.down = False
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                provider.fetches += 1
                if provider.down:
                    self.send_error(503)
                    return
                body = json.dumps({"keys": [provider.jwk(kid) for kid in provider.published]})
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/protocol/openid-connect/certs"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def new_key(self, algorithm: str = "RS256", publish: bool = True) -> str:
        kid = uuid.uuid4().hex[:12]
        private = (rsa.generate_private_key(public_exponent=65537, key_size=2048)
                   if algorithm == "RS256" else ec.generate_private_key(ec.SECP256R1()))
        self.keys[kid] = (private, algorithm)
        if publish:
            self.published.append(kid)
        return kid

    def jwk(self, kid: str) -> dict:
        private, algorithm = self.keys[kid]
        to_jwk = RSAAlgorithm.to_jwk if algorithm == "RS256" else ECAlgorithm.to_jwk
        return {**to_jwk(private.public_key(), as_dict=True), "kid": kid, "use": "sig",
                "alg": algorithm}

    def token(self, kid: str, **claims) -> str:
        private, algorithm = self.keys[kid]
        now = int(time.time())
        body = {"sub": "alice", "roles": ["staff"], "coop": COOP, "iss": ISSUER,
                "aud": "cae-api", "iat": now, "exp": now + 300, **claims}
        return jwt.encode(body, private, algorithm=algorithm, headers={"kid": kid})

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def provider():
    served = Provider()
    auth._jwks_clients.clear()  # a client per URL: each test its own provider
    yield served
    served.stop()
    auth._jwks_clients.clear()


def jwks_settings(provider: Provider, **overrides) -> Settings:
    return Settings(**{"service": "unit", "database_url": "sqlite://", "jwt_algorithm": "RS256",
                       "jwt_jwks_url": provider.url, "jwt_issuer": ISSUER, **overrides})


def test_a_token_of_a_published_key_is_verified_and_the_set_is_cached(provider):
    kid = provider.new_key()
    s = jwks_settings(provider)
    caller = auth.verify(provider.token(kid), s)
    assert caller.subject == "alice" and caller.cooperative_id == COOP
    assert caller.roles == frozenset({"staff"})
    for _ in range(5):
        auth.verify(provider.token(kid, sub="bob"), s)
    assert provider.fetches == 1  # fetched once, then from the cache


def test_a_token_signed_by_an_unknown_key_is_a_401(provider, monkeypatch):
    monkeypatch.setattr(auth, "JWKS_COOLDOWN_SECONDS", 0.0)
    provider.new_key()
    unknown = provider.new_key(publish=False)  # same kid format, never published
    s = jwks_settings(provider)
    with pytest.raises(Unauthorized, match="does not publish") as refused:
        auth.verify(provider.token(unknown), s)
    assert refused.value.status == 401
    # a token naming a published kid but signed by another key: a bad signature
    forged = jwt.encode({"sub": "alice", "roles": ["admin"], "coop": COOP, "iss": ISSUER,
                         "exp": int(time.time()) + 60}, provider.keys[unknown][0],
                        algorithm="RS256", headers={"kid": provider.published[0]})
    with pytest.raises(Unauthorized, match="invalid token"):
        auth.verify(forged, s)
    # no kid at all, and an HS256 token signed with the development secret
    with pytest.raises(Unauthorized, match="kid"):
        auth.verify(jwt.encode({"sub": "a"}, provider.keys[unknown][0], algorithm="RS256"), s)
    with pytest.raises(Unauthorized):
        auth.verify(auth.mint("alice", roles=["admin"], cooperative_id=COOP,
                              settings=Settings(service="unit", database_url="sqlite://")), s)


def test_a_wrong_issuer_or_audience_is_a_401(provider):
    kid = provider.new_key()
    s = jwks_settings(provider, jwt_audience="cae-api")
    assert auth.verify(provider.token(kid), s).subject == "alice"
    with pytest.raises(Unauthorized, match="issuer") as refused:
        auth.verify(provider.token(kid, iss="https://elsewhere.example.org"), s)
    assert refused.value.status == 401
    with pytest.raises(Unauthorized, match="(?i)audience"):
        auth.verify(provider.token(kid, aud="another-client"), s)
    without = provider.token(kid)
    claims = jwt.decode(without, options={"verify_signature": False})
    del claims["aud"]
    with pytest.raises(Unauthorized, match="aud"):
        auth.verify(jwt.encode(claims, provider.keys[kid][0], algorithm="RS256",
                               headers={"kid": kid}), s)
    # no audience configured: the token's aud is not checked
    assert auth.verify(provider.token(kid, aud="another-client"),
                       jwks_settings(provider)).subject == "alice"


def test_key_rotation_a_new_kid_is_fetched(provider, monkeypatch):
    monkeypatch.setattr(auth, "JWKS_COOLDOWN_SECONDS", 0.5)
    monkeypatch.setattr(auth, "JWKS_LIFESPAN_SECONDS", 1.5)
    old = provider.new_key()
    s = jwks_settings(provider)
    auth.verify(provider.token(old), s)
    assert provider.fetches == 1
    new = provider.new_key()  # the provider publishes a new key and signs with it
    time.sleep(0.6)  # past the cooldown that guards the provider against unknown kids
    assert auth.verify(provider.token(new, sub="bob"), s).subject == "bob"
    assert provider.fetches == 2  # the unknown kid refetched the set, once
    auth.verify(provider.token(new), s)
    auth.verify(provider.token(old), s)  # both published: both good, from the cache
    assert provider.fetches == 2
    provider.published.remove(old)  # the old key retired: good until the set is read again
    auth.verify(provider.token(old), s)
    time.sleep(1.6)  # the cached set's lifespan
    with pytest.raises(Unauthorized, match="does not publish"):
        auth.verify(provider.token(old), s)
    assert provider.fetches >= 3
    assert auth.verify(provider.token(new), s).subject == "alice"


def test_unknown_kids_do_not_flood_the_provider(provider):
    provider.new_key()
    s = jwks_settings(provider)  # the default cooldown
    auth.verify(provider.token(provider.published[0]), s)
    stranger = provider.new_key(publish=False)
    for _ in range(20):
        with pytest.raises(Unauthorized):
            auth.verify(provider.token(stranger), s)
    assert provider.fetches == 1


def test_es256_keys_and_the_algorithm_of_the_key(provider):
    kid = provider.new_key("ES256")
    assert auth.verify(provider.token(kid), jwks_settings(provider, jwt_algorithm="ES256"))
    with pytest.raises(Unauthorized, match="ES256"):  # an EC key where RS256 is configured
        auth.verify(provider.token(kid), jwks_settings(provider))


def test_a_provider_that_does_not_answer_is_a_503_not_a_401(provider):
    kid = provider.new_key()
    provider.down = True
    with pytest.raises(auth.KeysUnavailable) as unavailable:
        auth.verify(provider.token(kid), jwks_settings(provider))
    assert unavailable.value.status == 503


def test_jwks_settings_from_the_environment_and_at_start(monkeypatch):
    monkeypatch.setenv("CAE_ENV", "production")
    monkeypatch.setenv("CAE_JWT_ALGORITHM", "RS256")
    monkeypatch.delenv("CAE_JWT_PUBLIC_KEY", raising=False)
    monkeypatch.delenv("CAE_JWT_JWKS_URL", raising=False)
    with pytest.raises(ConfigurationError, match="CAE_JWT_PUBLIC_KEY or CAE_JWT_JWKS_URL"):
        check_token_settings(Settings.from_env("members"))
    monkeypatch.setenv("CAE_JWT_JWKS_URL", "http://login.example.org/certs")
    with pytest.raises(ConfigurationError, match="https"):
        check_token_settings(Settings.from_env("members"))
    monkeypatch.setenv("CAE_JWT_JWKS_URL", "https://login.example.org/certs")
    monkeypatch.setenv("CAE_JWT_AUDIENCE", "cae-api")
    s = Settings.from_env("members")
    check_token_settings(s)
    assert (s.jwt_jwks_url, s.jwt_audience) == ("https://login.example.org/certs", "cae-api")
    monkeypatch.setenv("CAE_JWT_ALGORITHM", "HS256")
    with pytest.raises(ConfigurationError, match="RS256 or ES256"):
        check_token_settings(Settings.from_env("members"))
    monkeypatch.setenv("CAE_JWT_ALGORITHM", "PS256")
    with pytest.raises(ConfigurationError, match="HS256, RS256 or ES256"):
        check_token_settings(Settings.from_env("members"))
    monkeypatch.setenv("CAE_ENV", "development")
    monkeypatch.setenv("CAE_JWT_ALGORITHM", "ES256")
    monkeypatch.setenv("CAE_JWT_JWKS_URL", "http://127.0.0.1:8180/certs")
    check_token_settings(Settings.from_env("members"))  # development: a local provider


def test_es256_with_a_public_key_in_pem_and_its_check_at_start():
    from cryptography.hazmat.primitives import serialization

    private = ec.generate_private_key(ec.SECP256R1())
    pem = lambda data: data.decode()  # noqa: E731
    private_pem = pem(private.private_bytes(serialization.Encoding.PEM,
                                            serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption()))
    public_pem = pem(private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    s = Settings(service="unit", database_url="sqlite://", jwt_algorithm="ES256",
                 jwt_public_key=public_pem, production=True)
    check_token_settings(s)
    token = auth.mint("ops", roles=["network_operator"], settings=s, private_key=private_pem)
    assert jwt.get_unverified_header(token)["alg"] == "ES256"
    assert auth.verify(token, s).is_network_operator
    rsa_public = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    with pytest.raises(ConfigurationError, match="not an EC P-256 public key"):
        check_token_settings(Settings(
            service="unit", database_url="sqlite://", jwt_algorithm="ES256",
            jwt_public_key=pem(rsa_public.public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))))


def test_the_jwks_is_checked_against_the_public_cas_not_the_brokers_alone(tmp_path,
                                                                          monkeypatch):
    """SSL_CERT_FILE (the broker's CA in the cluster) does not narrow the JWKS's CAs;
    CAE_JWT_JWKS_CA_FILE names a private provider's."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cae broker CA")])
    now = datetime.datetime.now(datetime.UTC)
    ca = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
          .public_key(key.public_key()).serial_number(1).not_valid_before(now)
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(key, hashes.SHA256()))
    broker_ca = tmp_path / "ca.crt"
    broker_ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    monkeypatch.setenv("SSL_CERT_FILE", str(broker_ca))
    public = auth.jwks_tls().get_ca_certs()
    assert len(public) > 50 and all(c["subject"] != ((("commonName", "cae broker CA"),),)
                                    for c in public)
    assert [c["subject"] for c in auth.jwks_tls(str(broker_ca)).get_ca_certs()] == [
        ((("commonName", "cae broker CA"),),)]
    monkeypatch.setenv("CAE_JWT_JWKS_CA_FILE", str(broker_ca))
    assert Settings.from_env("members").jwt_jwks_ca_file == str(broker_ca)
