"""Declared shapes for every HTTP body and socket event, checked once at the edge.

Each route or event names its schema (``@json_body(SCHEMA)`` on an HTTP handler,
``@socket_event(SCHEMA)`` on a Socket.IO handler, after Home Assistant's
``@websocket_command(vol.Schema)``); the handler then only ever sees a dict of checked,
bounded values. A failure raises :class:`~livesell.domain.errors.Invalid` naming the field
by its path (``lines[2].qty``), which HTTP answers as 400 and a socket ack carries in the
same ``{"error": {"code", "message", "field"}}`` shape.

A small helper of our own rather than a library: the rules needed are few (strict types,
bounds, lengths, nesting), the error text is part of the API contract and stays exactly
ours, and it is typed for ``mypy --strict`` without plugins.

Strings are never made from other types: ``12`` for a name is refused, not turned into
``"12"``. Text is checked for lone surrogates (valid JSON, but not text) and NFC-normalised.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .domain.errors import Invalid

__all__ = ["MISSING", "Bool", "Int", "Invalid", "Key", "List", "Obj", "Raw", "Spec", "Str",
           "clean_str", "error_body", "optional"]


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()

# JSON allows integers of any size; nothing we store needs more than this (and Lua numbers
# are doubles: beyond 2**53 they stop being exact).
INT_LIMIT = 2**53 - 1


def _fail(path: str, message: str) -> Invalid:
    return Invalid(f"field '{path}' {message}" if path else message, field=path or None)


def clean_str(value: str) -> str | None:
    """The text NFC-normalised, or None when it holds a lone surrogate (not text at all)."""
    if value.isascii():
        return value  # plain ASCII is always valid, NFC text (and by far the common case)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return value if unicodedata.is_normalized("NFC", value) else unicodedata.normalize(
        "NFC", value)


class Spec:
    """One value's rule. ``check`` returns the checked value or raises Invalid."""

    required: bool = True
    nullable: bool = False
    default: Any = None

    def check(self, value: Any, path: str) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass(frozen=True)
class Str(Spec):
    """A string of ``min_len``..``max_len`` characters (after ``strip``), maybe from a set."""

    max_len: int = 200
    min_len: int = 0
    strip: bool = True
    choices: tuple[str, ...] = ()
    test: Callable[[str], bool] | None = None
    hint: str = ""
    required: bool = True
    nullable: bool = False
    default: Any = None

    def check(self, value: Any, path: str) -> Any:
        text = _text(value, path, self.max_len, self.min_len, self.strip)
        if self.choices and text not in self.choices:
            raise _fail(path, f"must be one of {', '.join(self.choices)}")
        if self.test is not None and not self.test(text):
            raise _fail(path, self.hint or "is not in the expected form")
        return text


def _text(value: Any, path: str, max_len: int, min_len: int, strip: bool) -> str:
    """The shared part of :class:`Str` and :class:`Key`: a string, valid, within bounds."""
    if not isinstance(value, str):
        raise _fail(path, "must be a string")
    text = clean_str(value)
    if text is None:
        raise _fail(path, "is not valid text (lone surrogate)")
    if strip:
        text = text.strip()
    if len(text) > max_len:
        raise _fail(path, f"must be at most {max_len} characters")
    if len(text) < min_len:
        raise _fail(path, "must not be empty" if min_len == 1
                    else f"must be at least {min_len} characters")
    return text


@dataclass(frozen=True)
class Int(Spec):
    """A whole number within ``minimum``..``maximum`` (booleans and 2.0 are refused)."""

    minimum: int = -INT_LIMIT
    maximum: int = INT_LIMIT
    required: bool = True
    nullable: bool = False
    default: Any = None

    def check(self, value: Any, path: str) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _fail(path, "must be a whole number")
        if not self.minimum <= value <= self.maximum:
            raise _fail(path, f"must be between {self.minimum} and {self.maximum}")
        return value


@dataclass(frozen=True)
class Key(Spec):
    """An id: a non-empty string, or a whole number as some platforms send them."""

    max_len: int = 200
    required: bool = True
    nullable: bool = False
    default: Any = None

    def check(self, value: Any, path: str) -> Any:
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) <= INT_LIMIT:
            return str(value)
        return _text(value, path, self.max_len, 1, True)


@dataclass(frozen=True)
class Raw(Spec):
    """Any JSON value, checked later by its own rule (a batch's comments, one by one)."""

    required: bool = True
    nullable: bool = False
    default: Any = None

    def check(self, value: Any, path: str) -> Any:
        return value


@dataclass(frozen=True)
class Bool(Spec):
    required: bool = True
    nullable: bool = False
    default: Any = None

    def check(self, value: Any, path: str) -> Any:
        if not isinstance(value, bool):
            raise _fail(path, "must be true or false")
        return value


@dataclass(frozen=True)
class List(Spec):
    """A list of ``min_items``..``max_items`` values, each checked by ``item``."""

    item: Spec = field(default_factory=Str)
    max_items: int = 100
    min_items: int = 0
    required: bool = True
    nullable: bool = False
    default: Any = None

    def check(self, value: Any, path: str) -> Any:
        if not isinstance(value, list):
            raise _fail(path, "must be a list")
        if len(value) > self.max_items:
            raise _fail(path, f"must have at most {self.max_items} entries")
        if len(value) < self.min_items:
            raise _fail(path, "must not be empty" if self.min_items == 1
                        else f"must have at least {self.min_items} entries")
        out, problems = [], _Problems()
        check = self.item.check
        for i, v in enumerate(value):
            try:
                out.append(check(v, f"{path}[{i}]"))
            except Invalid as exc:
                problems.add(exc)
        problems.raise_any()
        return out


@dataclass(frozen=True)
class Obj(Spec):
    """An object with declared fields. Unknown fields are ignored unless ``strict``."""

    fields: Mapping[str, Spec] = field(default_factory=dict)
    strict: bool = False
    required: bool = True
    nullable: bool = False
    default: Any = None

    def check(self, value: Any, path: str) -> Any:
        if not isinstance(value, dict):
            raise _fail(path, "must be an object") if path else Invalid(
                "request body must be a JSON object")
        if self.strict:
            extra = sorted(k for k in value if k not in self.fields)
            if extra:
                raise _fail(_join(path, str(extra[0])), "is not expected here")
        out: dict[str, Any] = {}
        problems: _Problems | None = None  # made at the first problem: most bodies have none
        prefix = f"{path}." if path else ""
        for name, spec in self.fields.items():
            raw = value.get(name, MISSING)
            if raw is MISSING or raw is None:
                if raw is None and spec.nullable:
                    out[name] = None
                elif not spec.required:
                    out[name] = spec.default
                else:
                    problems = problems or _Problems()
                    problems.add(_fail(prefix + name, "is required"))
                continue
            try:
                out[name] = spec.check(raw, prefix + name)
            except Invalid as exc:
                problems = problems or _Problems()
                problems.add(exc)
        if problems is not None:
            problems.raise_any()
        return out

    def __call__(self, value: Any) -> dict[str, Any]:
        checked: dict[str, Any] = self.check(value, "")
        return checked


class _Problems:
    """Every problem of an object or list, so a form shows all its mistakes at once."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.first: str | None = None

    def add(self, exc: Invalid) -> None:
        """Note one problem (a plain try/except at each field: a context manager per field
        was a tenth of the cost of reading a comment)."""
        if self.first is None:
            self.first = exc.detail.get("field")
        self.messages.extend(exc.detail.get("problems") or [exc.message])
        if len(self.messages) > 20:
            self.raise_any()

    def raise_any(self) -> None:
        if self.messages:
            shown = self.messages[:20]
            raise Invalid("; ".join(shown), field=self.first,
                          **({"problems": shown} if len(shown) > 1 else {}))


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def optional(spec: Spec, default: Any = None, *, nullable: bool = True) -> Spec:
    """The same rule, for a field that may be left out (or null)."""
    from dataclasses import replace

    return replace(spec, required=False, default=default,  # type: ignore[type-var]
                   nullable=nullable)


def each(values: Sequence[Any], spec: Spec, path: str) -> list[Any]:
    """Check every value of a sequence (for batches checked one by one)."""
    return [spec.check(v, f"{path}[{i}]") for i, v in enumerate(values)]


def error_body(exc: Invalid) -> dict[str, Any]:
    """The one error shape, for HTTP bodies and socket acks alike."""
    body: dict[str, Any] = {"code": exc.code, "message": exc.message}
    if exc.detail.get("field"):
        body["field"] = exc.detail["field"]
    return {"error": body}
