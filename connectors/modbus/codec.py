"""Modbus registers ↔ values: the data types of register maps and their word and byte orders.

A Modbus register is 16 bits. A 32- or 64-bit value spans 2 or 4 consecutive registers: ``word_order``
says which comes first (``big``: the most significant word, as Eastron and Schneider send floats;
``little``: the least significant word first). ``byte_order`` is the order of the two bytes inside each
register (``big`` on the wire by the Modbus specification; ``little`` for the rare device that swaps
them). Coils and discrete inputs are single bits (``bool``).
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence

#: data type → (struct format, registers)
REGISTER_TYPES: dict[str, tuple[str, int]] = {
    "uint16": ("H", 1), "int16": ("h", 1),
    "uint32": ("I", 2), "int32": ("i", 2), "float32": ("f", 2),
    "uint64": ("Q", 4), "int64": ("q", 4), "float64": ("d", 4),
}
BIT_TYPE = "bool"
DATA_TYPES = (*REGISTER_TYPES, BIT_TYPE)
ORDERS = ("big", "little")


class CodecError(ValueError):
    """A value that does not fit its data type, or registers of the wrong length."""


def register_count(data_type: str) -> int:
    """Registers a value of ``data_type`` spans (1 for a bit)."""
    if data_type == BIT_TYPE:
        return 1
    try:
        return REGISTER_TYPES[data_type][1]
    except KeyError:
        raise CodecError(f"unknown data type {data_type!r} (known: {', '.join(DATA_TYPES)})") from None


def is_float(data_type: str) -> bool:
    return data_type in ("float32", "float64")


def encode(value: float | int, data_type: str, word_order: str = "big", byte_order: str = "big") -> list[int]:
    """The registers (16-bit unsigned ints) that carry ``value``."""
    fmt, count = _spec(data_type)
    if not is_float(data_type) and isinstance(value, float):
        if not value.is_integer():
            raise CodecError(f"{value!r} is not a whole number ({data_type})")
        value = int(value)
    try:
        raw = struct.pack(">" + fmt, value)
    except struct.error as exc:
        raise CodecError(f"{value!r} does not fit {data_type}: {exc}") from None
    words = [int.from_bytes(raw[i:i + 2], "big") for i in range(0, 2 * count, 2)]
    return _reorder(words, word_order, byte_order)


def decode(registers: Sequence[int], data_type: str, word_order: str = "big", byte_order: str = "big") -> float | int:
    """The value carried by ``registers`` (exactly as many as the type spans)."""
    fmt, count = _spec(data_type)
    if len(registers) != count:
        raise CodecError(f"{data_type} spans {count} register(s), got {len(registers)}")
    words = _reorder(list(registers), word_order, byte_order)  # the reordering is its own inverse
    raw = b"".join(int(w & 0xFFFF).to_bytes(2, "big") for w in words)
    value = struct.unpack(">" + fmt, raw)[0]
    if data_type == "float32" and math.isfinite(value):
        value = float(f"{value:.7g}")  # a float32 holds ~7 digits: 230.1, not its float64 image 230.10000610
    return value


def _spec(data_type: str) -> tuple[str, int]:
    try:
        return REGISTER_TYPES[data_type]
    except KeyError:
        raise CodecError(f"{data_type!r} is not a register data type (known: {', '.join(REGISTER_TYPES)})") from None


def _reorder(words: list[int], word_order: str, byte_order: str) -> list[int]:
    if word_order not in ORDERS:
        raise CodecError(f"word order {word_order!r} is neither big nor little")
    if byte_order not in ORDERS:
        raise CodecError(f"byte order {byte_order!r} is neither big nor little")
    if word_order == "little":
        words = words[::-1]
    if byte_order == "little":
        words = [((w & 0xFF) << 8) | (w >> 8) for w in words]
    return words
