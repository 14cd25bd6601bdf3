from chispa import assert_df_equality

from transforms.declaration import Rule
from transforms.rules import apply_rules

RULES = (
    Rule("quantity_positive", "quantity > 0", "quantity must be positive"),
    Rule("small", "quantity < 100", "quantity must be below 100"),
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
