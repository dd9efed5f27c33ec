"""The typed encoding of values that cross the sandbox boundary, so that a task's return value keeps its types.

Plain JSON would turn int keys into strings, tuples into lists and numpy scalars into floats, and the checks could
no longer tell `{0: 5}` from `{"0": 5}`. Every value here is a tagged list (``["int", "5"]``, ``["dict", [[k, v],
...]]``) built from a fixed set of types; anything else travels as its type name and repr, never as an object.
Decoding is bounded in depth and size and builds nothing but these plain types, so it is safe on hostile input.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

MAX_DEPTH = 32
MAX_NODES = 200_000
NUMERIC_KINDS = "biufc"
"""numpy dtype kinds that may cross: bool, signed and unsigned ints, floats, complex."""


@dataclass(frozen=True)
class Unrepresentable:
    """A returned value of a type the encoding does not carry: its type name and a short repr."""

    text: str

    def __repr__(self) -> str:
        return f"<{self.text}>"


class WireError(ValueError):
    """Data that is not a valid encoding (too deep, too large, or malformed)."""


def _float(value: float) -> Any:
    return value if math.isfinite(value) else repr(value)


def encode(value: Any, _depth: int = 0) -> Any:
    """``value`` as JSON-ready tagged data; values of other types become an ``other`` node."""
    if _depth > MAX_DEPTH:
        return ["other", "a value nested too deeply"]
    if value is None:
        return ["none"]
    if isinstance(value, np.generic) and value.dtype.kind in NUMERIC_KINDS:
        return ["np", value.dtype.str, encode(value.item(), _depth + 1)]
    if isinstance(value, bool):
        return ["bool", value]
    if isinstance(value, int):
        return ["int", str(value)]
    if isinstance(value, float):
        return ["float", _float(value)]
    if isinstance(value, complex):
        return ["complex", _float(value.real), _float(value.imag)]
    if isinstance(value, str):
        return ["str", value]
    if isinstance(value, np.ndarray) and value.dtype.kind in NUMERIC_KINDS and value.size <= MAX_NODES:
        return ["ndarray", value.dtype.str, list(value.shape), [encode(v, _depth + 1) for v in value.ravel().tolist()]]
    if type(value) in (list, tuple):
        return [type(value).__name__, [encode(v, _depth + 1) for v in value]]
    if type(value) is dict:
        return ["dict", [[encode(k, _depth + 1), encode(v, _depth + 1)] for k, v in value.items()]]
    try:
        shown = repr(value)
    except Exception:  # noqa: BLE001 - a student's __repr__ may raise
        shown = "?"
    return ["other", f"{type(value).__name__}: {shown[:200]}"]


class _Decoder:
    def __init__(self) -> None:
        self.nodes = 0

    def value(self, node: Any, depth: int = 0) -> Any:
        self.nodes += 1
        if depth > MAX_DEPTH or self.nodes > MAX_NODES:
            raise WireError("the value is nested too deeply or is too large")
        if not isinstance(node, list) or not node or not isinstance(node[0], str):
            raise WireError("malformed value")
        tag, args = node[0], node[1:]
        if tag == "none" and not args:
            return None
        if tag == "bool" and len(args) == 1 and isinstance(args[0], bool):
            return args[0]
        if tag == "int" and len(args) == 1 and isinstance(args[0], str) and len(args[0]) < 5000:
            return int(args[0])
        if tag == "float" and len(args) == 1:
            return self.number(args[0])
        if tag == "complex" and len(args) == 2:
            return complex(self.number(args[0]), self.number(args[1]))
        if tag == "str" and len(args) == 1 and isinstance(args[0], str):
            return args[0]
        if tag in ("list", "tuple") and len(args) == 1 and isinstance(args[0], list):
            items = [self.value(v, depth + 1) for v in args[0]]
            return items if tag == "list" else tuple(items)
        if tag == "dict" and len(args) == 1 and isinstance(args[0], list):
            result = {}
            for pair in args[0]:
                if not (isinstance(pair, list) and len(pair) == 2):
                    raise WireError("malformed dict entry")
                key = self.value(pair[0], depth + 1)
                try:
                    result[key] = self.value(pair[1], depth + 1)
                except TypeError as error:  # an unhashable key such as a list
                    raise WireError(f"unhashable dict key: {error}") from None
            return result
        if tag == "np" and len(args) == 2:
            return self.dtype(args[0]).type(self.value(args[1], depth + 1))
        if tag == "ndarray" and len(args) == 3 and isinstance(args[1], list) and isinstance(args[2], list):
            dtype, shape = self.dtype(args[0]), args[1]
            if not all(isinstance(n, int) and n >= 0 for n in shape) or math.prod(shape) != len(args[2]):
                raise WireError("malformed array")
            return np.array([self.value(v, depth + 1) for v in args[2]], dtype=dtype).reshape(shape)
        if tag == "other" and len(args) == 1 and isinstance(args[0], str):
            return Unrepresentable(args[0][:300])
        raise WireError(f"unknown or malformed value of kind {tag!r:.40}")

    @staticmethod
    def number(raw: Any) -> float:
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            return float(raw)
        if raw in ("nan", "inf", "-inf"):
            return float(raw)
        raise WireError("malformed number")

    @staticmethod
    def dtype(raw: Any) -> np.dtype:
        if not isinstance(raw, str) or len(raw) > 8:
            raise WireError("malformed dtype")
        try:
            dtype = np.dtype(raw)
        except TypeError as error:
            raise WireError(f"unknown dtype {raw!r}") from error
        if dtype.kind not in NUMERIC_KINDS:
            raise WireError(f"dtype {raw!r} may not cross")
        return dtype


def decode(data: Any) -> Any:
    """The value ``data`` encodes; raises WireError on anything malformed, too deep or too large."""
    return _Decoder().value(data)
