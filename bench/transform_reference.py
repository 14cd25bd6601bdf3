"""The transform job's work on a first TPC-H batch, as DuckDB SQL: the bench's reference.

Generated from the dataset's declaration, so it does what the job does and no less: every line
parsed strictly with the parser's own value patterns and the first reason it fails (in the
parser's order: field count, null keys, then each field), files more than `park_share`
rejected parked whole, row rules applied with their reasons, the latest row kept per business
key, children without a known parent held, the kept tables' state written, the star schema
built with its builders' rejects (unknown nation) and the curated string limits, quarantine
written, and every count the job reports. Then `STAR_SCHEMA` builds TPC-H's curated tables.

What it leaves out, because a first batch of unquoted, header-less extracts never needs it:
carried state and held rows of an earlier batch (and so expiry), quoted fields, header lines,
gate rules, compressed or unreadable files.
"""

from __future__ import annotations

from transforms.declaration import ColumnType, Dataset, RawTable
from transforms.parse import value_pattern

DUCKDB_TYPES = {"int": "INTEGER", "bigint": "BIGINT", "date": "DATE", "double": "DOUBLE"}

STAR_SCHEMA = {
    "fact_sales": """SELECT l_orderkey order_key, l_linenumber line_number,
        o_custkey customer_key, l_partkey part_key, l_suppkey supplier_key,
        CAST(strftime(o_orderdate, '%Y%m%d') AS INTEGER) order_date_key, o_orderdate order_date,
        l_shipdate ship_date, l_commitdate commit_date, l_receiptdate receipt_date,
        l_quantity quantity, l_extendedprice extended_price, l_discount discount, l_tax tax,
        CAST(round(l_extendedprice * (1 - l_discount), 2) AS DECIMAL(18,2)) revenue,
        l_returnflag return_flag, l_linestatus line_status, l_shipmode ship_mode,
        l_shipinstruct ship_instruct, o_orderstatus order_status, o_orderpriority order_priority
        FROM lineitem__released JOIN orders__latest ON l_orderkey = o_orderkey""",
    "dim_customer": """SELECT c_custkey customer_key, c_name AS name, c_address address,
        c_phone phone, c_acctbal account_balance, c_mktsegment market_segment, nation_key,
        nation_name, region_key, region_name, nation_key IS NOT NULL _found,
        printf('unknown nation key %d', c_nationkey) _unknown, source_file, raw_line
        FROM customer__latest LEFT JOIN geography ON c_nationkey = nation_key""",
    "dim_supplier": """SELECT s_suppkey supplier_key, s_name AS name, s_address address,
        s_phone phone, s_acctbal account_balance, nation_key, nation_name, region_key,
        region_name, nation_key IS NOT NULL _found,
        printf('unknown nation key %d', s_nationkey) _unknown, source_file, raw_line
        FROM supplier__latest LEFT JOIN geography ON s_nationkey = nation_key""",
    "dim_part": """SELECT p_partkey part_key, p_name AS name, p_mfgr manufacturer,
        p_brand brand, p_type part_type, p_size AS size, p_container container,
        p_retailprice retail_price FROM part__latest""",
}

GEOGRAPHY = """CREATE OR REPLACE TABLE geography AS SELECT n_nationkey nation_key,
    n_name nation_name, n_regionkey region_key, r_name region_name
    FROM nation__latest LEFT JOIN region__latest ON n_regionkey = r_regionkey"""

DIM_DATE = """SELECT CAST(strftime(d, '%Y%m%d') AS INTEGER) date_key, CAST(d AS DATE) AS date,
    CAST(year(d) AS INTEGER) AS year, CAST(quarter(d) AS INTEGER) AS quarter,
    CAST(month(d) AS INTEGER) AS month, monthname(d) month_name,
    CAST(day(d) AS INTEGER) AS day_of_month, CAST(isodow(d) AS INTEGER) day_of_week,
    dayname(d) day_name, CAST(weekofyear(d) AS INTEGER) week_of_year,
    isodow(d) >= 6 is_weekend FROM (SELECT unnest(generate_series(
        (SELECT min(least(order_date, ship_date, commit_date, receipt_date)) FROM fact_sales),
        (SELECT max(greatest(order_date, ship_date, commit_date, receipt_date)) FROM fact_sales),
        INTERVAL 1 DAY)) d)"""


def _text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _duckdb_type(column_type: ColumnType) -> str:
    if column_type.kind == "decimal":
        return f"DECIMAL({column_type.precision},{column_type.scale})"
    if column_type.kind == "string":
        return "VARCHAR"
    if column_type.kind not in DUCKDB_TYPES:
        raise NotImplementedError(f"the reference does not parse {column_type.kind}")
    return DUCKDB_TYPES[column_type.kind]


def _check_supported(table: RawTable) -> None:
    fmt = table.format
    if fmt.quote is not None or fmt.header or fmt.compression != "none":
        raise NotImplementedError(f"{table.name}: the reference reads only plain, unquoted files")
    if any(rule.gate for rule in table.rules):
        raise NotImplementedError(f"{table.name}: the reference applies no gate rule")


def _parse(table: RawTable) -> str:
    """The typed fields and the first reason each line fails, in the parser's order."""
    fmt = table.format
    empty_tokens = ", ".join(_text(t) for t in ("", *fmt.null_tokens))
    typed, key_errors, field_errors = [], [], []
    for index, field in enumerate(table.fields, 1):
        raw = f"_f[{index}]"
        column_type = field.column_type
        empty = f"({raw} IS NULL OR {raw} IN ({empty_tokens}))"
        cast = f"TRY_CAST({raw} AS {_duckdb_type(column_type)})"
        typed.append(f"CASE WHEN {empty} THEN NULL ELSE {cast} END AS {field.name}")
        if field.key:
            key_errors.append(
                f"CASE WHEN {empty} THEN {_text('null business key ' + field.name)} END"
            )
        if column_type.kind == "string":
            message = (
                _text(f"field {field.name}: ")
                + f" || strlen({raw}) || "
                + _text(f" bytes, longer than string({column_type.length})")
            )
            field_errors.append(
                f"CASE WHEN NOT {empty} AND strlen({raw}) > {column_type.length} THEN {message} END"
            )
            continue
        pattern = _text(value_pattern(column_type))
        message = (
            _text(f"field {field.name}: '")
            + f" || {raw} || "
            + _text(f"' is not a valid {field.type}")
        )
        field_errors.append(
            f"CASE WHEN NOT {empty} AND (NOT regexp_matches({raw}, {pattern}) OR {cast} IS NULL) "
            f"THEN {message} END"
        )
    expected = len(table.fields)
    count = "len(_f)"
    if fmt.trailing_delimiter:
        count = "len(_f) - CASE WHEN _f[-1] = '' THEN 1 ELSE 0 END"
    delimiter = fmt.delimiter
    reason = ", ".join(
        [
            "CASE WHEN trim(raw_line) = '' THEN 'blank line' END",
            f"CASE WHEN _n <> {expected} THEN "
            + _text(f"expected {expected} fields separated by '{delimiter}', found ")
            + " || _n END",
            *key_errors,
            *field_errors,
        ]
    )
    split = f"string_split(raw_line, {_text(delimiter)})"
    return (
        f"SELECT source_file, raw_line, {', '.join(typed)}, coalesce({reason}) AS reason "
        f"FROM (SELECT source_file, raw_line, _f, {count} AS _n "
        f"FROM (SELECT source_file, raw_line, {split} AS _f FROM {table.name}__lines))"
    )


def _rule_reason(table: RawTable) -> str:
    reasons = [
        f"CASE WHEN NOT coalesce(({rule.condition}), TRUE) "
        f"THEN {_text(f'rule {rule.name}: {rule.reason}')} END"
        for rule in table.rules
    ]
    return f"coalesce({', '.join([*reasons, 'NULL::VARCHAR'])})"


def raw_statements(dataset: Dataset, table: RawTable, raw_root: str) -> list[str]:
    """Read, parse, park, apply the rules and keep the latest rows of one raw table:
    `<t>__lines`, `<t>__parsed`, `<t>__files`, `<t>__ruled`, `<t>__latest`, `<t>__rejected`."""
    _check_supported(table)
    name = table.name
    columns = ", ".join(["source_file", "raw_line", *table.field_names])
    keys = ", ".join(table.business_keys)
    share = f"{table.park_share:.0%}"
    glob = f"{raw_root}/{dataset.folder_of(table)}/*/*"
    return [
        f"""CREATE OR REPLACE TABLE {name}__lines AS SELECT filename AS source_file, raw_line
        FROM read_csv({_text(glob)}, columns={{'raw_line': 'VARCHAR'}}, delim=chr(1),
        quote='', escape='', header=false, filename=true, auto_detect=false, nullstr=chr(2),
        new_line='\\n', strict_mode=false)""",
        f"CREATE OR REPLACE TABLE {name}__parsed AS {_parse(table)}",
        f"""CREATE OR REPLACE TABLE {name}__files AS SELECT source_file, count(*) AS read,
        count(*) FILTER (reason IS NULL) AS good, min(reason) AS first_reason,
        read - good > {table.park_share} * read AS parked,
        printf('%d of %d lines rejected (more than {share.replace("%", "%%")}), e.g. %s',
            read - good, read, first_reason) AS parked_reason
        FROM {name}__parsed GROUP BY source_file""",
        f"""CREATE OR REPLACE TABLE {name}__ruled AS SELECT *, {_rule_reason(table)} AS _broken
        FROM {name}__parsed WHERE reason IS NULL AND source_file IN
        (SELECT source_file FROM {name}__files WHERE NOT parked)""",
        f"""CREATE OR REPLACE TABLE {name}__latest AS SELECT {columns} FROM {name}__ruled
        WHERE _broken IS NULL QUALIFY row_number() OVER (PARTITION BY {keys}
        ORDER BY source_file DESC, raw_line DESC) = 1""",
        f"""CREATE OR REPLACE TABLE {name}__rejected AS
        SELECT source_file, raw_line, reason FROM {name}__parsed WHERE reason IS NOT NULL
            AND source_file IN (SELECT source_file FROM {name}__files WHERE NOT parked)
        UNION ALL SELECT source_file, raw_line, _broken FROM {name}__ruled
            WHERE _broken IS NOT NULL""",
    ]


def hold_statements(table: RawTable, held_since: str) -> list[str]:
    """A child table's latest rows split into `<t>__released` (every parent known) and
    `<t>__held` (with `held_since`): a first batch, so nothing has waited long enough to
    expire."""
    name = table.name
    columns = ", ".join(["source_file", "raw_line", *table.field_names])
    found = " AND ".join(
        f"EXISTS (SELECT 1 FROM {parent.table}__latest p WHERE "
        + " AND ".join(
            f"p.{pk} = c.{k}" for k, pk in zip(parent.keys, parent.parent_keys, strict=True)
        )
        + ")"
        for parent in table.parents
    )
    return [
        f"""CREATE OR REPLACE TABLE {name}__candidates AS SELECT {columns}, {found} AS _found
        FROM {name}__latest c""",
        f"""CREATE OR REPLACE TABLE {name}__released AS SELECT {columns}
        FROM {name}__candidates WHERE _found""",
        f"""CREATE OR REPLACE TABLE {name}__held AS SELECT {columns},
        TIMESTAMP {_text(held_since)} AS held_since FROM {name}__candidates WHERE NOT _found""",
    ]


def _limit_violation(dataset: Dataset, table_name: str) -> str:
    reasons = [
        f"CASE WHEN strlen({c.name}) > {c.column_type.length} THEN "
        + _text(f"column {c.name}: ")
        + f" || strlen({c.name}) || "
        + _text(f" bytes, longer than string({c.column_type.length})")
        + " END"
        for c in dataset.curated(table_name).columns
        if c.column_type.kind == "string"
    ]
    return f"coalesce({', '.join([*reasons, 'NULL::VARCHAR'])})"


def curated_statements(dataset: Dataset) -> list[str]:
    """TPC-H's star schema from the released and latest rows, each table checked against its
    declared string limits; builders' rejects appended to `<source>__rejected`."""
    statements = [GEOGRAPHY]
    for name, select in STAR_SCHEMA.items():
        table = dataset.curated(name)
        columns = ", ".join(c.name for c in table.columns)
        statements.append(
            f"CREATE OR REPLACE TABLE {name}__built AS SELECT *, "
            f"{_limit_violation(dataset, name)} AS _limit FROM ({select})"
        )
        found = "_found AND " if "_found" in select else ""
        statements.append(
            f"CREATE OR REPLACE TABLE {name} AS SELECT {columns} FROM {name}__built "
            f"WHERE {found}_limit IS NULL"
        )
        if found:
            statements.append(
                f"INSERT INTO {table.source}__rejected SELECT source_file, raw_line, _unknown "
                f"FROM {name}__built WHERE NOT _found"
            )
        statements.append(
            f"INSERT INTO {table.source}__rejected SELECT {_text(f'tpch.{name} (built)')}, "
            f"to_json(struct_pack({columns})), _limit FROM {name}__built "
            f"WHERE {found}_limit IS NOT NULL"
        )
    statements.append(f"CREATE OR REPLACE TABLE dim_date AS {DIM_DATE}")
    return statements


def reference_statements(dataset: Dataset, raw_root: str, held_since: str) -> list[str]:
    """Every statement of the job's work, in order, before anything is written."""
    statements = []
    for table in dataset.raw_tables:
        statements += raw_statements(dataset, table, raw_root)
    for table in dataset.raw_tables:
        if table.parents:
            statements += hold_statements(table, held_since)
    return statements + curated_statements(dataset)


def outputs(dataset: Dataset) -> dict[str, str]:
    """{output name: the reference's table}: what the job writes, named as the bench compares
    them (`curated/<t>`, `quarantine/<raw>`, `state/<raw>`, `held/<raw>`)."""
    named = {f"curated/{t.name}": t.name for t in dataset.curated_tables}
    named.update({f"quarantine/{t.name}": f"{t.name}__rejected" for t in dataset.raw_tables})
    named.update({f"state/{t}": f"{t}__latest" for t in dataset.kept_tables()})
    named.update({f"held/{t.name}": f"{t.name}__held" for t in dataset.raw_tables if t.parents})
    return named


def count_queries(dataset: Dataset) -> dict[str, str]:
    """{"<raw table>.<count>": query} of the counts the job reports, and each curated table's
    written rows as "<table>.written"."""
    queries = {}
    for table in dataset.raw_tables:
        name = table.name
        queries |= {
            f"{name}.read": f"SELECT coalesce(sum(read), 0) FROM {name}__files",
            f"{name}.parked": f"SELECT coalesce(sum(read), 0) FROM {name}__files WHERE parked",
            f"{name}.good": f"SELECT count(*) FROM {name}__ruled WHERE _broken IS NULL",
            f"{name}.duplicates": f"""SELECT (SELECT count(*) FROM {name}__ruled
                WHERE _broken IS NULL) - (SELECT count(*) FROM {name}__latest)""",
            f"{name}.quarantined": f"SELECT count(*) FROM {name}__rejected",
            f"{name}.files": f"SELECT count(*) FROM {name}__files",
        }
        if table.parents:
            queries[f"{name}.held"] = f"SELECT count(*) FROM {name}__held"
    for table in dataset.curated_tables:
        queries[f"{table.name}.written"] = f"SELECT count(*) FROM {table.name}"
    return queries
