import pytest

from jobs.validation.checks import (
    KEYS_EXIST,
    QUARANTINE_SHARE,
    RECONCILED,
    CheckResult,
    keys_exist,
    quarantine_share,
    reconcile,
)

COUNTS = {"written": 97, "read": 100, "quarantined": 2, "duplicates": 1}


def test_reconciles_when_every_row_read_is_written_quarantined_or_a_duplicate():
    assert reconcile(97, COUNTS) == CheckResult(RECONCILED, None, True, 0, [])


def test_a_generated_unknown_member_is_written_without_being_read():
    counts = {**COUNTS, "written": 98, "generated": 1}
    assert reconcile(98, counts) == CheckResult(RECONCILED, None, True, 0, [])


def test_a_row_missing_from_the_parquet_is_one_row_unaccounted_for():
    assert reconcile(96, COUNTS) == CheckResult(
        RECONCILED,
        None,
        False,
        1,
        [{**COUNTS, "recounted": 96, "generated": 0}],
    )


def test_a_report_that_does_not_add_up_fails_even_when_the_parquet_matches_it():
    counts = {**COUNTS, "read": 103}
    assert reconcile(97, counts).unexpected_count == 3
    assert not reconcile(97, counts).success


@pytest.mark.parametrize(
    ("quarantined", "max_share", "success"),
    [(1, 0.01, True), (2, 0.01, False), (0, 0.0, True), (1, 0.0, False)],
)
def test_quarantined_share_is_at_most_the_threshold(quarantined, max_share, success):
    result = quarantine_share({"read": 100, "quarantined": quarantined}, max_share)
    assert (result.expectation, result.success, result.unexpected_count) == (
        QUARANTINE_SHARE,
        success,
        quarantined,
    )


def test_quarantined_share_failure_shows_the_share_and_the_threshold():
    result = quarantine_share({"read": 300, "quarantined": 4}, 0.01)
    assert result.sample == [{"share": 0.013333, "max_share": 0.01}]


def test_a_table_with_no_rows_read_has_no_quarantined_share():
    assert quarantine_share({"read": 0, "quarantined": 0}, 0.0).success


def test_fact_keys_missing_from_the_known_keys_are_counted_per_fact_row(spark):
    facts = spark.createDataFrame([(1,), (2,), (2,), (3,), (None,), (9,)], "customer_key long")
    known = spark.createDataFrame([(1,), (9,), (9,)], "key long")
    assert keys_exist(facts, "customer_key", known) == CheckResult(
        KEYS_EXIST, "customer_key", False, 3, [2, 3]
    )


def test_the_orphan_sample_holds_the_smallest_keys(spark):
    facts = spark.createDataFrame([(k,) for k in range(10, 0, -1)], "part_key long")
    known = spark.createDataFrame([], "part_key long")
    result = keys_exist(facts, "part_key", known)
    assert (result.unexpected_count, result.sample) == (10, [1, 2, 3, 4, 5])


def test_every_fact_key_known_passes(spark):
    facts = spark.createDataFrame([(1,), (2,)], "supplier_key long")
    known = spark.createDataFrame([(2,), (1,), (3,)], "supplier_key long")
    assert keys_exist(facts, "supplier_key", known) == CheckResult(
        KEYS_EXIST, "supplier_key", True, 0, []
    )
