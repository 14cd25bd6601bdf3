# The extract and load Lambdas, each with its own role and log group.
#
# Terraform creates them from a bootstrap zip whose handlers only say "not deployed"; `sfn-etl
# deploy` uploads the real zip (handlers and package; boto3 comes from the runtime) and
# repoints the functions, so Terraform ignores the code afterwards.

locals {
  # Keys are the handler modules in orchestration/lambdas/ (<key>.py, `handler(event, context)`).
  lambdas = {
    extract = {
      description = "Lists unconsumed raw files and writes the batch manifest"
      environment = {
        SFN_ETL_LAKE            = local.lake_root
        SFN_ETL_LAKE_RAW        = local.lake_raw_root
        SFN_ETL_LAKE_QUARANTINE = local.lake_quarantine_root
      }
    }
    load = {
      description = "Stages one curated table of a batch into Redshift and merges it"
      environment = {
        SFN_ETL_LAKE            = local.lake_root
        SFN_ETL_LAKE_RAW        = local.lake_raw_root
        SFN_ETL_LAKE_QUARANTINE = local.lake_quarantine_root
        SFN_ETL_WAREHOUSE       = local.warehouse_url
      }
    }
  }
}

data "archive_file" "lambda_bootstrap" {
  type        = "zip"
  output_path = "${path.module}/.terraform/tmp/lambda-bootstrap.zip"

  dynamic "source" {
    # Only the names: the environment values are unknown until apply, the zip must not wait.
    for_each = keys(local.lambdas)
    content {
      filename = "orchestration/lambdas/${source.value}.py"
      content  = "def handler(event, context):\n    raise RuntimeError(\"not deployed yet: run sfn-etl package, then sfn-etl deploy\")\n"
    }
  }
}

resource "aws_lambda_function" "fn" {
  for_each = local.lambdas
  #checkov:skip=CKV_AWS_116:Step Functions invokes these synchronously and retries them; a Lambda DLQ only applies to asynchronous invocations. Failed executions go to the state machine's DLQ.
  #checkov:skip=CKV_AWS_117:They call only AWS APIs (S3, Redshift Data API, Secrets Manager); a VPC would add NAT or endpoints and protect nothing.
  #checkov:skip=CKV_AWS_115:Concurrency is bounded by the state machine (one extract per execution, Map MaxConcurrency for loads); reserving it would take from the account pool.
  #checkov:skip=CKV_AWS_272:The code is the content-hashed zip `sfn-etl package` builds and `sfn-etl deploy` uploads to a KMS-encrypted bucket only deployers can write; no AWS Signer profile in this stack.

  function_name = "${local.name}-${each.key}"
  description   = each.value.description
  role          = aws_iam_role.lambda[each.key].arn
  runtime       = "python3.11"
  handler       = "orchestration.lambdas.${each.key}.handler"
  # The zip is pure Python, so Graviton costs less for the same work.
  architectures    = ["arm64"]
  timeout          = var.lambda_timeout_seconds
  memory_size      = var.lambda_memory_mb
  kms_key_arn      = aws_kms_key.data.arn
  filename         = data.archive_file.lambda_bootstrap.output_path
  source_code_hash = data.archive_file.lambda_bootstrap.output_base64sha256

  environment {
    variables = each.value.environment
  }

  tracing_config {
    mode = "Active"
  }

  lifecycle {
    # Owned by `sfn-etl deploy` (content-hashed keys), not by Terraform.
    ignore_changes = [filename, source_code_hash, s3_bucket, s3_key, s3_object_version]
  }

  depends_on = [aws_cloudwatch_log_group.lambda, aws_iam_role_policy.lambda]
}

resource "aws_cloudwatch_log_group" "lambda" {
  for_each = local.lambdas

  # The name Lambda writes to by default.
  name              = "/aws/lambda/${local.name}-${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.data.arn
}

# -- roles: one per function --------------------------------------------------------------------

resource "aws_iam_role" "lambda" {
  for_each = local.lambdas

  name               = "${local.name}-${each.key}"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
}

data "aws_iam_policy_document" "lambda_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "lambda" {
  for_each = local.lambdas

  name   = each.key
  role   = aws_iam_role.lambda[each.key].id
  policy = data.aws_iam_policy_document.lambda[each.key].json
}

data "aws_iam_policy_document" "lambda" {
  for_each = local.lambdas

  # What the function does on top of what every function needs.
  source_policy_documents = [{
    extract = data.aws_iam_policy_document.extract.json
    load    = data.aws_iam_policy_document.load.json
  }[each.key]]

  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.lambda[each.key].arn}:*"]
  }

  statement {
    sid       = "SendTraces"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"] # X-Ray trace APIs have no resource type: AWS requires "*".
  }

  statement {
    sid       = "UseTheDataKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.data.arn]
  }
}

data "aws_iam_policy_document" "extract" {
  statement {
    sid     = "ListRawFilesAndManifests"
    actions = ["s3:ListBucket"]
    resources = [
      aws_s3_bucket.bucket["raw"].arn,
      aws_s3_bucket.bucket["curated"].arn,
    ]
  }

  statement {
    sid     = "ReadAndWriteManifestsTheIndexAndParkedMarkers"
    actions = ["s3:GetObject", "s3:PutObject"]
    # Every object Extract reads or writes is JSON: manifests/<batch>.json and the outcome
    # markers (read), _index/<dataset>.json (read and written) and _parked/<raw path>.json
    # (written; listing is enough to skip a parked file).
    resources = ["${aws_s3_bucket.bucket["curated"].arn}/manifests/*.json"]
  }
}

data "aws_iam_policy_document" "load" {
  statement {
    sid     = "ReadCuratedBatches"
    actions = ["s3:ListBucket", "s3:GetObject"]
    resources = [
      aws_s3_bucket.bucket["curated"].arn,
      "${aws_s3_bucket.bucket["curated"].arn}/curated/*",
    ]
  }

  statement {
    sid       = "RunStatementsOnTheWorkgroup"
    actions   = ["redshift-data:ExecuteStatement", "redshift-data:BatchExecuteStatement"]
    resources = [aws_redshiftserverless_workgroup.warehouse.arn]
  }

  statement {
    sid = "FollowOwnStatements"
    actions = [
      "redshift-data:DescribeStatement",
      "redshift-data:GetStatementResult",
      "redshift-data:CancelStatement",
    ]
    # These take a statement id, not a resource ARN: AWS requires "*". The Data API only lets
    # the principal that ran a statement read it.
    resources = ["*"]
  }

  statement {
    sid       = "ReadWarehouseCredentials"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [aws_redshiftserverless_namespace.warehouse.admin_password_secret_arn]
  }
}
