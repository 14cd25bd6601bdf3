from datetime import date, datetime
from decimal import Decimal

from chispa import assert_df_equality
from pyspark.sql.types import StructField, StructType

from transforms.declaration import Field, FileFormat, RawTable
from transforms.parse import parse_lines, split_parsed
from transforms.schemas import QUARANTINE_SCHEMA, spark_schema
from transforms.tpch.dataset import DATASET

NATION = DATASET.raw("nation")
ORDERS = DATASET.raw("orders")
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
        + list(spark_schema(ORDERS.fields).fields)
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


CSV_TABLE = RawTable(
    name="things",
    fields=(
        Field("thing_id", "int", key=True),
        Field("label", "string(5)"),
        Field("weight", "double"),
        Field("seen_at", "timestamp"),
        Field("active", "boolean"),
        Field("count", "decimal(4,0)"),
    ),
    format=FileFormat(delimiter=",", header=True, quote='"', null_tokens=("NA",)),
)


def _typed(spark, table, *raw_lines):
    good, rejected = split_parsed(parse_lines(_lines(spark, *raw_lines), table))
    return [tuple(r)[2:] for r in good.orderBy("raw_line").collect()], [
        (r.raw_line, r.reason) for r in rejected.orderBy("raw_line").collect()
    ]


def test_quoted_csv_fields_keep_their_delimiters_and_doubled_quotes(spark):
    good, rejected = _typed(
        spark, CSV_TABLE, '1,"a,b",2.5,2013-01-01T10:00:00Z,true,7', '2,"x""y",NA,NA,NA,NA'
    )
    assert rejected == []
    assert good == [
        (1, "a,b", 2.5, datetime(2013, 1, 1, 10, 0), True, Decimal("7")),
        (2, 'x"y', None, None, None, None),
    ]


def test_the_header_line_is_neither_a_row_nor_a_rejection(spark):
    parsed = parse_lines(
        _lines(spark, "thing_id,label,weight,seen_at,active,count", "1,a,1,NA,NA,1"), CSV_TABLE
    )
    good, rejected = split_parsed(parsed)
    assert [r.thing_id for r in good.collect()] == [1]
    assert rejected.count() == 0
    assert parsed.where("is_header").count() == 1


def test_a_string_longer_than_its_declared_bytes_is_rejected_counting_utf8_bytes(spark):
    # "ééé" is 3 characters but 6 bytes: Redshift's VARCHAR(5) would refuse it too.
    good, rejected = _typed(spark, CSV_TABLE, "1,ééé,1,NA,NA,1", "2,abcde,1,NA,NA,1")
    assert [g[0] for g in good] == [2]
    assert rejected == [("1,ééé,1,NA,NA,1", "field label: 6 bytes, longer than string(5)")]


def test_malformed_doubles_booleans_timestamps_and_integral_decimals_are_rejected(spark):
    _, rejected = _typed(
        spark,
        CSV_TABLE,
        "1,a,5,755.94,NA,NA,NA",
        "2,a,1e3x,NA,NA,NA",
        "3,a,1,2013-02-30T00:00:00Z,NA,NA",
        "4,a,1,NA,yes,NA",
        "5,a,1,NA,NA,1.5",
    )
    assert rejected == [
        ("1,a,5,755.94,NA,NA,NA", "expected 6 fields separated by ',', found 7"),
        ("2,a,1e3x,NA,NA,NA", "field weight: '1e3x' is not a valid double"),
        (
            "3,a,1,2013-02-30T00:00:00Z,NA,NA",
            "field seen_at: '2013-02-30T00:00:00Z' is not a valid timestamp",
        ),
        ("4,a,1,NA,yes,NA", "field active: 'yes' is not a valid boolean"),
        ("5,a,1,NA,NA,1.5", "field count: '1.5' is not a valid decimal(4,0)"),
    ]


def test_latin1_extracts_are_decoded_as_latin1_and_utf8_ones_reject_latin1_bytes(spark, tmp_path):
    from jobs.transformation.inputs import read_lines

    path = tmp_path / "x.csv"
    path.write_bytes("1,café\n".encode("latin-1"))
    latin1 = read_lines(spark, [str(path)], FileFormat(encoding="iso-8859-1"))
    utf8 = read_lines(spark, [str(path)], FileFormat())
    assert [r.raw_line for r in latin1.collect()] == ["1,café"]
    assert [r.raw_line for r in utf8.collect()] == ["1,caf\ufffd"]


CUSTOMER = DATASET.raw("customer")


def test_a_20_mb_string_in_a_string_117_field_is_rejected_naming_the_field(spark):
    comment = "x" * (20 * 1024 * 1024)
    line = f"1|Customer#1|addr|15|25-989-741-2988|711.56|BUILDING|{comment}|"
    good, rejected = split_parsed(parse_lines(_lines(spark, line), CUSTOMER))
    assert good.count() == 0
    assert [r.reason for r in rejected.select("reason").collect()] == [
        "field c_comment: 20971520 bytes, longer than string(117)"
    ]


def test_a_string_of_exactly_its_declared_bytes_is_accepted(spark):
    # 58 two-byte characters and one more byte: 117 bytes; one byte more is too long.
    comment = "é" * 58 + "x"
    line = "1|Customer#1|addr|15|25-989-741-2988|711.56|BUILDING|{}|"
    lines = (line.format(comment), line.format(comment + "y"))
    good, rejected = split_parsed(parse_lines(_lines(spark, *lines), CUSTOMER))
    assert [r.c_comment for r in good.collect()] == [comment]
    assert [r.reason for r in rejected.collect()] == [
        "field c_comment: 118 bytes, longer than string(117)"
    ]


def test_a_decimal_with_more_integer_digits_than_its_precision_allows_is_rejected(spark):
    # decimal(15,2): 13 integer digits at most, 2 decimals at most.
    widest = "1|370|O|9999999999999.99|1996-01-02|5-LOW|Clerk|0|c|"
    too_wide = "2|370|O|10000000000000.00|1996-01-02|5-LOW|Clerk|0|c|"
    negative = "3|370|O|-9999999999999.99|1996-01-02|5-LOW|Clerk|0|c|"
    good, rejected = _typed(spark, ORDERS, widest, too_wide, negative)
    assert [g[0] for g in good] == [1, 3]
    assert [g[3] for g in good] == [Decimal("9999999999999.99"), Decimal("-9999999999999.99")]
    assert rejected == [
        (too_wide, "field o_totalprice: '10000000000000.00' is not a valid decimal(15,2)")
    ]


def test_a_decimal_of_scale_only_accepts_no_integer_part_beyond_zero(spark):
    table = RawTable(
        name="rates",
        fields=(Field("rate_id", "int", key=True), Field("rate", "decimal(2,2)")),
        format=FileFormat(delimiter=",", quote=None),
    )
    good, rejected = _typed(spark, table, "1,0.99", "2,1.00", "3,0.999")
    assert good == [(1, Decimal("0.99"))]
    assert rejected == [
        ("2,1.00", "field rate: '1.00' is not a valid decimal(2,2)"),
        ("3,0.999", "field rate: '0.999' is not a valid decimal(2,2)"),
    ]
