"""`sfn-etl cost` through the CLI entry point, on a real local execution (jobs faked)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestration.cli.main import main
from orchestration.core.lake import Lake
from orchestration.core.settings import Settings
from orchestration.engine import RunRequest, run_execution
from tests.engine.fake_pipeline import FakePipeline

SHIPPED = Path(__file__).resolve().parents[4] / "orchestration" / "insight" / "prices"


def _execute(lake_root: Path, name: str) -> None:
    pipeline = FakePipeline(Lake(str(lake_root)), {"tpch": ("warehouse", "catalog")})
    run_execution(Settings.from_env(), RunRequest(name=name), overrides=pipeline.overrides())


def _run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["cost", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_json_prices_the_execution_started_last_with_only_json_on_stdout(capsys, lake_root):
    _execute(lake_root, "b-first")
    _execute(lake_root, "a-second")

    code, out, _ = _run(capsys, "--region", "us-east-1", "--json")

    document = json.loads(out)
    items = {item["service"]: item for item in document["items"]}
    assert code == 0
    assert document["execution"] == "a-second"
    assert (document["prices"]["date"], document["prices"]["region"]) == ("2026-12-02", "us-east-1")
    # 5 states before the Map, 13 in its one iteration (one table), 5 after it: 23 x $0.000025.
    assert (
        items["Step Functions"]["usage"] == "23 state transitions (23 states entered + 0 retries)"
    )
    assert items["Step Functions"]["cost"] == 0.000575
    # 2 runs at the 60 s minimum x 2 G.1X workers = 240 DPU-s x $0.44 / 3600.
    assert items["Glue"]["cost"] == 0.0293333333


def test_the_text_output_names_the_date_and_region_of_its_prices(capsys, lake_root):
    _execute(lake_root, "one")

    code, out, _ = _run(capsys, "one", "--region", "us-east-1", "--monthly")

    lines = out.splitlines()
    assert code == 0
    assert lines[0].startswith("execution one (SUCCEEDED) at prices of 2026-12-02 (us-east-1)")
    assert any(line.split()[:3] == ["Step", "Functions", "23"] for line in lines)
    assert any(
        line.startswith("a month: 720 executions of rate(1 hour) in 30 days = $") for line in lines
    )
    assert any(line.startswith("not counted: S3, Glue Data Catalog and Redshift") for line in lines)


def test_a_users_prices_file_sets_the_region_and_date(capsys, lake_root, tmp_path, monkeypatch):
    _execute(lake_root, "one")
    document = json.loads((SHIPPED / "us-east-1.json").read_text())
    document.update(region="eu-west-1", date="2027-01-15")
    document["step_functions"]["per_1000_state_transitions"] = "1"
    prices = tmp_path / "eu-west-1.json"
    prices.write_text(json.dumps(document))
    monkeypatch.setenv("SFN_ETL_PRICES", str(prices))

    code, out, _ = _run(capsys, "--json")

    document = json.loads(out)
    assert code == 0
    # infra's aws_region is eu-west-1; 23 transitions x $1 / 1000.
    assert (document["prices"]["region"], document["prices"]["date"]) == ("eu-west-1", "2027-01-15")
    assert document["items"][0]["cost"] == 0.023


def test_a_region_with_no_prices_exits_two_naming_it(capsys, lake_root):
    _execute(lake_root, "one")

    code, out, err = _run(capsys)

    assert (code, out) == (2, "")
    assert "error: no prices shipped for region 'eu-west-1'" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [(("nope", "--region", "us-east-1"), "no execution named 'nope'"), ((), "no executions under")],
)
def test_an_unknown_or_missing_execution_exits_two_naming_it(capsys, lake_root, args, message):
    code, _, err = _run(capsys, *args)

    assert code == 2
    assert message in err
