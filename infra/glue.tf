# The Glue jobs (Glue 5.0: Spark 3.5, Python 3.11) and the one role both run as.
#
# Terraform creates each job with a bootstrap script location; `sfn-etl deploy` uploads the
# script and the package wheel under content-hashed keys and repoints the job, so Terraform
# ignores those two settings afterwards.

locals {
  # Keys are the job scripts in jobs/ (jobs/<key>.py); tests/infra checks both directions.
  glue_jobs = {
    transform = {
      description = "Raw files of a manifest -> curated Parquet and quarantine"
      arguments   = {}
    }
    validate = {
      description = "Expectation suites over a batch's curated tables"
      # Without it the job falls back to a local DuckDB file (Glue has neither the file nor
      # duckdb); given Redshift, it records the warehouse keys as not checked (no Data API grant).
      arguments = { "--warehouse" = local.warehouse_url }
    }
  }

  glue_default_arguments = {
    "--job-language" = "python"
    # The manifest is the bookmark: Glue's bookmark would advance before validation passed and
    # lose the files of a batch that fails it.
    "--job-bookmark-option"              = "job-bookmark-disable"
    "--enable-metrics"                   = "true"
    "--enable-observability-metrics"     = "true"
    "--enable-continuous-cloudwatch-log" = "true"
    "--TempDir"                          = "s3://${aws_s3_bucket.bucket["artifacts"].id}/glue-temp/"
    "--lake"                             = local.lake_root
    "--lake_raw"                         = local.lake_raw_root
    "--lake_quarantine"                  = local.lake_quarantine_root
  }
}

resource "aws_glue_job" "job" {
  for_each = local.glue_jobs

  name                   = "${local.name}-${each.key}"
  description            = each.value.description
  role_arn               = aws_iam_role.glue.arn
  glue_version           = "5.0"
  worker_type            = var.glue_worker_type
  number_of_workers      = var.glue_number_of_workers
  timeout                = var.glue_timeout_minutes
  max_retries            = var.glue_max_retries
  security_configuration = aws_glue_security_configuration.jobs.name
  default_arguments      = merge(local.glue_default_arguments, each.value.arguments)

  command {
    name            = "glueetl"
    python_version  = "3"
    script_location = "${local.artifacts_root}/not-deployed/jobs/${each.key}.py"
  }

  execution_property {
    max_concurrent_runs = var.glue_max_concurrent_runs
  }

  lifecycle {
    # Owned by `sfn-etl deploy` (content-hashed keys), not by Terraform.
    ignore_changes = [
      command[0].script_location,
      default_arguments["--additional-python-modules"],
    ]
  }
}

resource "aws_glue_security_configuration" "jobs" {
  name = local.name

  encryption_configuration {
    cloudwatch_encryption {
      cloudwatch_encryption_mode = "SSE-KMS"
      kms_key_arn                = aws_kms_key.data.arn
    }
    job_bookmarks_encryption {
      job_bookmarks_encryption_mode = "CSE-KMS"
      kms_key_arn                   = aws_kms_key.data.arn
    }
    s3_encryption {
      s3_encryption_mode = "SSE-KMS"
      kms_key_arn        = aws_kms_key.data.arn
    }
  }
}

# -- role -------------------------------------------------------------------------------------

resource "aws_iam_role" "glue" {
  name               = "${local.name}-glue"
  assume_role_policy = data.aws_iam_policy_document.glue_assume.json
}

data "aws_iam_policy_document" "glue_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["glue.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role_policy" "glue" {
  name   = "glue-jobs"
  role   = aws_iam_role.glue.id
  policy = data.aws_iam_policy_document.glue.json
}

data "aws_iam_policy_document" "glue" {
  statement {
    sid     = "ListTheLakeBuckets"
    actions = ["s3:ListBucket"]
    resources = [
      aws_s3_bucket.bucket["raw"].arn,
      aws_s3_bucket.bucket["curated"].arn,
      aws_s3_bucket.bucket["quarantine"].arn,
      aws_s3_bucket.bucket["artifacts"].arn,
    ]
  }

  statement {
    sid     = "ReadRawFilesAndManifests"
    actions = ["s3:GetObject"]
    resources = [
      "${aws_s3_bucket.bucket["raw"].arn}/raw/*",
      "${aws_s3_bucket.bucket["curated"].arn}/manifests/*",
      "${aws_s3_bucket.bucket["artifacts"].arn}/${local.artifacts_prefix}/*",
    ]
  }

  statement {
    sid     = "ParkRawFiles"
    actions = ["s3:PutObject"]
    # The transform parks a file whose lines are mostly rejected: a marker, never the file.
    resources = ["${aws_s3_bucket.bucket["curated"].arn}/manifests/_parked/*"]
  }

  statement {
    sid     = "WriteCuratedQuarantineValidationAndTemp"
    actions = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = [
      "${aws_s3_bucket.bucket["curated"].arn}/curated/*",
      "${aws_s3_bucket.bucket["curated"].arn}/validation/*",
      "${aws_s3_bucket.bucket["quarantine"].arn}/quarantine/*",
      "${aws_s3_bucket.bucket["artifacts"].arn}/glue-temp/*",
    ]
  }

  statement {
    sid       = "UseTheDataKey"
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.data.arn]
  }

  statement {
    sid = "WriteJobLogs"
    actions = [
      "logs:CreateLogGroup",
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "logs:AssociateKmsKey",
    ]
    resources = [
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws-glue/*",
    ]
  }

  statement {
    sid     = "PublishJobMetrics"
    actions = ["cloudwatch:PutMetricData"]
    # PutMetricData has no resource type: AWS requires "*"; the condition pins the namespace.
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = ["Glue"]
    }
  }
}
