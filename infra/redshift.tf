# Redshift Serverless: the warehouse the load Lambda merges batches into.
#
# Redshift generates the admin password and keeps it in a Secrets Manager secret it rotates
# (manage_admin_password), so no credential is ever in a variable, this state or the Lambda's
# environment: the Lambda gets the secret's ARN and the Data API reads the secret.

locals {
  warehouse_url = join("", [
    "redshift-data://${aws_redshiftserverless_workgroup.warehouse.workgroup_name}/${var.redshift_database}",
    "?secret_arn=${aws_redshiftserverless_namespace.warehouse.admin_password_secret_arn}",
    "&iam_role=${aws_iam_role.redshift.arn}",
  ])
}

resource "aws_redshiftserverless_namespace" "warehouse" {
  namespace_name                   = local.name
  db_name                          = var.redshift_database
  admin_username                   = var.redshift_admin_username
  manage_admin_password            = true
  admin_password_secret_kms_key_id = aws_kms_key.data.arn
  kms_key_id                       = aws_kms_key.data.arn
  iam_roles                        = [aws_iam_role.redshift.arn]
  default_iam_role_arn             = aws_iam_role.redshift.arn
  log_exports                      = ["userlog", "connectionlog", "useractivitylog"]
}

resource "aws_redshiftserverless_workgroup" "warehouse" {
  workgroup_name       = local.name
  namespace_name       = aws_redshiftserverless_namespace.warehouse.namespace_name
  base_capacity        = var.redshift_base_capacity
  publicly_accessible  = false
  enhanced_vpc_routing = var.redshift_enhanced_vpc_routing
  subnet_ids           = length(var.redshift_subnet_ids) > 0 ? var.redshift_subnet_ids : null
  security_group_ids   = length(var.redshift_security_group_ids) > 0 ? var.redshift_security_group_ids : null
}

# -- the role COPY runs as (named in the warehouse URL) -------------------------------------------

resource "aws_iam_role" "redshift" {
  name               = "${local.name}-redshift"
  assume_role_policy = data.aws_iam_policy_document.redshift_assume.json
}

data "aws_iam_policy_document" "redshift_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["redshift.amazonaws.com", "redshift-serverless.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role_policy" "redshift" {
  name   = "copy-curated"
  role   = aws_iam_role.redshift.id
  policy = data.aws_iam_policy_document.redshift.json
}

data "aws_iam_policy_document" "redshift" {
  statement {
    sid       = "ListCuratedBatches"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.bucket["curated"].arn]
  }

  statement {
    sid       = "ReadCuratedParquet"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.bucket["curated"].arn}/curated/*"]
  }

  statement {
    sid       = "DecryptCuratedParquet"
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.data.arn]
  }
}
