# EventBridge Scheduler starts an execution on the schedule. A start that keeps failing lands in
# the DLQ with the rest of the failures.

resource "aws_scheduler_schedule" "etl" {
  name                         = local.name
  description                  = "Starts ${local.name} executions"
  schedule_expression          = var.schedule_expression
  schedule_expression_timezone = var.schedule_timezone
  state                        = var.schedule_enabled ? "ENABLED" : "DISABLED"
  # Encrypts the target input; the role decrypts it with the data key when it starts a run.
  kms_key_arn = aws_kms_key.data.arn

  flexible_time_window {
    mode = "OFF"
  }

  target {
    # StartExecution on the alias runs the version it points at (the unqualified ARN would run
    # the latest definition, published or not).
    arn      = aws_sfn_alias.live.arn
    role_arn = aws_iam_role.scheduler.arn
    # Empty input: the definition's defaults apply.
    input = jsonencode({})

    retry_policy {
      maximum_retry_attempts       = var.schedule_max_retries
      maximum_event_age_in_seconds = var.schedule_max_event_age_seconds
    }

    dead_letter_config {
      arn = aws_sqs_queue.dlq.arn
    }
  }
}

resource "aws_iam_role" "scheduler" {
  name               = "${local.name}-scheduler"
  assume_role_policy = data.aws_iam_policy_document.scheduler_assume.json
}

data "aws_iam_policy_document" "scheduler_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role_policy" "scheduler" {
  name   = "start-executions"
  role   = aws_iam_role.scheduler.id
  policy = data.aws_iam_policy_document.scheduler.json
}

data "aws_iam_policy_document" "scheduler" {
  statement {
    sid       = "StartExecutions"
    actions = ["states:StartExecution"]
    # A permission on the unqualified ARN does not cover a start through an alias.
    resources = [aws_sfn_alias.live.arn]
  }

  statement {
    sid       = "DeadLetterUnstartedExecutions"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dlq.arn]
  }

  statement {
    sid       = "EncryptDeadLetters"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.data.arn]
  }
}
