"""Unit tests of the kit's pure pieces: no broker, no database server."""

from __future__ import annotations

import json
import logging
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from caekit import auth, context, failpoints
from caekit.config import ConfigurationError, Settings, check_token_settings
from caekit.logs import JsonFormatter
from caekit.problems import Unauthorized

COOP = "5d0c9a3e-8f6b-4c1e-9a7d-2b3c4d5e6f70"


def settings(**overrides) -> Settings:
    return Settings(service="unit", database_url="sqlite://", **overrides)


def test_settings_read_the_service_specific_variable_first(monkeypatch):
    monkeypatch.setenv("CAE_DATABASE_URL", "sqlite:///shared.db")
    monkeypatch.setenv("CAE_LEDGER_DATABASE_URL", "postgresql://ledger")
    monkeypatch.setenv("CAE_RETRY_DELAYS", "2, 20,200")
    monkeypatch.setenv("CAE_RELAY_IN_PROCESS", "false")
    ledger = Settings.from_env("ledger")
    assert ledger.database_url == "postgresql://ledger"
    assert Settings.from_env("members").database_url == "sqlite:///shared.db"
    assert ledger.retry_delays == (2, 20, 200)
    assert ledger.relay_in_process is False


def test_settings_defaults_are_documented_values(monkeypatch):
    for name in ("CAE_DATABASE_URL", "CAE_AMQP_URI", "CAE_RETRY_DELAYS", "CAE_HTTP_PORT"):
        monkeypatch.delenv(name, raising=False)
    s = Settings.from_env("members")
    assert s.database_url == "sqlite:///var/cae-members.db"
    assert s.amqp_uri == "amqp://guest:guest@127.0.0.1:5672/"
    assert s.retry_delays == (1, 10, 60) and s.http_port == 8000


def _rsa_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


def test_production_refuses_the_development_secret_and_a_weak_one(monkeypatch):
    monkeypatch.setenv("CAE_ENV", "production")
    monkeypatch.delenv("CAE_JWT_SECRET", raising=False)
    monkeypatch.delenv("CAE_JWT_ALGORITHM", raising=False)
    with pytest.raises(ConfigurationError, match="RS256"):
        check_token_settings(Settings.from_env("members"))
    monkeypatch.setenv("CAE_JWT_SECRET", "short-secret")
    with pytest.raises(ConfigurationError, match="at least 32"):
        check_token_settings(Settings.from_env("members"))
    monkeypatch.setenv("CAE_JWT_SECRET", "x" * 32)
    check_token_settings(Settings.from_env("members"))
    monkeypatch.setenv("CAE_ENV", "development")
    monkeypatch.setenv("CAE_JWT_SECRET", "short-secret")
    check_token_settings(Settings.from_env("members"))  # development: any non-empty secret


def test_an_empty_secret_is_refused_in_every_environment(monkeypatch):
    monkeypatch.delenv("CAE_ENV", raising=False)
    monkeypatch.setenv("CAE_JWT_SECRET", "")
    with pytest.raises(ConfigurationError, match="CAE_JWT_SECRET is empty"):
        check_token_settings(Settings.from_env("members"))


def test_rs256_needs_a_readable_rsa_public_key_at_start(monkeypatch, tmp_path):
    monkeypatch.setenv("CAE_ENV", "production")
    monkeypatch.setenv("CAE_JWT_ALGORITHM", "RS256")
    monkeypatch.delenv("CAE_JWT_PUBLIC_KEY", raising=False)
    relay = Settings.from_env("members")  # a relay or a migration verifies no token
    with pytest.raises(ConfigurationError, match="needs CAE_JWT_PUBLIC_KEY"):
        check_token_settings(relay)
    monkeypatch.setenv("CAE_JWT_PUBLIC_KEY", str(tmp_path / "missing.pem"))
    with pytest.raises(ConfigurationError, match="cannot read"):
        Settings.from_env("members")
    (tmp_path / "garbage.pem").write_text("-----BEGIN PUBLIC KEY-----\nnot a key\n")
    monkeypatch.setenv("CAE_JWT_PUBLIC_KEY", str(tmp_path / "garbage.pem"))
    with pytest.raises(ConfigurationError, match="not an RSA public key"):
        check_token_settings(Settings.from_env("members"))
    _, public = _rsa_pair()
    (tmp_path / "public.pem").write_text(public)
    monkeypatch.setenv("CAE_JWT_PUBLIC_KEY", str(tmp_path / "public.pem"))
    check_token_settings(Settings.from_env("members"))
    assert Settings.from_env("members").jwt_public_key == public


def test_tokens_without_exp_or_living_too_long_are_refused():
    s = settings(jwt_max_ttl_seconds=3600)
    now = int(time.time())
    base = {"sub": "alice", "roles": ["staff"], "iss": s.jwt_issuer, "coop": "5d0c9a3e-8f6b-4c1e-9a7d-2b3c4d5e6f70"}
    sign = lambda claims: jwt.encode(claims, s.jwt_secret, algorithm="HS256")  # noqa: E731
    with pytest.raises(Unauthorized, match="exp"):
        auth.verify(sign(base), s)
    with pytest.raises(Unauthorized, match="too long"):
        auth.verify(sign({**base, "exp": now + 10 * 3600}), s)
    with pytest.raises(Unauthorized, match="after it was issued"):
        auth.verify(sign({**base, "iat": now - 3000, "exp": now + 3000}), s)
    assert auth.verify(sign({**base, "iat": now, "exp": now + 3600}), s).subject == "alice"


@pytest.mark.parametrize("claims", [{"coop": "c\x00-1"}, {"coop": "not-a-uuid"}, {"coop": 7},
                                    {"sub": "ali\x00ce"}, {"sub": "x" * 201}, {"sub": ""}])
def test_a_malformed_cooperative_or_subject_claim_is_a_bad_token(claims):
    s = settings()
    now = int(time.time())
    signed = jwt.encode({"sub": "alice", "roles": ["staff"], "iss": s.jwt_issuer, "coop": COOP,
                         "iat": now, "exp": now + 60, **claims}, s.jwt_secret, algorithm="HS256")
    with pytest.raises(Unauthorized, match="invalid token"):
        auth.verify(signed, s)


def test_hs256_tokens_round_trip_and_carry_the_cooperative():
    s = settings()
    token = auth.mint("alice", roles=["staff"], cooperative_id=COOP, settings=s)
    caller = auth.verify(token, s)
    assert caller.subject == "alice" and caller.cooperative_id == COOP
    assert caller.roles == frozenset({"staff"})


def test_rs256_tokens_are_verified_with_the_public_key_only():
    private, public = _rsa_pair()
    s = settings(jwt_algorithm="RS256", jwt_public_key=public)
    token = auth.mint("ops", roles=["network_operator"], settings=s, private_key=private)
    assert auth.verify(token, s).is_network_operator
    # an HS256 token signed with the development secret is refused in RS256 mode
    forged = auth.mint("ops", roles=["network_operator"], settings=settings())
    with pytest.raises(Unauthorized):
        auth.verify(forged, s)


@pytest.mark.parametrize("claims_change", ["wrong-issuer", "unknown-role", "expired"])
def test_tokens_with_bad_claims_are_refused(claims_change):
    s = settings()
    if claims_change == "wrong-issuer":
        token = auth.mint("a", roles=["staff"], settings=settings(jwt_issuer="elsewhere"))
    elif claims_change == "unknown-role":
        import jwt

        token = jwt.encode({"sub": "a", "roles": ["god"], "iss": s.jwt_issuer, "exp": 2**31},
                           s.jwt_secret, algorithm="HS256")
    else:
        token = auth.mint("a", roles=["staff"], settings=s, ttl_seconds=-5)
    with pytest.raises(Unauthorized):
        auth.verify(token, s)


def test_minting_refuses_unknown_roles():
    with pytest.raises(ValueError, match="unknown roles"):
        auth.mint("a", roles=["superuser"], settings=settings())


def test_json_logs_carry_the_context():
    formatter = JsonFormatter("members")
    tokens = context.bind(tenant="coop-1", who=context.Caller("alice", "coop-1", frozenset()),
                          correlation="corr-9")
    try:
        record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello %s", ("world",), None)
        record.fields = {"event_id": "e-1"}
        line = json.loads(formatter.format(record))
    finally:
        context.unbind(tokens)
    assert line["message"] == "hello world" and line["service"] == "members"
    assert line["correlation_id"] == "corr-9" and line["tenant_id"] == "coop-1"
    assert line["caller"] == "alice" and line["event_id"] == "e-1"
    assert context.correlation_id.get() is None, "unbind restores the previous context"


def test_context_round_trips_through_nameko_context_data():
    tokens = context.bind(tenant="coop-2", who=context.Caller("bob", "coop-2",
                                                              frozenset({"staff", "admin"})),
                          correlation="c-2")
    try:
        data = context.as_context_data()
    finally:
        context.unbind(tokens)
    tenant, who, correlation = context.from_context_data(data)
    assert (tenant, who.subject, who.roles, correlation) == (
        "coop-2", "bob", frozenset({"staff", "admin"}), "c-2")


def test_failpoints_do_nothing_unless_named(monkeypatch):
    monkeypatch.setattr(failpoints, "_points", None)
    monkeypatch.setenv("CAE_FAILPOINTS", "a.b=raise")
    failpoints.hit("other.point")
    with pytest.raises(RuntimeError, match="failpoint a.b"):
        failpoints.hit("a.b")
    monkeypatch.setattr(failpoints, "_points", None)


@pytest.mark.parametrize("body", ["{}", '{"a":"é ✓"}', "x" * 5_000, "y" * 300_000, ""],
                         ids=["small", "unicode", "5k", "300k (several body frames)", "empty"])
@pytest.mark.parametrize("mandatory", [True, False])
def test_publish_frames_are_what_py_amqp_writes(body, mandatory):
    import amqp
    from amqp import spec
    from amqp.method_framing import frame_writer
    from amqp.serialization import dumps

    from caekit.frames import publish_frames

    class Connection:
        frame_max = 131_072
        bytes_sent = 0

    written = []

    class Transport:
        def write(self, data):
            written.append(bytes(data))

    message = amqp.Message(body, content_type="application/cloudevents+json", delivery_mode=2,
                           message_id=str(uuid.uuid4()), type="cae.payroll.payslip_issued.v1")
    args = dumps("Bssbb", (0, "payroll.events", "cae.payroll.payslip_issued.v1", mandatory, False))
    frame_writer(Connection(), Transport())(1, 7, spec.Basic.Publish, args, message)
    ours = publish_frames(7, Connection.frame_max, "payroll.events", "cae.payroll.payslip_issued.v1",
                          body, content_type="application/cloudevents+json",
                          message_id=message.properties["message_id"],
                          type_="cae.payroll.payslip_issued.v1", mandatory=mandatory)
    assert ours == b"".join(written)
