"""infra/ against the definition and the source tree, read with python-hcl2 (no terraform binary).

The definition is the contract: every ${placeholder} it has is filled by the templatefile() call,
every Glue job and Lambda it names exists in Terraform with its code in this tree, and the state
machine's role allows the actions its Tasks use and no others. The dataset registry is the other
one: infra/datasets.auto.tfvars.json is what it renders, and the catalog follows that file.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import hcl2
import pytest

from orchestration.core.lake import Lake
from orchestration.core.layout import curated_uri
from orchestration.tooling.packaging import GLUE_JOBS, LAMBDAS, packaged_datasets, render_datasets

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
DEFINITION = ROOT / "orchestration" / "state_machine.asl.json"
TFVARS = INFRA / "datasets.auto.tfvars.json"
REGENERATE = "sfn-etl package"

# The Hive names of Parquet's formats and SerDe (Athena, "Parquet SerDe").
PARQUET = {
    "input_format": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    "output_format": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    "serialization_library": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
}
# Hive types a declared type may become; string(N) may also stay a plain string.
HIVE_TYPE = re.compile(
    r"^(int|bigint|double|boolean|date|timestamp|string|decimal\(\d+,\d+\)|varchar\(\d+\))$"
)

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


def _squash(expression: str) -> str:
    """An HCL expression with its whitespace runs made one space, to compare it as text."""
    return re.sub(r"\s+", " ", expression).strip()


@pytest.fixture(scope="module")
def tfvars() -> dict:
    return json.loads(TFVARS.read_text())


def _catalogued(tfvars: dict) -> dict:
    return {n: d for n, d in tfvars["datasets"].items() if "catalog" in d["destinations"]}


def _hive_type(declared: str) -> str:
    """What the catalog should say for a declared type: Hive spells string(N) varchar(N)."""
    text = declared.replace(" ", "").lower()
    length = re.fullmatch(r"string\((\d+)\)", text)
    return f"varchar({length.group(1)})" if length else text


def _parse_type(text: str, at: int = 0):
    """A Terraform type constraint as python-hcl2 prints it, as nested tuples:
    ("string",), ("list", T), ("map", T), ("object", {name: T})."""
    match = re.compile(r"\s*(\w+)").match(text, at)
    name, at = match.group(1), match.end()
    if name in ("string", "number", "bool"):
        return (name,), at
    at = text.index("(", at) + 1
    if name in ("list", "map", "set"):
        inner, at = _parse_type(text, at)
        return (name, inner), text.index(")", at) + 1
    assert name == "object", name
    at = text.index("{", at) + 1
    fields = {}
    while True:
        close = re.compile(r"\s*\}").match(text, at)
        if close:
            return ("object", fields), text.index(")", close.end()) + 1
        key = re.compile(r"\s*(\w+)\s*=").match(text, at)
        fields[key.group(1)], at = _parse_type(text, key.end())
        comma = re.compile(r"\s*,").match(text, at)
        at = comma.end() if comma else at


def _conforms(value, type_) -> list[str]:
    """Where `value` breaks the Terraform type `type_` (an object needs exactly its fields)."""
    kind = type_[0]
    if kind == "string":
        return [] if isinstance(value, str) else [f"{value!r} is not a string"]
    if kind == "list":
        if not isinstance(value, list):
            return [f"{value!r} is not a list"]
        return [p for item in value for p in _conforms(item, type_[1])]
    if not isinstance(value, dict):
        return [f"{value!r} is not an object"]
    if kind == "map":
        return [f"{k}: {p}" for k, v in value.items() for p in _conforms(v, type_[1])]
    if set(value) != set(type_[1]):
        return [f"fields {sorted(value)} should be {sorted(type_[1])}"]
    return [f"{k}: {p}" for k, t in type_[1].items() for p in _conforms(value[k], t)]


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


def test_every_glue_run_the_definition_starts_names_its_dataset(tf, definition):
    runs = [
        task
        for task in _tasks(definition["States"])
        if task["Resource"].startswith("arn:aws:states:::glue:startJobRun")
    ]
    # One job definition serves every dataset: the dataset comes with each run, never as a
    # default argument that would pin the job to one.
    assert runs
    assert [
        task["Parameters"]["JobName"]
        for task in runs
        if not {"--dataset", "--dataset.$"} & set(task["Parameters"].get("Arguments", {}))
    ] == []
    shared = tf["locals"]["glue_default_arguments"]
    per_job = [a for job in tf["locals"]["glue_jobs"].values() for a in job["arguments"]]
    assert "--dataset" not in [*shared, *per_job]


def test_templatefile_gives_the_definition_the_catalog_database_prefix(tf, definition):
    values = _substitutions(tf)
    assert values["CatalogDatabasePrefix"] == "${local.catalog_database_prefix}"
    # Glue and Athena names take no hyphen: sfn-etl-dev becomes sfn_etl_dev_.
    assert tf["locals"]["catalog_database_prefix"] == '${replace(local.name, "-", "_")}_'
    assert "${CatalogDatabasePrefix}" in json.dumps(definition)


def test_state_machine_registers_partitions_only_in_the_catalog_its_databases_and_tables(tf):
    granting = [
        s for s in _statements(tf, "state_machine") if "glue:BatchCreatePartition" in s["actions"]
    ]
    assert [s["actions"] for s in granting] == [["glue:BatchCreatePartition"]]
    resources = _squash(granting[0]["resources"])
    assert resources == _squash(
        '${concat(["arn:${local.partition}:glue:${local.region}:${local.account_id}:catalog"], '
        "[for database in aws_glue_catalog_database.dataset : database.arn], "
        "[for table in aws_glue_catalog_table.curated : table.arn])}"
    )
    assert "*" not in resources
    # Only the state machine touches Glue: the jobs write Parquet to S3 and nothing else.
    others = {
        f"{name}.{statement.get('sid')}": statement["actions"]
        for (type_, name), body in tf["data"].items()
        if type_ == "aws_iam_policy_document" and name != "state_machine"
        for statement in body["statement"]
        if any(action.startswith("glue:") for action in statement["actions"])
    }
    assert others == {}


def test_partitions_the_definition_registers_use_the_catalog_tables_formats(tf, definition):
    registrations = [
        task["Parameters"]
        for task in _tasks(definition["States"])
        if task["Resource"] == "arn:aws:states:::aws-sdk:glue:batchCreatePartition"
    ]
    assert registrations, "the definition should register each batch's partitions"
    for parameters in registrations:
        for partition in parameters["PartitionInputList"]:
            descriptor = partition["StorageDescriptor"]
            assert {
                "input_format": descriptor["InputFormat"],
                "output_format": descriptor["OutputFormat"],
                "serialization_library": descriptor["SerdeInfo"]["SerializationLibrary"],
            } == PARQUET
    assert tf["locals"]["parquet"] == PARQUET


def test_committed_datasets_tfvars_is_what_the_registry_renders():
    committed = TFVARS.read_text() if TFVARS.is_file() else ""
    assert committed == render_datasets(packaged_datasets()), (
        f"{TFVARS.relative_to(ROOT)} is not what the dataset registry renders: "
        f"run `{REGENERATE}` and commit the file"
    )


def test_datasets_tfvars_has_the_shape_the_datasets_variable_declares(tf, tfvars):
    declared, _ = _parse_type(tf["variable"]["datasets"]["type"].removeprefix("${"))
    assert set(tfvars) == {"datasets"}
    assert _conforms(tfvars["datasets"], declared) == []
    assert "default" not in tf["variable"]["datasets"]


def test_every_catalogued_dataset_has_a_database_named_with_the_prefix(tf, tfvars):
    database = tf["resource"][("aws_glue_catalog_database", "dataset")]
    assert database["for_each"] == "${local.catalog_datasets}"
    assert database["name"] == "${local.catalog_database_prefix}${each.key}"
    assert _squash(tf["locals"]["catalog_datasets"]) == _squash(
        "${{for name, dataset in var.datasets : name => dataset "
        'if contains(dataset.destinations, "catalog")}}'
    )
    expected = {d.name for d in packaged_datasets() if "catalog" in d.destinations}
    assert set(_catalogued(tfvars)) == expected


def test_every_curated_table_of_every_catalogued_dataset_has_a_catalog_table_with_its_columns(
    tf, tfvars
):
    table = tf["resource"][("aws_glue_catalog_table", "curated")]
    assert table["for_each"] == "${local.catalog_tables}"
    assert table["name"] == "${each.value.table}"
    assert table["database_name"] == (
        "${aws_glue_catalog_database.dataset[each.value.dataset].name}"
    )
    # One entry per table of every catalogued dataset, keyed dataset.table, its columns as given.
    assert _squash(tf["locals"]["catalog_tables"]) == _squash(
        "${{for table in flatten([for dataset_name, dataset in local.catalog_datasets : "
        "[for table_name, table in dataset.tables : {"
        'key = "${dataset_name}.${table_name}", dataset = dataset_name, table = table_name, '
        "columns = table.columns, partition_keys = table.partition_keys}]]) : "
        "table.key => table}}"
    )
    columns = table["storage_descriptor"][0]["dynamic"][0]["columns"]
    assert columns["for_each"] == "${each.value.columns}"
    assert columns["content"] == [
        {"name": "${columns.value.name}", "type": "${columns.value.type}"}
    ]

    catalogued = _catalogued(tfvars)
    expected = {
        (dataset.name, curated.name): [(c.name, _hive_type(c.type)) for c in curated.columns]
        for dataset in packaged_datasets()
        if "catalog" in dataset.destinations
        for curated in dataset.curated_tables
    }
    assert expected
    assert {
        (name, table_name): [(c["name"], c["type"]) for c in spec["columns"]]
        for name, dataset in catalogued.items()
        for table_name, spec in dataset["tables"].items()
    } == expected
    types = {
        c["type"]
        for d in tfvars["datasets"].values()
        for t in d["tables"].values()
        for c in t["columns"]
    }
    assert sorted(t for t in types if not HIVE_TYPE.match(t)) == []


def test_catalog_tables_are_external_parquet_partitioned_by_batch_under_the_curated_zone(
    tf, tfvars
):
    table = tf["resource"][("aws_glue_catalog_table", "curated")]
    descriptor = table["storage_descriptor"][0]
    assert table["table_type"] == "EXTERNAL_TABLE"
    assert table["parameters"] == {"EXTERNAL": "TRUE", "classification": "parquet"}
    assert {
        "input_format": descriptor["input_format"],
        "output_format": descriptor["output_format"],
        "serialization_library": descriptor["ser_de_info"][0]["serialization_library"],
    } == {key: f"${{local.parquet.{key}}}" for key in PARQUET}
    assert (
        descriptor["location"] == "${local.curated_root}/${each.value.dataset}/${each.value.table}/"
    )
    assert tf["locals"]["curated_root"] == "${local.lake_root}/curated"
    # The location is the folder the layout writes every batch of the table under.
    lake = Lake("s3://curated-bucket")
    assert curated_uri(lake, "d", "t", "b1") == "s3://curated-bucket/curated/d/t/batch_id=b1"
    keys = table["dynamic"][0]["partition_keys"]
    assert keys["for_each"] == "${each.value.partition_keys}"
    assert keys["content"] == [
        {"name": "${partition_keys.value.name}", "type": "${partition_keys.value.type}"}
    ]
    assert {
        json.dumps(t["partition_keys"])
        for d in tfvars["datasets"].values()
        for t in d["tables"].values()
    } == {json.dumps([{"name": "batch_id", "type": "string"}])}


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
        "catalog_databases",
    } <= set(tf["output"])
    assert "datasets" in tf["variable"]


def test_every_definition_change_publishes_a_version_the_live_alias_routes_all_traffic_to(tf):
    assert tf["resource"][("aws_sfn_state_machine", "etl")]["publish"] is True
    alias = tf["resource"][("aws_sfn_alias", "live")]
    assert alias["name"] == "live"
    assert alias["routing_configuration"] == [
        {
            "state_machine_version_arn": "${aws_sfn_state_machine.etl.state_machine_version_arn}",
            "weight": 100,
        }
    ]
    assert {"state_machine_alias_arn", "state_machine_version_arn"} <= set(tf["output"])


def test_the_schedule_starts_the_live_alias_and_may_start_only_it(tf):
    schedule = tf["resource"][("aws_scheduler_schedule", "etl")]
    assert schedule["target"][0]["arn"] == "${aws_sfn_alias.live.arn}"
    statements = tf["data"][("aws_iam_policy_document", "scheduler")]["statement"]
    start = next(s for s in statements if s["actions"] == ["states:StartExecution"])
    assert start["resources"] == ["${aws_sfn_alias.live.arn}"]


def test_the_aws_provider_is_pinned_to_releases_with_the_redshift_serverless_attributes():
    with (INFRA / "versions.tf").open() as handle:
        versions = _clean(hcl2.load(handle))
    aws = versions["terraform"][0]["required_providers"][0]["aws"]
    assert aws["version"] == ">= 5.39, < 6.0"
