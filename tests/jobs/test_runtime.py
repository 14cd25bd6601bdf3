import pytest

from jobs.runtime import resolve_options, start
from orchestration.errors import UserError


def test_optional_options_are_read_only_when_present():
    options = resolve_options(
        ["--lake", "/l", "--JOB_NAME", "transform"], ["JOB_NAME"], ["lake", "batch_id"]
    )
    assert options["JOB_NAME"] == "transform"
    assert options["lake"] == "/l"
    assert "batch_id" not in options


def test_missing_required_option_is_a_clear_error():
    with pytest.raises(UserError, match="expected --JOB_NAME VALUE"):
        resolve_options(["--lake", "/l"], ["JOB_NAME"])


def test_local_runs_reuse_the_warm_session(spark):
    runtime = start("transform", ["--lake", "/l"])
    assert runtime.spark is spark
    assert runtime.on_glue is False
    runtime.commit()
