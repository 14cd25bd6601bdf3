import pytest

from jobs.validation.checks import (
    GATE,
    KEYS_EXIST,
    QUARANTINE_SHARE,
    RECONCILED,
    CheckResult,
    gate,
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
        [{**COUNTS, "recounted": 96, "generated": 0, "held": 0, "held_in": 0, "parked": 0}],
    )


def test_a_report_that_does_not_add_up_fails_even_when_the_parquet_matches_it():
    counts = {**COUNTS, "read": 103}
    assert reconcile(97, counts).unexpected_count == 3
    assert not reconcile(97, counts).success


def test_held_and_parked_rows_are_accounted_for_and_held_rows_retried_count_as_read():
    # 100 read + 5 held earlier, now in: 90 written, 2 quarantined, 1 duplicate, 4 held for
    # a parent still missing, 8 in a parked file.
    counts = {**COUNTS, "written": 90, "held": 4, "held_in": 5, "parked": 8}
    assert reconcile(90, counts) == CheckResult(RECONCILED, None, True, 0, [])


def test_a_held_row_missing_from_the_counts_is_one_row_unaccounted_for():
    counts = {**COUNTS, "written": 90, "held": 3, "held_in": 5, "parked": 8}
    result = reconcile(90, counts)
    assert (result.success, result.unexpected_count) == (False, 1)
    assert result.sample == [
        {
            "read": 100,
            "written": 90,
            "recounted": 90,
            "quarantined": 2,
            "duplicates": 1,
            "generated": 0,
            "held": 3,
            "held_in": 5,
            "parked": 8,
        }
    ]


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


def test_quarantined_share_failure_shows_the_share_the_threshold_and_the_floor():
    result = quarantine_share({"read": 3000, "quarantined": 40}, 0.01, floor=10)
    assert result.sample == [{"share": 0.013333, "max_share": 0.01, "floor": 10}]


@pytest.mark.parametrize(
    ("read", "quarantined", "success"),
    [
        (10, 1, True),  # one bad row of a ten-row delta
        (10, 10, True),  # every row bad, but no more than the floor
        (20, 11, False),  # over the share and over the floor
        (100_000, 11, True),  # over the floor, within the share
        (100_000, 1001, False),
    ],
)
def test_quarantine_fails_only_over_both_the_share_and_the_floor(read, quarantined, success):
    counts = {"read": read, "quarantined": quarantined}
    assert quarantine_share(counts, 0.01, floor=10).success is success


def test_held_rows_retried_count_among_the_rows_a_share_is_of():
    # 90 new rows and 10 retried held rows; 2 of them quarantined: 2%.
    counts = {"read": 90, "held_in": 10, "quarantined": 2}
    assert quarantine_share(counts, 0.02).success
    assert quarantine_share(counts, 0.019).sample == [
        {"share": 0.02, "max_share": 0.019, "floor": 0}
    ]


def test_a_table_with_no_rows_read_has_no_quarantined_share():
    assert quarantine_share({"read": 0, "quarantined": 0}, 0.0).success


def _gate(rows: int, broken: int, mostly: float) -> dict:
    return {"rows": rows, "broken": broken, "mostly": mostly, "reason": "status is unknown"}


@pytest.mark.parametrize(
    ("rows", "broken", "mostly", "success"),
    [
        (100, 5, 0.95, True),
        (100, 6, 0.95, False),
        (100, 0, 1.0, True),
        (100, 1, 1.0, False),
        (0, 0, 1.0, True),
    ],
)
def test_a_gate_passes_when_at_least_mostly_of_the_rows_keep_the_rule(
    rows, broken, mostly, success
):
    result = gate("status_known", _gate(rows, broken, mostly))
    assert (result.expectation, result.success, result.unexpected_count) == (
        GATE,
        success,
        broken,
    )


def test_a_failed_gate_names_the_rule_its_reason_and_the_shares():
    assert gate("status_known", _gate(200, 20, 0.95)) == CheckResult(
        GATE,
        None,
        False,
        20,
        [
            {
                "rule": "status_known",
                "reason": "status is unknown",
                "rows": 200,
                "broken": 20,
                "passing": 0.9,
                "mostly": 0.95,
            }
        ],
    )


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


def test_orphans_within_mostly_pass_and_beyond_it_fail(spark):
    # 10 non-null fact rows, 2 of them orphans: 80% known.
    facts = spark.createDataFrame(
        [(k,) for k in (1, 1, 1, 1, 2, 2, 2, 2, 8, 9)] + [(None,)], "customer_key long"
    )
    known = spark.createDataFrame([(1,), (2,)], "key long")
    assert keys_exist(facts, "customer_key", known, mostly=0.8) == CheckResult(
        KEYS_EXIST, "customer_key", True, 2, [8, 9]
    )
    assert keys_exist(facts, "customer_key", known, mostly=0.81) == CheckResult(
        KEYS_EXIST, "customer_key", False, 2, [8, 9]
    )
