"""A service's refusal on a form's names: the helpers the use cases share (governance,
matching). Each module keeps its own map from the service's field names to its form's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cae_portal.usecases.gateway import FieldErrors, ServiceError

__all__ = ["flatten", "refused", "write"]


def flatten(errors: Any, prefix: str = "") -> dict[str, list[str]]:
    """A service's ``errors`` (marshmallow nests a list's items by index) as dotted names:
    ``{"resolutions": {"0": {"title": [...]}}}`` -> ``{"resolutions.0.title": [...]}``."""
    flat: dict[str, list[str]] = {}
    if not isinstance(errors, dict):
        return flat
    for name, said in errors.items():
        key = f"{prefix}.{name}" if prefix else str(name)
        if isinstance(said, dict):
            flat.update(flatten(said, key))
        elif isinstance(said, list) and said and all(isinstance(m, dict) for m in said):
            for n, item in enumerate(said):
                flat.update(flatten(item, f"{key}.{n}"))
        else:
            flat.setdefault(key, []).extend(
                [str(m) for m in said] if isinstance(said, list) else [str(said)])
    return flat


def refused(error: ServiceError, name_of: Callable[[str], str | None],
            rule_fields: dict[str, str] | None = None,
            code_of: Callable[[str], str | None] | None = None) -> FieldErrors:
    """A service's refusal as the form's field errors: each field it names under the form's
    name for it (``name_of``: the service's dotted name -> the form's; None: next to
    ``rule_fields[rule]`` when given, else above the form, ``__all__``). Each field's code is
    the rule's, else ``code_of(form name)`` when given."""
    target = (rule_fields or {}).get(error.rule or "")
    shown = FieldErrors()
    for service_field, messages in flatten(error.errors).items():
        if service_field == "rule":
            continue
        name = name_of(service_field) or target or "__all__"
        shown.fields.setdefault(name, []).extend(messages)
        code = error.rule or (code_of(name) if code_of else None)
        if code:
            shown.codes.setdefault(name, code)
    if not shown.fields:
        name = target or "__all__"
        shown.fields[name] = [error.detail]
        if error.rule:
            shown.codes[name] = error.rule
    return shown


def write(call: Callable[[], Any], name_of: Callable[[str], str | None],
          rule_fields: dict[str, str] | None = None,
          code_of: Callable[[str], str | None] | None = None):
    """``call()``'s answer, or its refusal (409, 422; a 404 whose rule ``rule_fields``
    places) as the form's ``FieldErrors``; any other error as raised."""
    try:
        return call()
    except ServiceError as error:
        if error.status in (409, 422) or (error.status == 404 and error.rule in (
                rule_fields or {})):
            raise refused(error, name_of, rule_fields, code_of) from error
        raise
