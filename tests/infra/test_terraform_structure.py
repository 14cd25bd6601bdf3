"""infra/ against the definition and the source tree, read with python-hcl2 (no terraform binary).

The definition is the contract: every ${placeholder} it has is filled by the templatefile() call,
every Glue job and Lambda it names exists in Terraform with its code in this tree, and the state
machine's role allows the actions its Tasks use and no others.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import hcl2
import pytest

from orchestration.packaging import GLUE_JOBS, LAMBDAS

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
DEFINITION = ROOT / "orchestration" / "state_machine.asl.json"

# IAM actions each Task resource of the definition needs (AWS Step Functions developer guide,
# "IAM policies for integrated services"); an aws-sdk integration needs the action it calls.
INTEGRATION_ACTIONS = {
    "arn:aws:states:::lambda:invoke": {"lambda:InvokeFunction"},
    "arn:aws:states:::glue:startJobRun.sync": {
        "glue:StartJobRun",
        "glue:GetJobRun",
        "glue:GetJobRuns",
        "glue:BatchStopJobRun",
    },
    "arn:aws:states:::sns:publish": {"sns:Publish"},
    "arn:aws:states:::sqs:sendMessage": {"sqs:SendMessage"},
}
LOG_DELIVERY = {
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
}
TRACING = {
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
}
# The objects the Tasks touch and the topic and queue are encrypted with the data key.
DATA_KEY = {"kms:Decrypt", "kms:GenerateDataKey"}

# Actions without a resource type in the Service Authorization Reference: "*" is the only way.
STAR_ONLY_ACTIONS = (
    LOG_DELIVERY
    | TRACING
    | {
        "redshift-data:DescribeStatement",
        "redshift-data:GetStatementResult",
        "redshift-data:CancelStatement",
        "cloudwatch:PutMetricData",
    }
)
# Arguments Glue itself reads ("Using job parameters in AWS Glue jobs"), not the job script.
GLUE_OWN_ARGUMENTS = {"job-language", "job-bookmark-option", "TempDir", "additional-python-modules"}
KEY_POLICY = "kms"  # in a key policy, resource "*" means the key itself


def _clean(value):
    """python-hcl2 keeps the quotes of literals and labels and marks blocks; drop both."""
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items() if k != "__is_block__"}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


@pytest.fixture(scope="module")
def tf() -> dict:
    """Every block of infra/*.tf: {"resource": {(type, name): body}, "data": ..., "locals": ...}."""
    merged: dict = {"resource": {}, "data": {}, "locals": {}, "variable": {}, "output": {}}
    for path in sorted(INFRA.glob("*.tf")):
        with path.open() as handle:
            parsed = _clean(hcl2.load(handle))
        for kind in ("resource", "data"):
            for block in parsed.get(kind, []):
                for type_, named in block.items():
                    for name, body in named.items():
                        merged[kind][(type_, name)] = body
        for block in parsed.get("locals", []):
            merged["locals"].update(block)
        for kind in ("variable", "output"):
            for block in parsed.get(kind, []):
                merged[kind].update(block)
    return merged


@pytest.fixture(scope="module")
def definition() -> dict:
    return json.loads(DEFINITION.read_text())


def _tasks(states: dict):
    """Every Task state, including those inside Map and Parallel."""
    for state in states.values():
        if state.get("Type") == "Task":
            yield state
        for branch in state.get("Branches", []):
            yield from _tasks(branch["States"])
        if "ItemProcessor" in state or "Iterator" in state:
            yield from _tasks((state.get("ItemProcessor") or state["Iterator"])["States"])


def _placeholder(value: str) -> str:
    match = re.fullmatch(r"\$\{(\w+)\}", value)
    assert match, f"{value!r} should be one ${{Name}} placeholder"
    return match.group(1)


def _substitutions(tf: dict) -> dict[str, str]:
    machine = tf["resource"][("aws_sfn_state_machine", "etl")]
    match = re.fullmatch(
        r'\$\{templatefile\("\$\{path\.module\}/([^"]+)",\s*local\.(\w+)\s*,?\s*\)\}',
        machine["definition"].strip(),
    )
    assert match, f"definition should be templatefile(path, local.X): {machine['definition']}"
    assert (INFRA / match.group(1)).resolve() == DEFINITION
    return tf["locals"][match.group(2)]


def _referenced(expression: str, resource_type: str) -> str:
    """The for_each key of `${resource_type.name["key"].attr}`."""
    match = re.fullmatch(rf'\$\{{{resource_type}\.\w+\["(\w+)"\]\.\w+\}}', expression)
    assert match, f"{expression!r} should reference one {resource_type}"
    return match.group(1)


def _statements(tf: dict, name: str) -> list[dict]:
    return tf["data"][("aws_iam_policy_document", name)]["statement"]


def _actions(statements: list[dict]) -> set[str]:
    return {action for s in statements for action in s["actions"]}


def test_definition_placeholders_are_exactly_the_templatefile_values(tf):
    text = DEFINITION.read_text()
    # templatefile() reads `$${` as a literal `${`; everything else is a placeholder it must fill.
    placeholders = set(re.findall(r"(?<!\$)\$\{([^}]*)\}", text))
    assert placeholders == set(_substitutions(tf))


def test_definition_is_read_from_the_one_file_never_copied():
    sources = [
        path
        for path in INFRA.rglob("*")
        # .terraform/ holds provider binaries after `terraform init`.
        if path.suffix in (".tf", ".json", ".tftpl", ".tpl")
        and not any(part.startswith(".") for part in path.relative_to(INFRA).parts)
    ]
    assert [p.name for p in sources if '"StartAt"' in p.read_text()] == []


def test_every_glue_job_the_definition_names_exists_with_its_script(tf, definition):
    values = _substitutions(tf)
    named = {
        _referenced(values[_placeholder(task["Parameters"]["JobName"])], "aws_glue_job")
        for task in _tasks(definition["States"])
        if task["Resource"].startswith("arn:aws:states:::glue:startJobRun")
    }
    job = tf["resource"][("aws_glue_job", "job")]
    assert job["for_each"] == "${local.glue_jobs}"
    assert named == set(tf["locals"]["glue_jobs"]) == set(GLUE_JOBS)
    assert [
        f"jobs/{n}.py" for n in sorted(named) if not (ROOT / "jobs" / f"{n}.py").is_file()
    ] == []


def test_glue_jobs_run_glue_5_without_bookmarks_on_sized_workers(tf):
    job = tf["resource"][("aws_glue_job", "job")]
    arguments = tf["locals"]["glue_default_arguments"]
    assert job["glue_version"] == "5.0"
    assert job["command"][0]["name"] == "glueetl"
    assert job["worker_type"] == "${var.glue_worker_type}"
    assert job["number_of_workers"] == "${var.glue_number_of_workers}"
    assert job["default_arguments"] == (
        "${merge(local.glue_default_arguments, each.value.arguments)}"
    )
    assert arguments["--job-bookmark-option"] == "job-bookmark-disable"
    assert {k for k in arguments if k.startswith("--lake")} == {
        "--lake",
        "--lake_raw",
        "--lake_quarantine",
    }


def test_every_argument_terraform_gives_a_job_is_one_the_job_reads(tf):
    shared = tf["locals"]["glue_default_arguments"]
    unread = {}
    for job, settings in tf["locals"]["glue_jobs"].items():
        passed = {
            name.removeprefix("--")
            for name in [*shared, *settings["arguments"]]
            if name.removeprefix("--") not in GLUE_OWN_ARGUMENTS
            and not name.startswith("--enable-")
        }
        # The option names a job reads are string literals in its module or the shared adapter.
        literals = {
            node.value
            for module in (f"{job}.py", "runtime.py")
            for node in ast.walk(ast.parse((ROOT / "jobs" / module).read_text()))
            if isinstance(node, ast.Constant)
        }
        unread[job] = sorted(passed - literals)
    assert unread == dict.fromkeys(tf["locals"]["glue_jobs"], [])


def test_every_lambda_the_definition_names_exists_with_its_handler(tf, definition):
    values = _substitutions(tf)
    named = {
        _referenced(values[_placeholder(task["Parameters"]["FunctionName"])], "aws_lambda_function")
        for task in _tasks(definition["States"])
        if task["Resource"].startswith("arn:aws:states:::lambda:invoke")
    }
    function = tf["resource"][("aws_lambda_function", "fn")]
    assert function["for_each"] == "${local.lambdas}"
    assert function["handler"] == "orchestration.lambdas.${each.key}.handler"
    assert named == set(tf["locals"]["lambdas"]) == set(LAMBDAS)
    for name in named:
        module = ast.parse((ROOT / "orchestration" / "lambdas" / f"{name}.py").read_text())
        handlers = [
            [a.arg for a in node.args.args]
            for node in module.body
            if isinstance(node, ast.FunctionDef) and node.name == "handler"
        ]
        assert handlers == [["event", "context"]], name


def test_state_machine_role_allows_exactly_the_actions_the_definition_uses(tf, definition):
    used = set()
    for task in _tasks(definition["States"]):
        resource = task["Resource"]
        if resource.startswith("arn:aws:states:::aws-sdk:"):
            service, api = resource.removeprefix("arn:aws:states:::aws-sdk:").split(":")
            used.add(f"{service}:{api[0].upper()}{api[1:]}")
        else:
            assert resource in INTEGRATION_ACTIONS, f"add the IAM actions {resource} needs"
            used |= INTEGRATION_ACTIONS[resource]

    granted = _actions(_statements(tf, "state_machine"))
    assert granted - LOG_DELIVERY - TRACING - DATA_KEY == used
    assert granted >= LOG_DELIVERY | TRACING | DATA_KEY
    machine = tf["resource"][("aws_sfn_state_machine", "etl")]
    policy = tf["resource"][("aws_iam_role_policy", "state_machine")]
    assert machine["role_arn"] == "${aws_iam_role.state_machine.arn}"
    assert policy["role"] == "${aws_iam_role.state_machine.id}"
    assert policy["policy"] == "${data.aws_iam_policy_document.state_machine.json}"


def test_state_machine_logs_at_the_variable_level_and_traces(tf):
    machine = tf["resource"][("aws_sfn_state_machine", "etl")]
    assert machine["type"] == "STANDARD"
    assert machine["logging_configuration"][0]["level"] == "${var.state_machine_log_level}"
    assert machine["logging_configuration"][0]["log_destination"] == (
        "${aws_cloudwatch_log_group.state_machine.arn}:*"
    )
    assert machine["tracing_configuration"] == [{"enabled": True}]


def test_every_statement_names_its_resources_and_star_only_where_aws_requires(tf):
    wildcards = {}
    for (type_, name), body in tf["data"].items():
        if type_ != "aws_iam_policy_document" or name == KEY_POLICY:
            continue
        for statement in body["statement"]:
            if statement["actions"] == ["sts:AssumeRole"]:
                continue  # a trust policy: the resource is the role it belongs to
            assert statement.get("resources"), f"{name}: statement {statement.get('sid')}"
            allows = statement.get("effect", "Allow") == "Allow"
            # A list literal; a string is one expression (a for or a reference), never "*".
            resources = statement["resources"]
            if allows and isinstance(resources, list) and "*" in resources:
                wildcards[f"{name}.{statement['sid']}"] = set(statement["actions"])
    assert {k: v - STAR_ONLY_ACTIONS for k, v in wildcards.items()} == dict.fromkeys(
        wildcards, set()
    )
    assert sorted(wildcards) == [
        "glue.PublishJobMetrics",
        "lambda.SendTraces",
        "load.FollowOwnStatements",
        "state_machine.DeliverExecutionLogs",
        "state_machine.SendTraces",
    ]


def test_every_star_resource_carries_a_comment_saying_why():
    uncommented = []
    for path in sorted(INFRA.glob("*.tf")):
        lines = path.read_text().splitlines()
        for number, line in enumerate(lines):
            star = re.search(r'resources\s*=\s*\["\*"\]', line)
            if star and not any("#" in c for c in lines[max(0, number - 3) : number + 1]):
                uncommented.append(f"{path.name}:{number + 1}")
    assert uncommented == []


def test_buckets_are_kms_encrypted_versioned_private_and_tls_only(tf):
    buckets = tf["locals"]["buckets"]
    assert buckets == '${toset(["raw", "curated", "quarantine", "artifacts"])}'
    sse = tf["resource"][("aws_s3_bucket_server_side_encryption_configuration", "bucket")]
    default = sse["rule"][0]["apply_server_side_encryption_by_default"][0]
    assert default == {"sse_algorithm": "aws:kms", "kms_master_key_id": "${aws_kms_key.data.arn}"}
    versioning = tf["resource"][("aws_s3_bucket_versioning", "bucket")]
    assert versioning["versioning_configuration"] == [{"status": "Enabled"}]
    block = tf["resource"][("aws_s3_bucket_public_access_block", "bucket")]
    assert [block[k] for k in sorted(block) if k.startswith(("block", "ignore", "restrict"))] == [
        True
    ] * 4
    deny = _statements(tf, "tls_only")[0]
    assert (deny["effect"], deny["actions"]) == ("Deny", ["s3:*"])
    assert deny["condition"] == [
        {"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}
    ]
    for resource in ("versioning", "server_side_encryption_configuration", "policy"):
        assert tf["resource"][(f"aws_s3_bucket_{resource}", "bucket")]["for_each"] == (
            "${local.buckets}"
        )


def test_redshift_credentials_live_only_in_secrets_manager(tf):
    namespace = tf["resource"][("aws_redshiftserverless_namespace", "warehouse")]
    assert namespace["manage_admin_password"] is True
    assert "admin_user_password" not in namespace
    assert not [name for name in tf["variable"] if "password" in name]
    load_env = tf["locals"]["lambdas"]["load"]["environment"]
    assert load_env["SFN_ETL_WAREHOUSE"] == "${local.warehouse_url}"
    assert "admin_password_secret_arn" in "".join(tf["locals"]["warehouse_url"])


def test_inputs_and_outputs_a_deployment_needs_are_declared(tf):
    assert {
        "environment",
        "schedule_expression",
        "glue_timeout_minutes",
        "glue_max_retries",
        "lambda_timeout_seconds",
        "schedule_max_retries",
        "state_machine_log_level",
        "glue_worker_type",
        "glue_number_of_workers",
    } <= set(tf["variable"])
    assert {
        "state_machine_arn",
        "raw_bucket",
        "curated_bucket",
        "quarantine_bucket",
        "artifacts_bucket",
        "definition_substitutions",
    } <= set(tf["output"])
