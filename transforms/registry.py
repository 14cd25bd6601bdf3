"""The registry: every declared dataset, found and checked before anything runs.

A dataset is the package `transforms/<name>/` with a `dataset.py` defining `DATASET`, and the
suites `expectations/<name>/<table>.json`. Datasets kept elsewhere (a test's, an out-of-tree
one) are added with SFN_ETL_EXTRA_DATASETS: comma-separated `python.package=suites/folder`.

Everything wrong with a declaration is a DeclarationError naming the file and the field, raised
when the registry loads: a run never starts on a declaration that cannot work. No pyspark here.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import json
import os
import pkgutil
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from orchestration.core.errors import UserError
from transforms.declaration import (
    COMPRESSIONS,
    DESTINATIONS,
    ENCODINGS,
    NAME,
    CuratedTable,
    Dataset,
    DeclarationError,
    Field,
    Parent,
    RawTable,
    parse_type,
)

EXTRA_DATASETS_ENV = "SFN_ETL_EXTRA_DATASETS"
_ROOT = Path(__file__).resolve().parent.parent


def datasets() -> dict[str, Dataset]:
    """Every declared dataset by name, checked; cached per value of SFN_ETL_EXTRA_DATASETS."""
    return _load(os.environ.get(EXTRA_DATASETS_ENV, ""))


def get_dataset(name: str) -> Dataset:
    known = datasets()
    if name not in known:
        raise UserError(f"unknown dataset {name!r}; declared: {', '.join(sorted(known))}")
    return known[name]


def select(names: Iterable[str] | None) -> list[Dataset]:
    """The named datasets (all of them for None or empty), in name order."""
    names = list(names or [])
    if not names:
        return [datasets()[n] for n in sorted(datasets())]
    return [get_dataset(n) for n in sorted(set(names))]


@cache
def _load(extra: str) -> dict[str, Dataset]:
    sources = [(f"transforms.{name}", _ROOT / "expectations" / name) for name in _builtin_names()]
    for entry in filter(None, (e.strip() for e in extra.split(","))):
        package, _, suites = entry.partition("=")
        if not suites:
            raise DeclarationError(
                f"{EXTRA_DATASETS_ENV}: {entry!r} must be python.package=path/to/suites"
            )
        sources.append((package, Path(suites)))
    found: dict[str, Dataset] = {}
    for package, suites in sources:
        dataset = load_dataset(package, suites)
        if dataset.name in found:
            raise DeclarationError(f"{package}: dataset {dataset.name!r} is declared twice")
        found[dataset.name] = dataset
    check_folders(found.values())
    return found


def _builtin_names() -> list[str]:
    root = _ROOT / "transforms"
    return sorted(
        info.name
        for info in pkgutil.iter_modules([str(root)])
        if info.ispkg and (root / info.name / "dataset.py").is_file()
    )


def load_dataset(package: str, suites: Path) -> Dataset:
    """Import `<package>.dataset`, take its DATASET and check it with its suites folder."""
    module_name = f"{package}.dataset"
    spec = importlib.util.find_spec(module_name)
    source = spec.origin if spec and spec.origin else module_name
    module = importlib.import_module(module_name)
    dataset = getattr(module, "DATASET", None)
    if not isinstance(dataset, Dataset):
        raise DeclarationError(f"{source}: DATASET must be a transforms.declaration.Dataset")
    dataset = dataclasses.replace(dataset, package=package, suites=str(suites))
    check_dataset(dataset, source)
    return dataset


def check_dataset(dataset: Dataset, source: str) -> None:
    """Every check of one declaration; the first problem raises, naming `source` and field."""
    where = f"{source}: dataset {dataset.name!r}"
    _name(dataset.name, f"{source}: dataset name")
    package_leaf = dataset.package.rsplit(".", 1)[-1]
    if package_leaf != dataset.name:
        raise DeclarationError(f"{where}: must be named after its folder {package_leaf!r}")
    if not dataset.raw_tables:
        raise DeclarationError(f"{where}: no raw_tables")
    if not dataset.curated_tables:
        raise DeclarationError(f"{where}: no curated_tables")
    unknown = sorted(set(dataset.destinations) - set(DESTINATIONS))
    if unknown or not dataset.destinations:
        raise DeclarationError(
            f"{where}: destinations {list(dataset.destinations)}: expected some of "
            f"{', '.join(DESTINATIONS)}"
        )
    if not 0.0 <= dataset.max_quarantine_share <= 1.0:
        raise DeclarationError(f"{where}: max_quarantine_share must be between 0 and 1")
    if not _is_int(dataset.quarantine_floor) or dataset.quarantine_floor < 0:
        raise DeclarationError(
            f"{where}: quarantine_floor {dataset.quarantine_floor!r} must be a whole number >= 0"
        )
    if not _is_int(dataset.max_attempts) or dataset.max_attempts < 1:
        raise DeclarationError(
            f"{where}: max_attempts {dataset.max_attempts!r} must be a whole number >= 1"
        )
    names: set[str] = set()
    for table in dataset.raw_tables:
        _check_raw(table, f"{source}: raw table {table.name!r}")
        _unique(table.name, names, source)
    for table in dataset.raw_tables:
        for index, parent in enumerate(table.parents):
            where_parent = f"{source}: raw table {table.name!r}: parents[{index}]"
            _check_parent(dataset, table, parent, where_parent)
    for table in dataset.curated_tables:
        _check_curated(dataset, table, names, f"{source}: curated table {table.name!r}")
        _unique(table.name, names, source)
    _check_suites(dataset, source)


def check_code(dataset: Dataset) -> None:
    """Every `module:function` the dataset names exists. Not part of loading the registry: the
    load Lambda ships the declarations without the Spark builders."""
    source = f"{dataset.package}.dataset"
    for table in dataset.curated_tables:
        _module_function(dataset, table.build, f"{source}: curated table {table.name!r}: build")
    if dataset.seed is not None:
        _module_function(dataset, dataset.seed, f"{source}: seed")


def _check_raw(table: RawTable, where: str) -> None:
    _name(table.name, f"{where}: name")
    _fields(table.fields, where)
    if not table.business_keys:
        raise DeclarationError(f"{where}: no business key (mark one field key=True)")
    fmt = table.format
    if len(fmt.delimiter) != 1:
        raise DeclarationError(f"{where}: format.delimiter must be one character")
    for attribute in ("quote", "escape"):
        value = getattr(fmt, attribute)
        if value is not None and len(value) != 1:
            raise DeclarationError(f"{where}: format.{attribute} must be one character or None")
    if fmt.encoding.lower() not in ENCODINGS:
        raise DeclarationError(
            f"{where}: format.encoding {fmt.encoding!r}: expected one of {', '.join(ENCODINGS)}"
        )
    if fmt.compression not in COMPRESSIONS:
        raise DeclarationError(
            f"{where}: format.compression {fmt.compression!r}: expected one of "
            f"{', '.join(COMPRESSIONS)}"
        )
    if not _is_share(table.park_share):
        raise DeclarationError(
            f"{where}: park_share {table.park_share!r} must be a share in (0, 1]"
        )
    rule_names: set[str] = set()
    for rule in table.rules:
        if not rule.condition.strip() or not rule.reason.strip():
            raise DeclarationError(f"{where}: rule {rule.name!r} needs a condition and a reason")
        if rule.name in rule_names:
            raise DeclarationError(f"{where}: rule {rule.name!r} is declared twice")
        rule_names.add(rule.name)
        if not _is_share(rule.mostly):
            raise DeclarationError(
                f"{where}: rule {rule.name!r}: mostly {rule.mostly!r} must be a share in (0, 1]"
            )
        if not rule.gate and rule.mostly != 1.0:
            raise DeclarationError(
                f"{where}: rule {rule.name!r}: mostly {rule.mostly!r} applies to gate rules "
                "only (a row rule quarantines every row breaking it); set gate=True"
            )


def _check_parent(dataset: Dataset, table: RawTable, parent: Parent, where: str) -> None:
    raw = {t.name: t for t in dataset.raw_tables}
    if parent.table == table.name:
        raise DeclarationError(f"{where}: table {parent.table!r} is the table itself")
    if parent.table not in raw:
        raise DeclarationError(
            f"{where}: table {parent.table!r} is not a raw table of {dataset.name}"
        )
    for attribute in ("keys", "parent_keys"):
        value = getattr(parent, attribute)
        if isinstance(value, str) or not value:
            raise DeclarationError(
                f"{where}: {attribute} {value!r} must be a non-empty tuple of field names"
            )
    if len(parent.keys) != len(parent.parent_keys):
        raise DeclarationError(
            f"{where}: {len(parent.keys)} keys {list(parent.keys)} but "
            f"{len(parent.parent_keys)} parent_keys {list(parent.parent_keys)}"
        )
    for attribute, names, owner in (
        ("keys", parent.keys, table),
        ("parent_keys", parent.parent_keys, raw[parent.table]),
    ):
        unknown = [n for n in names if n not in owner.field_names]
        if unknown:
            raise DeclarationError(
                f"{where}: {attribute}: {unknown[0]!r} is not a field of {owner.name!r}"
            )
    if (
        isinstance(parent.hold_days, bool)
        or not isinstance(parent.hold_days, int | float)
        or not parent.hold_days > 0
    ):
        raise DeclarationError(f"{where}: hold_days {parent.hold_days!r} must be more than 0")


def _is_share(value: object) -> bool:
    """A number in (0, 1]."""
    return not isinstance(value, bool) and isinstance(value, int | float) and 0 < value <= 1


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_curated(dataset: Dataset, table: CuratedTable, earlier: set[str], where: str) -> None:
    _name(table.name, f"{where}: name")
    _fields(table.columns, where)
    columns = set(table.column_names)
    if not table.business_keys:
        raise DeclarationError(f"{where}: no business key (mark one column key=True)")
    for column in (*table.sortkey, *([table.distkey] if table.distkey else [])):
        if column not in columns:
            raise DeclarationError(f"{where}: sort/dist key {column!r} is not a column")
    if not table.inputs:
        raise DeclarationError(f"{where}: no inputs")
    for name in table.inputs:
        if name not in earlier:
            raise DeclarationError(
                f"{where}: input {name!r} is not a raw table or a curated table declared before it"
            )
    raw_names = {t.name for t in dataset.raw_tables}
    if table.source is not None and table.source not in raw_names:
        raise DeclarationError(f"{where}: source {table.source!r} is not a raw table")
    if table.source is not None and table.source not in table.inputs:
        raise DeclarationError(f"{where}: source {table.source!r} must be one of its inputs")
    if table.unknown_member is not None:
        extra = sorted(set(table.unknown_member) - columns)
        if extra:
            raise DeclarationError(f"{where}: unknown_member has no column {extra[0]!r}")
        missing = [k for k in table.business_keys if table.unknown_member.get(k) is None]
        if missing:
            raise DeclarationError(f"{where}: unknown_member needs business key {missing[0]!r}")


def _fields(fields: tuple[Field, ...], where: str) -> None:
    if not fields:
        raise DeclarationError(f"{where}: no fields")
    seen: set[str] = set()
    for column in fields:
        _name(column.name, f"{where}: field name")
        if column.name in seen:
            raise DeclarationError(f"{where}: field {column.name!r} is declared twice")
        seen.add(column.name)
        try:
            parse_type(column.type)
        except ValueError as exc:
            raise DeclarationError(f"{where}: field {column.name!r}: {exc}") from None


def _module_function(dataset: Dataset, reference: str, where: str) -> None:
    """`module:function` naming a module file of the dataset's package (not imported here:
    builders import pyspark)."""
    module, _, function = reference.partition(":")
    if not module or not function.isidentifier():
        raise DeclarationError(f"{where}: {reference!r} must be 'module:function'")
    spec = importlib.util.find_spec(dataset.package)
    folder = Path(spec.origin).parent if spec and spec.origin else None
    if folder is None or not (folder / f"{module.replace('.', '/')}.py").is_file():
        raise DeclarationError(f"{where}: no module {module!r} in {dataset.package}")


_COLUMN_KWARGS = ("column", "column_A", "column_B")


def _check_suites(dataset: Dataset, source: str) -> None:
    """A suite per curated table and none for another name; every column a suite names is a
    column of its table. (The validate job builds each expectation with GX on top of this.)"""
    folder = Path(dataset.suites)
    curated = {t.name for t in dataset.curated_tables}
    present = {p.stem: p for p in folder.glob("*.json")} if folder.is_dir() else {}
    for name in sorted(set(present) - curated):
        raise DeclarationError(
            f"{present[name]}: suite for {name!r}, which is not a curated table of "
            f"{dataset.name} ({source})"
        )
    for name in sorted(curated - set(present)):
        raise DeclarationError(
            f"{folder / (name + '.json')}: missing: every curated table of {dataset.name} "
            "needs an expectation suite"
        )
    for name, path in sorted(present.items()):
        _check_suite_columns(path, set(dataset.curated(name).column_names))


def _check_suite_columns(path: Path, columns: set[str]) -> None:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DeclarationError(f"{path}: not a readable JSON suite ({exc})") from None
    expectations = document.get("expectations") if isinstance(document, dict) else None
    if not isinstance(expectations, list):
        raise DeclarationError(f'{path}: expected an object with an "expectations" list')
    for number, entry in enumerate(expectations, start=1):
        kwargs = entry.get("kwargs", {}) if isinstance(entry, dict) else {}
        named = [kwargs[k] for k in _COLUMN_KWARGS if k in kwargs] + list(
            kwargs.get("column_list", [])
        )
        unknown = sorted(str(c) for c in named if c not in columns)
        if unknown:
            raise DeclarationError(
                f"{path}: expectation {number} ({entry.get('type')}): no column "
                f"{', '.join(unknown)} in {path.stem}"
            )


def check_folders(all_datasets: Iterable[Dataset]) -> None:
    """No raw folder is claimed twice, nor nested in another's (one file, one table)."""
    claims: list[tuple[str, str]] = []
    for dataset in all_datasets:
        for table in dataset.raw_tables:
            claims.append((dataset.folder_of(table), f"{dataset.name}.{table.name}"))
    claims.sort()
    for (folder, owner), (other, other_owner) in zip(claims, claims[1:], strict=False):
        if other == folder or other.startswith(folder + "/"):
            raise DeclarationError(
                f"raw folder raw/{other} is claimed by both {owner} and {other_owner}"
            )


def _name(value: object, where: str) -> None:
    if not isinstance(value, str) or not NAME.match(value):
        raise DeclarationError(f"{where}: {value!r} must match {NAME.pattern}")


def _unique(name: str, seen: set[str], source: str) -> None:
    if name in seen:
        raise DeclarationError(f"{source}: table {name!r} is declared twice")
    seen.add(name)


def resolve(dataset: Dataset, reference: str):
    """The function a `module:function` reference of the dataset names."""
    module, _, function = reference.partition(":")
    return getattr(importlib.import_module(f"{dataset.package}.{module}"), function)
