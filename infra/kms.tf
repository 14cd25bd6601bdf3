# One customer-managed key encrypts the environment's data at rest: buckets, logs, the DLQ, the
# topic, Lambda environment variables, Glue output and the warehouse with its admin secret.

resource "aws_kms_key" "data" {
  description             = "${local.name}: data at rest"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_days
  policy                  = data.aws_iam_policy_document.kms.json
}

resource "aws_kms_alias" "data" {
  name          = "alias/${local.name}"
  target_key_id = aws_kms_key.data.key_id
}

data "aws_iam_policy_document" "kms" {
  # In a key policy the resource can only be "*": it means this key. checkov reads it as a
  # wildcard over every key.
  #checkov:skip=CKV_AWS_109:Key policy: the resource "*" is this key, as AWS requires.
  #checkov:skip=CKV_AWS_111:Key policy: the resource "*" is this key, as AWS requires.
  #checkov:skip=CKV_AWS_356:Key policy: the resource "*" is this key, as AWS requires.
  statement {
    sid       = "AccountAdministersTheKeyThroughIam"
    actions   = ["kms:*"]
    resources = ["*"] # key policy: "*" is this key
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid = "CloudWatchLogsEncryptsThisAccountsLogGroups"
    actions = [
      "kms:Encrypt",
      "kms:Decrypt",
      "kms:ReEncrypt*",
      "kms:GenerateDataKey*",
      "kms:Describe*",
    ]
    resources = ["*"] # key policy: "*" is this key
    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:*"]
    }
  }

  statement {
    sid       = "CloudWatchAlarmsPublishToTheEncryptedTopic"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"] # key policy: "*" is this key
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}
