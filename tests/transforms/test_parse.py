from datetime import date
from decimal import Decimal

from chispa import assert_df_equality
from pyspark.sql.types import StructField, StructType

from transforms.parse import parse_lines, split_parsed
from transforms.schemas import QUARANTINE_SCHEMA, RAW_TABLES

NATION = RAW_TABLES["nation"]
ORDERS = RAW_TABLES["orders"]
SOURCE = "/lake/raw/tpch/orders/ingest_date=2025-01-01/orders.tbl"


def _lines(spark, *raw_lines):
    return spark.createDataFrame(
        [(SOURCE, line) for line in raw_lines], "source_file string, raw_line string"
    )


def _orders_schema():
    return StructType(
        [
            StructField("source_file", QUARANTINE_SCHEMA["source_file"].dataType),
            StructField("raw_line", QUARANTINE_SCHEMA["raw_line"].dataType),
        ]
        + list(ORDERS.spark_schema.fields)
    )


def test_good_line_is_typed_with_trailing_delimiter_removed(spark):
    line = "1|370|O|172799.49|1996-01-02|5-LOW|Clerk#000000951|0|nstructions sleep |"
    good, rejected = split_parsed(parse_lines(_lines(spark, line), ORDERS))

    expected = spark.createDataFrame(
        [
            (
                SOURCE,
                line,
                1,
                370,
                "O",
                Decimal("172799.49"),
                date(1996, 1, 2),
                "5-LOW",
                "Clerk#000000951",
                0,
                "nstructions sleep ",
            )
        ],
        _orders_schema(),
    )
    assert_df_equality(good, expected, ignore_nullable=True)
    assert rejected.count() == 0


def test_line_without_trailing_delimiter_is_accepted(spark):
    good, _ = split_parsed(parse_lines(_lines(spark, "7|GERMANY|3|comment"), NATION))
    assert [tuple(r)[2:] for r in good.collect()] == [(7, "GERMANY", 3, "comment")]


def _reasons(spark, table, *raw_lines):
    good, rejected = split_parsed(parse_lines(_lines(spark, *raw_lines), table))
    assert good.count() == 0
    return [(r.raw_line, r.reason) for r in rejected.orderBy("raw_line").collect()]


def test_wrong_field_count_is_rejected_with_counts(spark):
    assert _reasons(spark, NATION, "7|GERMANY|3|", "7|GERMANY|3|x|extra|") == [
        ("7|GERMANY|3|", "expected 4 fields separated by '|', found 3"),
        ("7|GERMANY|3|x|extra|", "expected 4 fields separated by '|', found 5"),
    ]


def test_wrong_delimiter_is_rejected_as_one_field(spark):
    assert _reasons(spark, NATION, "7,GERMANY,3,comment") == [
        ("7,GERMANY,3,comment", "expected 4 fields separated by '|', found 1")
    ]


def test_unparseable_number_and_date_are_rejected_naming_the_field(spark):
    assert _reasons(
        spark,
        ORDERS,
        "1|abc|O|10.00|1996-01-02|5-LOW|Clerk|0|c|",
        "2|370|O|10.00|1996-02-30|5-LOW|Clerk|0|c|",
        "3|370|O|10.005|1996-01-02|5-LOW|Clerk|0|c|",
    ) == [
        (
            "1|abc|O|10.00|1996-01-02|5-LOW|Clerk|0|c|",
            "field o_custkey: 'abc' is not a valid bigint",
        ),
        (
            "2|370|O|10.00|1996-02-30|5-LOW|Clerk|0|c|",
            "field o_orderdate: '1996-02-30' is not a valid date",
        ),
        (
            "3|370|O|10.005|1996-01-02|5-LOW|Clerk|0|c|",
            "field o_totalprice: '10.005' is not a valid decimal(15,2)",
        ),
    ]


def test_integer_overflow_is_rejected_not_nulled(spark):
    assert _reasons(spark, NATION, "99999999999|X|3|c|") == [
        ("99999999999|X|3|c|", "field n_nationkey: '99999999999' is not a valid int")
    ]


def test_null_business_key_is_rejected(spark):
    assert _reasons(spark, NATION, "|GERMANY|3|c|") == [
        ("|GERMANY|3|c|", "null business key n_nationkey")
    ]


def test_invalid_utf8_and_blank_lines_are_rejected(spark):
    assert _reasons(spark, NATION, "7|GER\ufffdMANY|3|c|", "   ") == [
        ("   ", "blank line"),
        ("7|GER\ufffdMANY|3|c|", "line is not valid UTF-8"),
    ]


def test_empty_non_key_field_becomes_null(spark):
    good, _ = split_parsed(parse_lines(_lines(spark, "7||3||"), NATION))
    assert [tuple(r)[2:] for r in good.collect()] == [(7, None, 3, None)]


def test_every_line_comes_out_exactly_once(spark):
    lines = ["7|GERMANY|3|c|", "x|GERMANY|3|c|", "8|FRANCE|3|c|", "bad"]
    good, rejected = split_parsed(parse_lines(_lines(spark, *lines), NATION))
    assert sorted(r.raw_line for r in good.collect() + rejected.collect()) == sorted(lines)
