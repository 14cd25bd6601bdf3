"""orchestration.insight.terraform_config: infra/ variables as Terraform resolves them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestration.core.errors import UserError
from orchestration.insight.terraform_config import read_terraform_config

INFRA = Path(__file__).resolve().parents[2] / "infra"
VARIABLES = """
variable "aws_region" { default = "us-east-1" }
variable "glue_worker_type" { default = "G.1X" }
variable "glue_number_of_workers" { default = 2 }
variable "lambda_memory_mb" { default = 512 }
variable "redshift_base_capacity" { default = 8 }
variable "schedule_expression" { default = "rate(1 hour)" }
variable "notification_emails" { default = [] }
"""
RESOURCES = """
resource "aws_glue_job" "job" { glue_version = "5.0" }
resource "aws_lambda_function" "fn" { architectures = ["arm64"] }
"""


@pytest.fixture
def infra(tmp_path) -> Path:
    (tmp_path / "variables.tf").write_text(VARIABLES)
    (tmp_path / "main.tf").write_text(RESOURCES)
    return tmp_path


def test_the_shipped_infra_configures_two_g1x_workers_512_mb_arm64_and_an_hourly_schedule():
    config = read_terraform_config(INFRA)

    assert (
        config.region,
        config.glue_worker_type,
        config.glue_workers,
        config.glue_version,
        config.lambda_memory_mb,
        config.lambda_architecture,
        config.redshift_base_capacity,
        config.schedule_expression,
        config.notification_emails,
    ) == ("eu-west-1", "G.1X", 2, "5.0", 512, "arm64", 8, "rate(1 hour)", 0)


def test_tfvars_override_defaults_in_terraforms_order(infra):
    (infra / "terraform.tfvars").write_text(
        'glue_worker_type = "G.2X"\nlambda_memory_mb = 1024\nnotification_emails = ["a@x", "b@x"]\n'
    )
    (infra / "terraform.tfvars.json").write_text(json.dumps({"lambda_memory_mb": 2048}))
    (infra / "z.auto.tfvars.json").write_text(json.dumps({"schedule_expression": "rate(2 hours)"}))
    (infra / "a.auto.tfvars").write_text('schedule_expression = "rate(5 minutes)"\n')

    config = read_terraform_config(infra)

    assert (config.glue_worker_type, config.lambda_memory_mb, config.notification_emails) == (
        "G.2X",
        2048,
        2,
    )
    # *.auto.tfvars files apply in lexical order: z after a.
    assert config.schedule_expression == "rate(2 hours)"
    assert [Path(source).name for source in config.sources[-4:]] == [
        "terraform.tfvars",
        "terraform.tfvars.json",
        "a.auto.tfvars",
        "z.auto.tfvars.json",
    ]


def test_a_function_without_architectures_runs_on_lambdas_default_x86_64(infra):
    (infra / "main.tf").write_text(
        'resource "aws_glue_job" "job" { glue_version = "5.0" }\n'
        'resource "aws_lambda_function" "fn" { memory_size = 128 }\n'
    )

    assert read_terraform_config(infra).lambda_architecture == "x86_64"


def test_a_variable_set_to_an_expression_is_refused_by_name(infra):
    (infra / "terraform.tfvars").write_text('schedule_expression = "${var.other}"\n')

    with pytest.raises(UserError, match="variable 'schedule_expression' in .* is an expression"):
        read_terraform_config(infra)


def test_a_variable_without_default_or_value_is_refused_by_name(infra):
    (infra / "variables.tf").write_text(VARIABLES.replace("{ default = 8 }", "{}"))

    with pytest.raises(UserError, match="variable 'redshift_base_capacity' has no default"):
        read_terraform_config(infra)


def test_a_folder_without_terraform_files_is_refused(tmp_path):
    with pytest.raises(UserError, match=f"no Terraform configuration \\(\\*.tf\\) in {tmp_path}"):
        read_terraform_config(tmp_path)
