"""Unit tests of the kit's pure pieces: no broker, no database server."""

from __future__ import annotations

import json
import logging
import uuid

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from caekit import auth, context, failpoints
from caekit.config import Settings
from caekit.logs import JsonFormatter
from caekit.problems import Unauthorized


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


def test_production_refuses_the_development_secret(monkeypatch):
    monkeypatch.setenv("CAE_ENV", "production")
    monkeypatch.delenv("CAE_JWT_SECRET", raising=False)
    monkeypatch.delenv("CAE_JWT_ALGORITHM", raising=False)
    with pytest.raises(ValueError, match="RS256"):
        Settings.from_env("members")
    monkeypatch.setenv("CAE_JWT_ALGORITHM", "RS256")
    assert Settings.from_env("members").jwt_algorithm == "RS256"


def test_hs256_tokens_round_trip_and_carry_the_cooperative():
    s = settings()
    token = auth.mint("alice", roles=["staff"], cooperative_id="c-1", settings=s)
    caller = auth.verify(token, s)
    assert caller.subject == "alice" and caller.cooperative_id == "c-1"
    assert caller.roles == frozenset({"staff"})


def test_rs256_tokens_are_verified_with_the_public_key_only():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
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
