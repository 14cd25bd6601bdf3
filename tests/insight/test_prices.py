"""orchestration.insight.prices: the shipped dated price file, a user's own, and bad files."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from orchestration.core.errors import UserError
from orchestration.insight.prices import load_prices, shipped_regions

SHIPPED = Path(__file__).resolve().parents[2] / "orchestration" / "insight" / "prices"


def test_us_east_1_ships_dated_with_aws_list_prices_per_unit():
    prices = load_prices("us-east-1")

    assert (prices.region, prices.date) == ("us-east-1", "2026-12-02")
    assert prices.per_state_transition == Decimal("0.000025")  # $0.025 per 1,000
    assert (prices.glue_per_dpu_hour, prices.glue_minimum_seconds) == (Decimal("0.44"), 60)
    assert prices.glue_dpu_per_worker["G.2X"] == Decimal(2)
    assert prices.lambda_per_request == Decimal("0.0000002")  # $0.20 per million
    assert prices.lambda_per_gb_second["arm64"] == Decimal("0.0000133334")
    assert prices.redshift_per_rpu_hour == Decimal("0.375")
    assert prices.sns_per_email == Decimal("0.00002")  # $2.00 per 100,000


def test_every_section_of_a_shipped_file_names_its_source_page():
    for region in shipped_regions():
        document = json.loads((SHIPPED / f"{region}.json").read_text())
        sections = {k: v for k, v in document.items() if isinstance(v, dict)}
        assert sections and all(v["source"].startswith("https://") for v in sections.values())


def test_a_region_without_a_shipped_file_is_refused_by_name():
    with pytest.raises(UserError, match="no prices shipped for region 'eu-west-1'"):
        load_prices("eu-west-1")


def test_a_users_file_overrides_the_shipped_prices(tmp_path):
    document = json.loads((SHIPPED / "us-east-1.json").read_text())
    document.update(region="eu-west-1", date="2027-01-15")
    document["glue"]["per_dpu_hour"] = "0.52"
    path = tmp_path / "eu.json"
    path.write_text(json.dumps(document))

    prices = load_prices("eu-west-1", path)

    assert (prices.date, prices.glue_per_dpu_hour, prices.source) == (
        "2027-01-15",
        Decimal("0.52"),
        str(path),
    )


def test_a_users_file_for_another_region_is_refused(tmp_path):
    path = tmp_path / "p.json"
    path.write_text((SHIPPED / "us-east-1.json").read_text())

    with pytest.raises(
        UserError, match="holds the prices of 'us-east-1', not of region 'eu-west-1'"
    ):
        load_prices("eu-west-1", path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["lambda"].pop("per_million_requests"), "lacks lambda.per_million_requests"),
        (
            lambda d: d["sqs"].update(per_million_requests="-1"),
            "sqs.per_million_requests is '-1', not a price",
        ),
        (
            lambda d: d["glue"].update(minimum_billed_seconds=1.5),
            "glue.minimum_billed_seconds is 1.5, not a whole number",
        ),
    ],
)
def test_a_broken_file_is_refused_naming_the_field(tmp_path, change, message):
    document = json.loads((SHIPPED / "us-east-1.json").read_text())
    change(document)
    path = tmp_path / "p.json"
    path.write_text(json.dumps(document))

    with pytest.raises(UserError, match=message):
        load_prices("us-east-1", path)


def test_a_file_that_is_not_json_is_refused(tmp_path):
    path = tmp_path / "p.json"
    path.write_text("{")

    with pytest.raises(UserError, match=f"prices file {path} is not JSON"):
        load_prices("us-east-1", path)
