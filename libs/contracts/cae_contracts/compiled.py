"""Contract schemas compiled to plain functions, for the events published by the thousand.

Loading and dumping an event's data with marshmallow costs ~100 us for a dozen fields,
more than computing a payslip. ``compile_schema`` turns a schema whose fields are all
plain (String, UUID, Integer, Boolean, Date, and lists of them, with Length, Range,
Regexp, OneOf and Equal validators, no hooks but schema validators) into a ``load``,
a ``dump`` and a ``wire`` (``dump(load(data))`` in one pass, a canonical UUID string
being its own dump) that do what marshmallow does, for the values they are sure of: a
str for a String, an int (not a bool) for an Integer, and so on. Anything else, valid
or not, raises ``Unsure`` and the caller asks marshmallow, which stays the authority
and the only source of error messages. A schema with any other field or hook is not
compiled (``None``). ``test_compiled.py`` checks on random data that the compiled
functions and marshmallow agree for every contract.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

from marshmallow import Schema, fields, missing, validate


class Unsure(Exception):
    """The compiled function cannot decide: ask marshmallow."""


def _check(validator) -> Callable[[Any], bool] | None:
    kind = type(validator)
    if kind is validate.Length:
        low, high, equal = validator.min, validator.max, validator.equal
        if equal is not None:
            return lambda v: len(v) == equal
        return lambda v: (low is None or len(v) >= low) and (high is None or len(v) <= high)
    if kind is validate.Range:
        low, high = validator.min, validator.max
        low_in, high_in = validator.min_inclusive, validator.max_inclusive
        return lambda v: ((low is None or (v >= low if low_in else v > low))
                          and (high is None or (v <= high if high_in else v < high)))
    if kind is validate.Regexp:
        match = validator.regex.match
        return lambda v: match(v) is not None
    if kind is validate.OneOf:
        choices = validator.choices
        return lambda v: v in choices
    if kind is validate.Equal:
        comparable = validator.comparable
        return lambda v: v == comparable
    return None


def _parsed(kind, parse):
    """A value of ``kind`` as it is, or a str that ``parse`` turns into one."""
    def load(value):
        if type(value) is kind:
            return value
        if type(value) is not str:
            raise Unsure
        try:
            return parse(value)
        except ValueError:
            raise Unsure from None
    return load


def _exactly(kind):
    def load(value):
        if type(value) is not kind:
            raise Unsure
        return value
    return load


# field class -> (load a wire value, dump a loaded one); exact classes only (an Email is a String)
_PLAIN = {
    fields.String: (_exactly(str), None),
    fields.UUID: (_parsed(uuid.UUID, uuid.UUID), str),
    fields.Integer: (_exactly(int), None),
    fields.Boolean: (_exactly(bool), None),
    fields.Date: (_parsed(date, date.fromisoformat), date.isoformat),
}
# a wire value back to the loaded one, where they differ
_RELOAD = {fields.UUID: uuid.UUID, fields.Date: date.fromisoformat}


def _is_plain(field) -> bool:
    return (field.data_key is None and field.attribute is None and not field.load_only
            and not field.dump_only and not field.pre_load and not field.post_load
            and field.dump_default is missing
            and not (isinstance(field, fields.Date) and field.format not in (None, "iso", "iso8601"))
            and not (isinstance(field, fields.Integer) and field.as_string))


# the form str(uuid.UUID(value)) gives back unchanged
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z").match


def _compile_field(field) -> tuple | None:
    """(load, dump, wire, reload) of a present value of ``field``, or None if it is not
    plain: ``wire`` is ``dump(load(value))``, ``reload`` turns a wire value back into
    the loaded one (None where they are the same)."""
    if not _is_plain(field):
        return None
    checks = [_check(v) for v in field.validators]
    if any(c is None for c in checks):
        return None
    if type(field) is fields.List:
        inner = _compile_field(field.inner)
        if inner is None:
            return None
        inner_load, inner_dump, inner_wire, inner_reload = inner

        def convert(value):
            if type(value) is not list:
                raise Unsure
            return [inner_load(each) for each in value]

        def dump(value):
            return [inner_dump(each) for each in value]

        if all(type(v) is validate.Length for v in field.validators):  # the same on both forms
            def wire_present(value):
                if type(value) is not list:
                    raise Unsure
                out = [inner_wire(each) for each in value]
                for check in checks:
                    if not check(out):
                        raise Unsure
                return out
        else:
            wire_present = None
        reload = None if inner_reload is None else (
            lambda value: [inner_reload(each) for each in value])
        same_on_the_wire = False
    elif type(field) in _PLAIN:
        convert, plain_dump = _PLAIN[type(field)]
        same_on_the_wire = plain_dump is None
        dump = (lambda value: value) if same_on_the_wire else plain_dump
        wire_present, reload = None, _RELOAD.get(type(field))
    else:
        return None
    allow_none = field.allow_none

    def load(value):
        if value is None:
            if not allow_none:
                raise Unsure
            return None
        value = convert(value)
        for check in checks:
            try:
                sure = check(value)
            except TypeError:  # a validator made for values of another type
                raise Unsure from None
            if not sure:
                raise Unsure
        return value

    def full_dump(value):
        return None if value is None else dump(value)

    if type(field) is fields.UUID and not checks:
        def wire(value):
            if type(value) is str and _CANONICAL_UUID(value):
                return value
            return full_dump(load(value))
    elif wire_present is not None:
        def wire(value):
            if value is None:
                if not allow_none:
                    raise Unsure
                return None
            return wire_present(value)
    elif same_on_the_wire:
        wire = load
    else:
        def wire(value):
            return full_dump(load(value))
    full_reload = None if reload is None else (
        lambda value: None if value is None else reload(value))
    return load, full_dump, wire, full_reload


def _default(field):
    """What a missing field loads as (``missing``: nothing); Unsure if it is required."""
    if field.required:
        raise Unsure
    default = field.load_default
    return default() if callable(default) else default


class Compiled:
    """``load(data)`` and ``dump(loaded)`` of a schema, or ``Unsure``."""

    def __init__(self, plan: list, validators: list) -> None:
        self._plan = plan
        self._validators = validators
        # the fields whose loaded value differs from the wire one, for the validators: those
        # they read, when every one says which (``reads``)
        self._reload = [(name, reload) for name, _f, _l, _d, _w, reload in plan if reload]
        declared = [getattr(validator, "reads", None) for validator in validators]
        if None not in declared:
            read = set().union(*declared)
            self._reload = [(name, reload) for name, reload in self._reload if name in read]
        self._wire_fields = _generate_wire(plan)

    def load(self, data: dict) -> dict:
        """What ``schema.load(data, unknown=EXCLUDE)`` returns, when sure."""
        out = {}
        for name, field, load, _dump, _wire, _reload in self._plan:
            value = data.get(name, missing)
            if value is missing:
                default = _default(field)
                if default is not missing:
                    out[name] = default
                continue
            out[name] = load(value)
        self._validate(out)
        return out

    def _validate(self, loaded: dict) -> None:
        for validator in self._validators:
            try:
                validator(loaded, partial=None, many=False, unknown=None)
            except Exception:  # noqa: BLE001 - marshmallow says what is wrong
                raise Unsure from None

    def wire(self, data: dict) -> dict:
        """``dump(load(data))``, in one pass: what an event carries on the wire."""
        out = self._wire_fields(data)
        if self._validators:  # they see loaded values, as marshmallow gives them
            loaded = dict(out) if self._reload else out
            for name, reload in self._reload:
                if name in loaded:
                    loaded[name] = reload(loaded[name])
            self._validate(loaded)
        return out

    def dump(self, loaded: dict) -> dict:
        """What ``schema.dump(loaded)`` returns for the output of :meth:`load`."""
        out = {}
        for name, _field, _load, dump, _wire, _reload in self._plan:
            if name in loaded:
                out[name] = dump(loaded[name])
        return out


# the checks that become expressions of the generated ``wire`` (on a value of the field's type)
_EXACT = {fields.String: "str", fields.Integer: "int", fields.Boolean: "bool"}


def _condition(field, constants: dict) -> str | None:
    """An expression true when the value ``v`` is one whose wire form is itself (a str for a
    String, ..., a canonical UUID string), within its validators; None: no such shortcut."""
    def constant(value) -> str:
        name = f"c{len(constants)}"
        constants[name] = value
        return name

    kind = type(field)
    if kind is fields.UUID:
        return None if field.validators else f"type(v) is str and {constant(_CANONICAL_UUID)}(v)"
    if kind not in _EXACT:
        return None
    terms = [f"type(v) is {_EXACT[kind]}"]
    for validator in field.validators:
        check = type(validator)
        if check is validate.Length and kind is fields.String:
            if validator.equal is not None:
                terms.append(f"len(v) == {validator.equal!r}")
            terms += [f"len(v) >= {validator.min!r}"] if validator.min is not None else []
            terms += [f"len(v) <= {validator.max!r}"] if validator.max is not None else []
        elif check is validate.Range and kind is fields.Integer and all(
                type(bound) is int for bound in (validator.min, validator.max) if bound is not None):
            if validator.min is not None:
                terms.append(f"v {'>=' if validator.min_inclusive else '>'} {validator.min!r}")
            if validator.max is not None:
                terms.append(f"v {'<=' if validator.max_inclusive else '<'} {validator.max!r}")
        elif check is validate.Regexp and kind is fields.String:
            terms.append(f"{constant(validator.regex.match)}(v) is not None")
        else:
            return None
    return " and ".join(terms)


def _generate_wire(plan: list):
    """The fields' part of ``wire`` as generated straight-line code: a value whose wire form
    is itself is checked by one inline expression; any other (None, a UUID object, a
    date, a list, a missing field) goes to the field's compiled ``wire``, which decides
    or raises Unsure. The same results as looping over the fields' functions, at about
    half the cost (a test compares the two on random data)."""
    constants: dict = {"missing": missing}
    lines = ["def wire(data):", "    get = data.get", "    out = {}"]
    for i, (name, field, _load, dump, wire, _reload) in enumerate(plan):
        def absent(out, name=name, field=field, dump=dump):
            default = _default(field)
            if default is not missing:
                out[name] = dump(default)

        constants[f"a{i}"], constants[f"w{i}"], constants[f"n{i}"] = absent, wire, name
        lines += [f"    v = get(n{i}, missing)", "    if v is missing:", f"        a{i}(out)"]
        condition = _condition(field, constants)
        if condition is not None:
            lines += [f"    elif {condition}:", f"        out[n{i}] = v"]
        lines += ["    else:", f"        out[n{i}] = w{i}(v)"]
    lines.append("    return out")
    namespace = dict(constants)
    exec("\n".join(lines), namespace)  # noqa: S102 - our own code, from the schema's fields
    return namespace["wire"]


def reads(*names: str):
    """Declare the fields a schema validator reads (under ``@validates_schema``): the
    compiled ``wire`` then gives it loaded values of those only (parsing UUIDs and dates
    back costs more than validating)."""

    def decorator(validator):
        validator.reads = frozenset(names)
        return validator

    return decorator


def compile_schema(schema: Schema) -> Compiled | None:
    """The schema compiled, or None if any field or hook is not plain (schema validators
    that take neither the collection nor the original data are run as marshmallow does)."""
    hooks = {kind: found for kind, found in schema._hooks.items() if found}
    validators = hooks.pop("validates_schema", [])
    if hooks or schema.opts.dateformat is not None or any(
            many or options.get("pass_original") for _, many, options in validators):
        return None
    plan = []
    for name, field in schema.fields.items():
        compiled = _compile_field(field)
        if compiled is None:
            return None
        plan.append((name, field, *compiled))
    return Compiled(plan, [getattr(schema, name) for name, _, _ in validators])
