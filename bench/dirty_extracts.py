"""A day of dirty TPC-H deltas beside a clean seed, so a transform bench does the job's real work.

Written from the seed's own first lines, landed a day after them (`ingest_date=2025-01-02`):
- lineitem: repeated lines and revised lines (later extract wins), lines that fail the strict
  parse (a field missing, 30 February, a third decimal place, a null key, an overflowing
  integer, a letter in a number, a string over its length), lines that break a row rule, and
  lines whose order never came (held);
- orders: repeated and revised orders, and one of each kind of rejection;
- customer: a whole file with a field too many (parked as schema drift).
No blank line and no undecodable byte: DuckDB's CSV reader skips the first and refuses the
second, so the reference could not do that work the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import islice
from pathlib import Path

DIRTY_DATE = "ingest_date=2025-01-02"
ORPHAN_ORDER = "999999999"


def _fields(line: str) -> list[str]:
    return line.rstrip("\n").split("|")[:-1]


def _line(fields: list[str]) -> str:
    return "|".join(fields) + "|\n"


def _edit(fields: list[str], index: int, value: str) -> list[str]:
    edited = list(fields)
    edited[index] = value
    return edited


def _first(path: Path, count: int) -> list[list[str]]:
    with path.open() as handle:
        return [_fields(line) for line in islice(handle, count)]


LINEITEM_BROKEN: tuple[Callable[[list[str]], list[str]], ...] = (
    lambda f: f[:-1],  # a field missing
    lambda f: _edit(f, 10, "1995-02-30"),
    lambda f: _edit(f, 4, "12.345"),
    lambda f: _edit(f, 0, ""),
    lambda f: _edit(f, 1, "99999999999999999999"),
    lambda f: _edit(f, 2, "12a"),
    lambda f: _edit(f, 15, "x" * 45),
    lambda f: _edit(f, 4, "99.00"),  # rule: quantity
    lambda f: _edit(f, 6, "0.50"),  # rule: discount
    lambda f: _edit(f, 14, "BOAT"),  # rule: ship mode
    lambda f: _edit(f, 12, f[10]),  # rule: received on the ship date
)

ORDERS_BROKEN: tuple[Callable[[list[str]], list[str]], ...] = (
    lambda f: f + ["extra"],
    lambda f: _edit(f, 4, "1996-13-01"),
    lambda f: _edit(f, 3, "1,234.00"),
    lambda f: _edit(f, 2, "X"),  # rule: order status
    lambda f: _edit(f, 4, "1991-12-31"),  # rule: order date range
)


def add_dirty_extracts(raw_tpch: Path) -> None:
    """Land the dirty day under `raw_tpch` (the raw zone's tpch folder)."""
    seeded = {
        name: raw_tpch / name / "ingest_date=2025-01-01" / f"{name}.tbl"
        for name in ("lineitem", "orders", "customer")
    }
    lines = _first(seeded["lineitem"], 400)
    lineitem = [*lines[:200]]
    lineitem += [_edit(f, 4, "7.00") for f in lines[200:250]]
    lineitem += [broken(f) for broken, f in zip(LINEITEM_BROKEN, lines[250:], strict=False)]
    lineitem += [_edit(_edit(f, 0, ORPHAN_ORDER), 3, str(n)) for n, f in enumerate(lines[:3], 1)]
    orders = _first(seeded["orders"], 100)
    written_orders = [*orders[:20]]
    written_orders += [_edit(f, 5, "1-URGENT") for f in orders[20:30]]
    written_orders += [broken(f) for broken, f in zip(ORDERS_BROKEN, orders[30:], strict=False)]
    drifted = [f + ["drift"] for f in _first(seeded["customer"], 10)]
    files = {
        "lineitem/lineitem.tbl": lineitem,
        "orders/orders.tbl": written_orders,
        "customer/customer-v2.tbl": drifted,
    }
    for relative, rows in files.items():
        table, name = relative.split("/")
        path = raw_tpch / table / DIRTY_DATE / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(_line(f) for f in rows))
