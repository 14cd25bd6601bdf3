from datetime import date

from chispa import assert_df_equality

from tests.transforms.tpch._dims import curated_schema
from transforms.tpch.dim_date import build_dim_date


def _facts(spark, *date_rows):
    return spark.createDataFrame(
        list(date_rows), "order_date date, ship_date date, commit_date date, receipt_date date"
    )


def test_days_span_every_fact_date_including_a_leap_day(spark):
    facts = _facts(
        spark,
        (date(1996, 2, 28), date(1996, 3, 1), date(1996, 2, 29), date(1996, 3, 1)),
    )
    expected = spark.createDataFrame(
        [
            (19960228, date(1996, 2, 28), 1996, 1, 2, "February", 28, 3, "Wednesday", 9, False),
            (19960229, date(1996, 2, 29), 1996, 1, 2, "February", 29, 4, "Thursday", 9, False),
            (19960301, date(1996, 3, 1), 1996, 1, 3, "March", 1, 5, "Friday", 9, False),
        ],
        curated_schema("dim_date"),
    )
    assert_df_equality(build_dim_date(facts), expected, ignore_row_order=True, ignore_nullable=True)


def test_iso_week_and_weekend_at_a_year_boundary(spark):
    facts = _facts(spark, (date(1998, 12, 31), date(1999, 1, 3), None, None))
    rows = {
        r.date_key: (r.day_of_week, r.week_of_year, r.is_weekend)
        for r in build_dim_date(facts).collect()
    }
    # 1999-01-01 is a Friday in ISO week 53 of 1998; 1999-01-03 is the Sunday closing it.
    assert rows == {
        19981231: (4, 53, False),
        19990101: (5, 53, False),
        19990102: (6, 53, True),
        19990103: (7, 53, True),
    }


def test_no_facts_give_no_days(spark):
    facts = spark.createDataFrame(
        [], "order_date date, ship_date date, commit_date date, receipt_date date"
    )
    assert build_dim_date(facts).count() == 0
