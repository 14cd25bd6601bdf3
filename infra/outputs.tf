output "state_machine_arn" {
  description = "ARN of the state machine (aws stepfunctions start-execution --state-machine-arn)."
  value       = aws_sfn_state_machine.etl.arn
}

output "state_machine_version_arn" {
  description = "The version the last definition change published."
  value       = aws_sfn_state_machine.etl.state_machine_version_arn
}

output "state_machine_alias_arn" {
  description = "The `live` alias the schedule starts (sfn-etl deploy moves it to each new version)."
  value       = aws_sfn_alias.live.arn
}

output "state_machine_name" {
  description = "Name of the state machine (sfn-etl deploy --state-machine)."
  value       = aws_sfn_state_machine.etl.name
}

output "raw_bucket" {
  description = "Bucket raw extracts land in (raw/<dataset>/<table>/...)."
  value       = aws_s3_bucket.bucket["raw"].id
}

output "curated_bucket" {
  description = "Lake root: curated/, manifests/ and validation/ prefixes."
  value       = aws_s3_bucket.bucket["curated"].id
}

output "quarantine_bucket" {
  description = "Bucket of malformed rows, per raw table and batch."
  value       = aws_s3_bucket.bucket["quarantine"].id
}

output "artifacts_bucket" {
  description = "Bucket `sfn-etl deploy --bucket` uploads to."
  value       = aws_s3_bucket.bucket["artifacts"].id
}

output "artifacts_prefix" {
  description = "Prefix `sfn-etl deploy --prefix` uploads under (the Glue role reads only there)."
  value       = local.artifacts_prefix
}

output "glue_job_names" {
  description = "Glue job name per job script (sfn-etl deploy --glue-job SCRIPT=NAME)."
  value       = { for key, job in aws_glue_job.job : key => job.name }
}

output "lambda_function_names" {
  description = "Lambda function name per handler (sfn-etl deploy --lambda NAME)."
  value       = { for key, fn in aws_lambda_function.fn : key => fn.function_name }
}

output "definition_substitutions" {
  description = "The values of the definition's placeholders (sfn-etl deploy --definition-values)."
  value       = local.definition_substitutions
}

output "catalog_databases" {
  description = "Glue Data Catalog database per catalogued dataset (Athena: SELECT ... FROM <database>.<table>)."
  value       = { for key, database in aws_glue_catalog_database.dataset : key => database.name }
}

output "notification_topic_arn" {
  description = "SNS topic of run summaries and alarms."
  value       = aws_sns_topic.notifications.arn
}

output "dead_letter_queue_url" {
  description = "SQS queue holding the input and error of failed executions."
  value       = aws_sqs_queue.dlq.url
}

output "warehouse_url" {
  description = "SFN_ETL_WAREHOUSE of the load Lambda (holds the secret's ARN, not the secret)."
  value       = local.warehouse_url
}

output "dashboard_name" {
  description = "CloudWatch dashboard of the pipeline."
  value       = aws_cloudwatch_dashboard.etl.dashboard_name
}
