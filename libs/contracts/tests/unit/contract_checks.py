"""The checks every service's public events get, written once: a service's test module
(``test_governance_contracts``, ``test_matching_contracts``) describes its contracts in a
:class:`ServiceContracts` (one sample per type, the subject field, bad values, the nested
objects) and runs each check from its own, parametrized, test functions.

* :func:`every_contract_has_a_sample`: every type the service registers has a sample, a
  subject and bad values, and ``nested`` names every nested object of the samples;
* :func:`a_good_payload_is_published_and_parsed`: the registry's entry, then the sample
  published (``build_event``), parsed (``parse_event``) and loaded back to its values;
* :func:`an_unknown_field_is_refused`: a key outside the contract, at every nesting level,
  refused by the publisher and by the schema, which names it where it is;
* :func:`a_bad_value_is_refused_on_both_sides`: refused by the subscriber and by the
  publisher, naming the field, and by the payload schema of the AsyncAPI document;
* :func:`cooperative_id_is_required`.

Not collected by pytest (no ``test_`` prefix): it only holds functions.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import pytest
from marshmallow import ValidationError, fields

from cae_contracts import CONTRACTS, ContractViolation, build_event, parse_event
from cae_contracts.asyncapi import schema_to_json_schema

from .test_asyncapi import _errors

Path = tuple[Any, ...]
UNKNOWN = "shoe_size"


@dataclass(frozen=True)
class ServiceContracts:
    """What a service's contract tests know of its events."""

    service: str
    module: ModuleType  # where its schemas are declared
    samples: dict[str, dict[str, Any]]  # per type: a valid data payload, as published
    subjects: dict[str, str]  # per type: the data field that is the envelope's subject
    bad_values: dict[str, list[tuple[Path, Any]]]  # per type: (field or path, a bad value)
    nested: dict[str, list[Path]]  # per type: where an unknown key goes: () the data
    # itself, and the path of each nested object of its sample (a list's first item)
    elsewhere: frozenset[str] = field(default_factory=frozenset)  # its types declared in
    # another module (no sample here: test_asyncapi.SAMPLES has theirs)

    def wire(self, type_: str) -> dict[str, Any]:
        """The envelope a subscriber receives for the type's sample."""
        data = self.samples[type_]
        body = build_event(type_, data, tenant_id=str(data["cooperative_id"]),
                           correlation_id=f"{self.service}-1")
        return json.loads(json.dumps(body))

    def types(self):
        """Parametrize a test over the service's types (``type_``)."""
        return pytest.mark.parametrize("type_", sorted(self.samples))

    def bad_value_cases(self):
        """Parametrize a test over the bad values (``type_``, ``path``, ``value``)."""
        return pytest.mark.parametrize(
            ("type_", "path", "value"),
            [(t, path, value) for t, bad in sorted(self.bad_values.items()) for path, value in bad],
            ids=lambda v: ".".join(map(str, v)) if isinstance(v, tuple) else None,
        )


def set_at(node: Any, path: Path, value: Any) -> None:
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value


def at(node: Any, path: Path) -> Any:
    for step in path:
        node = node[step]
    return node


def nested_paths(schema: Any, data: Any, prefix: Path = ()) -> list[Path]:
    """The path of every nested object of ``data`` under ``schema`` (the first item of a
    list of them), depth first."""
    out: list[Path] = []
    for name, declared in schema._declared_fields.items():
        value = data.get(name) if isinstance(data, dict) else None
        inner, path = declared, (*prefix, name)
        if isinstance(declared, fields.List) and isinstance(declared.inner, fields.Nested):
            if not value:
                continue
            inner, value, path = declared.inner, value[0], (*path, 0)
        if isinstance(inner, fields.Nested) and isinstance(value, dict):
            out += [path, *nested_paths(inner.schema, value, path)]
    return out


def _assert_loaded(expected: Any, loaded: Any, where: str = "data") -> None:
    """``loaded`` holds the publisher's values (defaults of left-out fields aside)."""
    if isinstance(expected, dict):
        for name, value in expected.items():
            _assert_loaded(value, loaded[name], f"{where}.{name}")
    elif isinstance(expected, list):
        assert len(loaded) == len(expected), where
        for i, (value, got) in enumerate(zip(expected, loaded, strict=True)):
            _assert_loaded(value, got, f"{where}[{i}]")
    else:
        assert loaded == expected and type(loaded) is type(expected), (where, loaded, expected)


# --------------------------------------------------------------------------- the checks


def every_contract_has_a_sample(contracts: ServiceContracts) -> None:
    published = {t for t, c in CONTRACTS.items() if c.service == contracts.service}
    assert published, f"no contract of {contracts.service!r} is registered"
    assert set(contracts.samples) == published - contracts.elsewhere
    assert set(contracts.bad_values) == set(contracts.samples) == set(contracts.subjects)
    assert all(contracts.bad_values.values()), "every type needs a bad value"
    for type_, data in sorted(contracts.samples.items()):
        named = [path for path in contracts.nested.get(type_, []) if path]
        assert named == nested_paths(CONTRACTS[type_].schema, data), (
            f"{type_}: nested names every nested object of the sample")


def a_good_payload_is_published_and_parsed(contracts: ServiceContracts, type_: str) -> None:
    contract, sample = CONTRACTS[type_], contracts.samples[type_]
    assert contract.schema.__module__ == contracts.module.__name__
    assert (contract.exchange, contract.service, contract.version) == (
        f"{contracts.service}.events", contracts.service, 1)
    assert contract.subject == contracts.subjects[type_]
    assert contract.summary and not contract.deprecated and contract.batch == 0

    body = contracts.wire(type_)
    assert body["source"] == f"/cae/{contracts.service}"
    assert body["subject"] == str(sample[contracts.subjects[type_]])
    event = parse_event(body)
    assert event.type == type_ and event.tenant_id == str(sample["cooperative_id"])
    # loaded back to the publisher's values: UUIDs, dates, aware datetimes, at every level
    assert contract.schema().dump(event.data) == body["data"]
    _assert_loaded(sample, event.data)


def an_unknown_field_is_refused(contracts: ServiceContracts, type_: str) -> None:
    """By the publisher, and by the schema (naming it where it is), at every level."""
    for path in dict.fromkeys([(), *contracts.nested.get(type_, [])]):
        data = copy.deepcopy(contracts.samples[type_])
        at(data, path)[UNKNOWN] = 42
        with pytest.raises(ContractViolation) as caught:
            build_event(type_, data, tenant_id=str(data["cooperative_id"]))
        assert caught.value.errors, path

        wire = copy.deepcopy(contracts.wire(type_)["data"])
        at(wire, path)[UNKNOWN] = 42
        with pytest.raises(ValidationError) as refused:
            CONTRACTS[type_].schema().load(wire)
        assert UNKNOWN in at(refused.value.messages, path), (path, refused.value.messages)


def a_bad_value_is_refused_on_both_sides(contracts: ServiceContracts, type_: str, path: Path,
                                         value: Any) -> None:
    """Naming the field; the AsyncAPI document's payload schema refuses it too."""
    body = contracts.wire(type_)
    set_at(body["data"], path, value)
    with pytest.raises(ContractViolation) as caught:
        parse_event(body)
    assert path[0] in caught.value.errors, caught.value.errors

    data = copy.deepcopy(contracts.samples[type_])
    set_at(data, path, value)
    with pytest.raises(ContractViolation) as caught:
        build_event(type_, data, tenant_id=str(data["cooperative_id"]))
    assert path[0] in caught.value.errors, caught.value.errors

    assert _errors(schema_to_json_schema(CONTRACTS[type_].schema), body["data"]), (
        "the AsyncAPI document is looser than the contract")


def cooperative_id_is_required(contracts: ServiceContracts, type_: str) -> None:
    body = contracts.wire(type_)
    del body["data"]["cooperative_id"]
    with pytest.raises(ContractViolation) as caught:
        parse_event(body)
    assert "cooperative_id" in caught.value.errors
