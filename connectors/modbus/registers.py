"""Register maps per device model, read from ``resources/registers/*.json`` and checked on load.

A map states, for every value a device exposes: the Modbus table (``coil``, ``discrete`` input,
``input`` register, ``holding`` register), the data type and word/byte order (:mod:`.codec`), the
scale from the device's unit to CityPilot's metric (``power_w`` is in W whatever the meter: an iEM3000
reports kW, scale 1000), and its address twice — ``doc_address`` as the manufacturer's document
writes it and ``address``, the 0-based address on the wire. ``document_addressing`` says how the two
relate, and loading refuses a map where they disagree:

- ``modicon``: 5- or 6-digit register numbers counted from 1 whose first digit names the table
  (0 coil, 1 discrete input, 3 input register, 4 holding register): ``30001`` is input register 0;
- ``offset``: plain numbers (decimal or ``0x`` hex) with ``base`` 0 or 1: wire = number − base.

A field may ``repeat`` (``{"count": 16, "stride": 1}``; ``{n}`` in its name and label counts from 1).
A bad map file raises :class:`RegisterMapError` naming the file, the field and the reason.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from assets.errors import FieldError, ValidationError
from connectors.modbus import codec
from resources import path as resource_path

REGISTERS_DIR = resource_path("registers")
TABLES = ("coil", "discrete", "input", "holding")
BIT_TABLES = ("coil", "discrete")
WRITABLE_TABLES = ("coil", "holding")
MODICON_DIGIT = {"coil": "0", "discrete": "1", "input": "3", "holding": "4"}
STYLES = ("modicon", "offset")
MAX_REGISTERS_PER_READ = 125  # the Modbus limit for function codes 3 and 4
MAX_BITS_PER_READ = 2000  # ... and for 1 and 2

Value = float | int | bool


class RegisterMapError(ValidationError):
    """A register map that cannot be used: each error names the file, the field and the reason."""


@dataclass(frozen=True, slots=True)
class Field:
    """One value of a device: where it is on the wire, how it is encoded, how it becomes a metric."""

    name: str
    label: str
    table: str
    address: int
    doc_address: str
    type: str
    word_order: str = "big"
    byte_order: str = "big"
    scale: float = 1.0
    unit: str = ""
    writable: bool = False
    minimum: float | None = None
    maximum: float | None = None

    @property
    def size(self) -> int:
        """Registers (or bits) the field spans."""
        return codec.register_count(self.type)

    @property
    def end(self) -> int:
        return self.address + self.size

    @property
    def is_bit(self) -> bool:
        return self.table in BIT_TABLES

    def from_wire(self, words: Sequence[int] | Sequence[bool]) -> Value:
        """The metric value of the registers (or bit) read at this field's address."""
        if self.is_bit:
            return bool(words[0])
        raw = codec.decode(words, self.type, self.word_order, self.byte_order)  # type: ignore[arg-type]
        if self.scale == 1:
            return raw
        value = raw * self.scale
        return round(value, 9) if isinstance(value, float) else value

    def to_wire(self, value: Value) -> list[int] | bool:
        """The registers (or the bit) that carry the metric ``value``; ValueError when out of range."""
        if self.is_bit:
            if not isinstance(value, bool | int) or value not in (0, 1):
                raise ValueError(f"{self.name}: {value!r} is not on/off")
            return bool(value)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{self.name}: {value!r} is not a number")
        if (self.minimum is not None and value < self.minimum) or (self.maximum is not None and value > self.maximum):
            low = "" if self.minimum is None else f"{self.minimum:g}"
            high = "" if self.maximum is None else f"{self.maximum:g}"
            raise ValueError(f"{self.name}: {value!r} is outside {low}..{high}")
        raw = value / self.scale if self.scale != 1 else value
        if not codec.is_float(self.type):
            raw = round(raw)
        try:
            return codec.encode(raw, self.type, self.word_order, self.byte_order)
        except codec.CodecError as exc:
            raise ValueError(f"{self.name}: {exc}") from None


@dataclass(frozen=True, slots=True)
class ReadBlock:
    """One read request: ``count`` registers (or bits) of ``table`` from ``address``, holding ``fields``."""

    table: str
    address: int
    count: int
    fields: tuple[Field, ...]

    def values(self, words: Sequence[int] | Sequence[bool]) -> dict[str, Value]:
        """The fields' metric values out of what the request returned."""
        out: dict[str, Value] = {}
        for f in self.fields:
            start = f.address - self.address
            out[f.name] = f.from_wire(words[start:start + f.size])
        return out


@dataclass(frozen=True, eq=False)
class RegisterMap:
    """A device model's register map (see the module docstring for the file format)."""

    name: str
    title: str
    source: Mapping[str, str]
    style: str
    base: int
    fields: tuple[Field, ...]
    interval_s: float = 60.0
    max_registers_per_read: int = MAX_REGISTERS_PER_READ
    read_across_gaps: bool = False
    path: Path | None = None
    _by_name: dict[str, Field] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_name.update((f.name, f) for f in self.fields)

    def field(self, name: str) -> Field:
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"{self.name} has no field {name!r}") from None

    def has(self, name: str) -> bool:
        return name in self._by_name

    def tables(self) -> list[str]:
        return [t for t in TABLES if any(f.table == t for f in self.fields)]

    def table_fields(self, table: str) -> list[Field]:
        return sorted((f for f in self.fields if f.table == table), key=lambda f: f.address)

    @cache  # noqa: B019 - maps are few and live as long as the process
    def read_plan(self, tables: tuple[str, ...] | None = None) -> tuple[ReadBlock, ...]:
        """The requests that read every field (of ``tables``): neighbours share a request up to the
        map's size limit, across unmapped registers only when the device allows it."""
        blocks: list[ReadBlock] = []
        for table in tables or tuple(self.tables()):
            limit = MAX_BITS_PER_READ if table in BIT_TABLES else self.max_registers_per_read
            group: list[Field] = []
            for f in self.table_fields(table):
                if group:
                    start, end = group[0].address, max(g.end for g in group)
                    gap = f.address - end
                    if f.end - start > limit or (gap > 0 and not self.read_across_gaps):
                        blocks.append(_block(table, group))
                        group = []
                group.append(f)
            if group:
                blocks.append(_block(table, group))
        return tuple(blocks)


def _block(table: str, fields: list[Field]) -> ReadBlock:
    start = fields[0].address
    return ReadBlock(table, start, max(f.end for f in fields) - start, tuple(fields))


# -- loading -----------------------------------------------------------------------------------------
def map_names(folder: Path = REGISTERS_DIR) -> list[str]:
    """The maps shipped (file names without ``.json``)."""
    return sorted(p.stem for p in folder.glob("*.json"))


@cache
def load_map(name: str, folder: Path = REGISTERS_DIR) -> RegisterMap:
    """The map called ``name`` (``sdm630``) or at a path; RegisterMapError when missing or invalid."""
    candidate = Path(name)
    file = candidate if candidate.suffix == ".json" else folder / f"{name}.json"
    if not file.is_file():
        known = ", ".join(map_names(folder))
        raise RegisterMapError(FieldError("register_map", f"no register map {name!r} (known: {known})"))
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RegisterMapError(FieldError(file.name, f"not readable JSON: {exc}")) from None
    return parse_map(document, file.name, path=file)


def parse_map(document: Any, where: str = "map", path: Path | None = None) -> RegisterMap:
    """Check a map document and build it; every problem is reported (``where: fields[3].type: ...``)."""
    errors: list[FieldError] = []

    def err(name: str, reason: str) -> None:
        errors.append(FieldError(f"{where}: {name}", reason))

    if not isinstance(document, dict):
        raise RegisterMapError(FieldError(where, "expected a JSON object"))
    for key in ("name", "title"):
        if not isinstance(document.get(key), str) or not document[key].strip():
            err(key, "missing (a non-empty text)")
    source = document.get("source")
    if not isinstance(source, dict) or not isinstance(source.get("document"), str) or not source["document"]:
        err("source.document", "missing: name the document the addresses come from")
        source = {}
    addressing = document.get("document_addressing")
    style, base = "offset", 0
    if not isinstance(addressing, dict):
        err("document_addressing", "missing: say whether the document's addresses are 0- or 1-based")
    else:
        style, base = addressing.get("style"), addressing.get("base")
        if style not in STYLES:
            err("document_addressing.style", f"{style!r} is not one of {', '.join(STYLES)}")
        if base not in (0, 1):
            err("document_addressing.base", f"{base!r}: expected 0 or 1")
        elif style == "modicon" and base != 1:
            err("document_addressing.base", "Modicon register numbers count from 1")
    defaults = document.get("defaults") or {}
    if not isinstance(defaults, dict):
        err("defaults", "expected an object")
        defaults = {}
    polling = document.get("polling") or {}
    interval = polling.get("interval_s", 60)
    if isinstance(interval, bool) or not isinstance(interval, int | float) or interval <= 0:
        err("polling.interval_s", f"{interval!r}: expected a number of seconds above 0")
        interval = 60
    max_regs = polling.get("max_registers_per_read", MAX_REGISTERS_PER_READ)
    if isinstance(max_regs, bool) or not isinstance(max_regs, int) or not 1 <= max_regs <= MAX_REGISTERS_PER_READ:
        err("polling.max_registers_per_read", f"{max_regs!r}: expected 1..{MAX_REGISTERS_PER_READ}")
        max_regs = MAX_REGISTERS_PER_READ
    across = polling.get("read_across_gaps", False)
    if not isinstance(across, bool):
        err("polling.read_across_gaps", "expected true or false")
        across = False

    raw_fields = document.get("fields")
    fields: list[Field] = []
    if not isinstance(raw_fields, list) or not raw_fields:
        err("fields", "missing: a list of at least one field")
        raw_fields = []
    for i, raw in enumerate(raw_fields):
        fields.extend(_parse_field(raw, f"fields[{i}]", defaults, style, base, err))
    _check_overlaps(fields, err)
    if errors:
        raise RegisterMapError(errors)
    return RegisterMap(
        name=document["name"], title=document["title"], source=dict(source), style=style, base=base,
        fields=tuple(fields), interval_s=float(interval), max_registers_per_read=max_regs, read_across_gaps=across,
        path=path,
    )


_NAME = re.compile(r"^[a-z][a-z0-9_]*(\{n\}[a-z0-9_]*)?$")


def _parse_field(raw: Any, at: str, defaults: dict, style: str, base: int, err) -> list[Field]:
    if not isinstance(raw, dict):
        err(at, "expected an object")
        return []
    get = lambda key, default=None: raw.get(key, defaults.get(key, default))  # noqa: E731
    ok = True

    def bad(key: str, reason: str) -> None:
        nonlocal ok
        ok = False
        err(f"{at}.{key}", reason)

    name = raw.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        bad("name", f"{name!r}: expected a metric name in snake_case (e.g. power_w)")
    table = get("table")
    if table not in TABLES:
        bad("table", f"{table!r} is not one of {', '.join(TABLES)}")
    data_type = get("type", "bool" if table in BIT_TABLES else None)
    if data_type not in codec.DATA_TYPES:
        bad("type", f"{data_type!r} is not one of {', '.join(codec.DATA_TYPES)}")
    elif table in BIT_TABLES and data_type != codec.BIT_TYPE:
        bad("type", f"a {table} is a single bit: its type is bool, not {data_type}")
    elif table in ("input", "holding") and data_type == codec.BIT_TYPE:
        bad("type", f"an {table} register holds a number, not a bool")
    for key in ("word_order", "byte_order"):
        if get(key, "big") not in codec.ORDERS:
            bad(key, f"{get(key)!r}: expected big or little")
    scale = get("scale", 1)
    if isinstance(scale, bool) or not isinstance(scale, int | float) or scale == 0:
        bad("scale", f"{scale!r}: expected a number other than 0")
    writable = raw.get("writable", False)
    if not isinstance(writable, bool):
        bad("writable", "expected true or false")
    elif writable and table not in WRITABLE_TABLES:
        bad("writable", f"{table} fields cannot be written (only coils and holding registers)")
    limits = {}
    for key in ("minimum", "maximum"):
        value = raw.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            bad(key, f"{value!r}: expected a number")
        limits[key] = value
    address = raw.get("address")
    if isinstance(address, bool) or not isinstance(address, int) or not 0 <= address <= 0xFFFF:
        bad("address", f"{address!r}: expected the wire address, a whole number 0..65535")
    doc = raw.get("doc_address")
    if not isinstance(doc, str) or not doc.strip():
        bad("doc_address", "missing: the address as the document writes it")
    repeat = raw.get("repeat") or {"count": 1, "stride": 1}
    count, stride = (repeat.get("count"), repeat.get("stride", 1)) if isinstance(repeat, dict) else (None, None)
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= 256 or not isinstance(stride, int):
        bad("repeat", "expected {\"count\": 1..256, \"stride\": registers between two}")
    elif count > 1 and "{n}" not in (name or ""):
        bad("name", "a repeated field needs {n} in its name")
    if not ok:
        return []
    expected = _wire_address(doc, table, style, base)
    if isinstance(expected, str):
        err(f"{at}.doc_address", expected)
        return []
    if expected != address:
        err(f"{at}.address", f"{address} does not match doc_address {doc} ({_explain(style, base)}: wire address "
                             f"{expected})")
        return []
    size = codec.register_count(data_type)
    if count > 1 and stride < size:
        err(f"{at}.repeat.stride", f"{stride} is less than the {size} register(s) a {data_type} spans")
        return []
    out = []
    for k in range(count):
        n = k + 1
        out.append(Field(
            name=name.replace("{n}", str(n)), label=str(raw.get("label", name)).replace("{n}", str(n)), table=table,
            address=address + k * stride, doc_address=_doc_plus(doc, k * stride), type=data_type,
            word_order=get("word_order", "big"), byte_order=get("byte_order", "big"), scale=float(scale),
            unit=str(raw.get("unit", "")), writable=writable, minimum=limits["minimum"], maximum=limits["maximum"],
        ))
    if any(f.end > 0x10000 for f in out):
        err(f"{at}.address", "the field runs past the last address 65535")
        return []
    return out


def _wire_address(doc: str, table: str, style: str, base: int) -> int | str:
    """The 0-based wire address a document address means, or the reason it cannot be read."""
    text = doc.strip()
    if style == "modicon":
        if not text.isdigit() or len(text) not in (5, 6):
            return f"{doc!r} is not a Modicon register number (5 or 6 digits, e.g. 30001)"
        if text[0] != MODICON_DIGIT[table]:
            return (f"{doc} numbers a {_TABLE_OF_DIGIT.get(text[0], 'unknown')} register (first digit {text[0]}), "
                    f"but the field's table is {table}")
        number = int(text[1:])
        if number < 1:
            return f"{doc}: Modicon numbers count from 1"
        return number - 1
    try:
        number = int(text, 16) if text.lower().startswith("0x") else int(text)
    except ValueError:
        return f"{doc!r} is not a number (decimal or 0x hexadecimal)"
    if number - base < 0:
        return f"{doc} is below the document's first address {base}"
    return number - base


_TABLE_OF_DIGIT = {digit: table for table, digit in MODICON_DIGIT.items()}


def _explain(style: str, base: int) -> str:
    return "Modicon numbers count from 1" if style == "modicon" else f"document addresses count from {base}"


def _doc_plus(doc: str, offset: int) -> str:
    """``doc`` moved by ``offset`` in its own notation (``0x1000`` + 2 → ``0x1002``, ``30001`` + 2 → ``30003``)."""
    if not offset:
        return doc
    text = doc.strip()
    if text.lower().startswith("0x"):
        return f"0x{int(text, 16) + offset:0{len(text) - 2}X}"
    return f"{int(text) + offset:0{len(text)}d}"


def _check_overlaps(fields: Iterable[Field], err) -> None:
    for table in TABLES:
        ordered = sorted((f for f in fields if f.table == table), key=lambda f: f.address)
        for a, b in itertools.pairwise(ordered):
            if b.address < a.end:
                err(b.name, f"{table} {b.doc_address} overlaps {a.name} ({a.doc_address}, {a.size} register(s))")
    names: set[str] = set()
    for f in fields:
        if f.name in names:
            err(f.name, "defined twice")
        names.add(f.name)
