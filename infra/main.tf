# Names, account facts and the values every concern shares. One file per concern next to it:
# kms, storage, glue, lambda, state_machine, scheduler, notifications, redshift, monitoring.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  name       = "sfn-etl-${var.environment}"
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = var.aws_region

  # The lake is one root (the curated bucket, which also holds manifests/ and validation/)
  # with the raw and quarantine zones moved to buckets of their own. A zone keeps its name as
  # its prefix there, so every object has the key it has in a local lake; the jobs and Lambdas
  # get the same three roots.
  lake_root            = "s3://${aws_s3_bucket.bucket["curated"].id}"
  lake_raw_root        = "s3://${aws_s3_bucket.bucket["raw"].id}/raw"
  lake_quarantine_root = "s3://${aws_s3_bucket.bucket["quarantine"].id}/quarantine"
  curated_root         = "${local.lake_root}/curated"

  # Where `sfn-etl deploy` puts artifacts. Terraform only creates the jobs and functions with a
  # bootstrap location; deploy repoints them at content-hashed keys under this prefix.
  artifacts_prefix = trim(var.artifacts_prefix, "/")
  artifacts_root   = "s3://${aws_s3_bucket.bucket["artifacts"].id}/${local.artifacts_prefix}"
}
