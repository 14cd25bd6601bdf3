from chispa import assert_df_equality

from transforms.dedupe import keep_latest

SCHEMA = "source_file string, raw_line string, order_key bigint, line_number int, quantity int"
DAY1 = "/lake/raw/tpch/lineitem/ingest_date=2025-01-01/lineitem.tbl"
DAY2 = "/lake/raw/tpch/lineitem/ingest_date=2025-01-02/lineitem.tbl"


def test_duplicate_order_lines_keep_latest_extract(spark):
    rows = spark.createDataFrame(
        [
            (DAY1, "1|1|5|", 1, 1, 5),
            (DAY2, "1|1|7|", 1, 1, 7),
            (DAY1, "1|2|3|", 1, 2, 3),
        ],
        SCHEMA,
    )
    expected = spark.createDataFrame([(DAY2, "1|1|7|", 1, 1, 7), (DAY1, "1|2|3|", 1, 2, 3)], SCHEMA)
    assert_df_equality(
        keep_latest(rows, ["order_key", "line_number"]), expected, ignore_row_order=True
    )


def test_duplicates_within_one_file_keep_the_greatest_line_whatever_the_partitioning(spark):
    rows = [(DAY1, "1|1|5|", 1, 1, 5), (DAY1, "1|1|9|", 1, 1, 9), (DAY1, "1|1|6|", 1, 1, 6)]
    for partitions in (1, 3):
        frame = spark.createDataFrame(rows, SCHEMA).repartition(partitions)
        kept = keep_latest(frame, ["order_key", "line_number"]).collect()
        assert [r.quantity for r in kept] == [9]


def test_the_latest_rows_come_in_the_partitions_asked_for(spark):
    rows = [(DAY1, f"1|{n}|5|", 1, n, 5) for n in range(1, 7)] + [(DAY2, "1|1|8|", 1, 1, 8)]
    frame = spark.createDataFrame(rows, SCHEMA).repartition(5)
    kept = keep_latest(frame, ["order_key", "line_number"], partitions=3)
    assert kept.rdd.getNumPartitions() == 3
    assert sorted((r.line_number, r.quantity) for r in kept.collect()) == [
        (1, 8),
        (2, 5),
        (3, 5),
        (4, 5),
        (5, 5),
        (6, 5),
    ]
