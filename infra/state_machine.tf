# The state machine. Its definition is orchestration/state_machine.asl.json, the same file the
# local engine runs: templatefile() fills its ${Name} placeholders, so there is no second copy.

locals {
  # Every ${Name} in the definition, and nothing else (tests/infra checks both directions).
  # CatalogDatabasePrefix + dataset name is the dataset's catalog database (catalog.tf).
  definition_substitutions = {
    ExtractFunctionArn    = aws_lambda_function.fn["extract"].arn
    LoadFunctionArn       = aws_lambda_function.fn["load"].arn
    TransformJobName      = aws_glue_job.job["transform"].name
    ValidateJobName       = aws_glue_job.job["validate"].name
    NotificationTopicArn  = aws_sns_topic.notifications.arn
    DeadLetterQueueUrl    = aws_sqs_queue.dlq.url
    CatalogDatabasePrefix = local.catalog_database_prefix
  }
}

resource "aws_sfn_state_machine" "etl" {
  name     = local.name
  type     = "STANDARD" # .sync Glue tasks and exactly-once Tasks need a Standard workflow.
  role_arn = aws_iam_role.state_machine.arn
  # Every definition change publishes a new immutable version; the `live` alias points at it.
  publish = true
  definition = templatefile(
    "${path.module}/../orchestration/state_machine.asl.json",
    local.definition_substitutions,
  )

  logging_configuration {
    log_destination = "${aws_cloudwatch_log_group.state_machine.arn}:*"
    level           = var.state_machine_log_level
    # Execution data is batch ids, URIs and counts: no rows, no credentials.
    include_execution_data = true
  }

  tracing_configuration {
    enabled = true
  }

  depends_on = [aws_iam_role_policy.state_machine]
}

# What the schedule starts: executions record the version they ran (stateMachineVersionArn), and
# rolling back is pointing the alias at an earlier version.
resource "aws_sfn_alias" "live" {
  name        = "live"
  description = "The version scheduled executions run: the latest published definition."

  routing_configuration {
    state_machine_version_arn = aws_sfn_state_machine.etl.state_machine_version_arn
    weight                    = 100
  }
}

resource "aws_cloudwatch_log_group" "state_machine" {
  # /aws/vendedlogs/ keeps the log delivery resource policy from growing with every group.
  name              = "/aws/vendedlogs/states/${local.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.data.arn
}

# -- role -------------------------------------------------------------------------------------
# Exactly the actions the definition's Tasks use (tests/infra derives them from the definition),
# plus log delivery and tracing.

resource "aws_iam_role" "state_machine" {
  name               = "${local.name}-states"
  assume_role_policy = data.aws_iam_policy_document.state_machine_assume.json
}

data "aws_iam_policy_document" "state_machine_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["states.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role_policy" "state_machine" {
  name   = "state-machine"
  role   = aws_iam_role.state_machine.id
  policy = data.aws_iam_policy_document.state_machine.json
}

data "aws_iam_policy_document" "state_machine" {
  statement {
    sid     = "InvokeExtractAndLoad"
    actions = ["lambda:InvokeFunction"]
    # The unqualified ARN and its versions and aliases.
    resources = flatten([
      for fn in aws_lambda_function.fn : [fn.arn, "${fn.arn}:*"]
    ])
  }

  statement {
    sid = "RunGlueJobsToCompletion"
    actions = [
      "glue:StartJobRun",
      "glue:GetJobRun",
      "glue:GetJobRuns",
      "glue:BatchStopJobRun",
    ]
    resources = [for job in aws_glue_job.job : job.arn]
  }

  statement {
    sid     = "RegisterBatchPartitions"
    actions = ["glue:BatchCreatePartition"]
    # A partition is authorized on the catalog, its database and its table.
    resources = concat(
      ["arn:${local.partition}:glue:${local.region}:${local.account_id}:catalog"],
      [for database in aws_glue_catalog_database.dataset : database.arn],
      [for table in aws_glue_catalog_table.curated : table.arn],
    )
  }

  statement {
    sid       = "ReadValidationSummaries"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.bucket["curated"].arn}/validation/*"]
  }

  statement {
    sid     = "WriteCommitAndFailureMarkers"
    actions = ["s3:PutObject"]
    # Commit writes the bookmark, RecordDatasetFailure why a batch failed; nothing else.
    resources = [
      "${aws_s3_bucket.bucket["curated"].arn}/manifests/*.committed.json",
      "${aws_s3_bucket.bucket["curated"].arn}/manifests/*.failed.json",
    ]
  }

  statement {
    sid       = "PublishRunSummaries"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.notifications.arn]
  }

  statement {
    sid       = "SendFailuresToTheDlq"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dlq.arn]
  }

  statement {
    sid       = "UseTheDataKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.data.arn]
  }

  statement {
    sid = "DeliverExecutionLogs"
    actions = [
      "logs:CreateLogDelivery",
      "logs:GetLogDelivery",
      "logs:UpdateLogDelivery",
      "logs:DeleteLogDelivery",
      "logs:ListLogDeliveries",
      "logs:PutResourcePolicy",
      "logs:DescribeResourcePolicies",
      "logs:DescribeLogGroups",
    ]
    # Log delivery APIs have no resource type: AWS requires "*".
    resources = ["*"]
  }

  statement {
    sid = "SendTraces"
    actions = [
      "xray:PutTraceSegments",
      "xray:PutTelemetryRecords",
      "xray:GetSamplingRules",
      "xray:GetSamplingTargets",
    ]
    # X-Ray trace APIs have no resource type: AWS requires "*".
    resources = ["*"]
  }
}
