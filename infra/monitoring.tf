# Alarms (to the SNS topic) and one dashboard. Every alarm fires on the first occurrence: a
# scheduled ETL has no background noise to filter out.

locals {
  alarm_actions = [aws_sns_topic.notifications.arn]

  state_machine_alarms = {
    failed    = { metric = "ExecutionsFailed", what = "failed" }
    timed_out = { metric = "ExecutionsTimedOut", what = "timed out" }
    throttled = { metric = "ExecutionThrottled", what = "were throttled" }
  }
}

resource "aws_cloudwatch_metric_alarm" "state_machine" {
  for_each = local.state_machine_alarms

  alarm_name          = "${local.name}-executions-${replace(each.key, "_", "-")}"
  alarm_description   = "Executions of ${aws_sfn_state_machine.etl.name} ${each.value.what}."
  namespace           = "AWS/States"
  metric_name         = each.value.metric
  dimensions          = { StateMachineArn = aws_sfn_state_machine.etl.arn }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# Glue publishes no "job failed" metric; a rule matching the job's failure events does
# (AWS/Events TriggeredRules), which catches runs started outside the state machine too.
resource "aws_cloudwatch_event_rule" "glue_job_failed" {
  for_each = aws_glue_job.job

  name        = "${each.value.name}-failed"
  description = "Runs of Glue job ${each.value.name} that failed, timed out or errored."
  event_pattern = jsonencode({
    source        = ["aws.glue"]
    "detail-type" = ["Glue Job State Change"]
    detail = {
      jobName = [each.value.name]
      state   = ["FAILED", "TIMEOUT", "ERROR"]
    }
  })
}

resource "aws_cloudwatch_metric_alarm" "glue_job_failed" {
  for_each = aws_cloudwatch_event_rule.glue_job_failed

  alarm_name          = "${local.name}-glue-${each.key}-failed"
  alarm_description   = "A run of Glue job ${aws_glue_job.job[each.key].name} failed."
  namespace           = "AWS/Events"
  metric_name         = "TriggeredRules"
  dimensions          = { RuleName = each.value.name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "lambda_errors" {
  for_each = aws_lambda_function.fn

  alarm_name          = "${local.name}-lambda-${each.key}-errors"
  alarm_description   = "Lambda ${each.value.function_name} raised an error."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = each.value.function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "dlq_depth" {
  alarm_name          = "${local.name}-dlq-not-empty"
  alarm_description   = "Failed executions are waiting in ${aws_sqs_queue.dlq.name}."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.dlq.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_dashboard" "etl" {
  dashboard_name = local.name
  dashboard_body = jsonencode({
    widgets = [
      {
        type = "metric", x = 0, y = 0, width = 12, height = 6
        properties = {
          title  = "Executions"
          region = local.region
          stat   = "Sum"
          period = 300
          metrics = [
            for metric in ["ExecutionsStarted", "ExecutionsSucceeded", "ExecutionsFailed", "ExecutionsTimedOut", "ExecutionThrottled"] :
            ["AWS/States", metric, "StateMachineArn", aws_sfn_state_machine.etl.arn]
          ]
        }
      },
      {
        type = "metric", x = 12, y = 0, width = 12, height = 6
        properties = {
          title   = "Execution time (ms)"
          region  = local.region
          stat    = "Maximum"
          period  = 300
          metrics = [["AWS/States", "ExecutionTime", "StateMachineArn", aws_sfn_state_machine.etl.arn]]
        }
      },
      {
        type = "metric", x = 0, y = 6, width = 12, height = 6
        properties = {
          title   = "Glue job failures"
          region  = local.region
          stat    = "Sum"
          period  = 300
          metrics = [for rule in aws_cloudwatch_event_rule.glue_job_failed : ["AWS/Events", "TriggeredRules", "RuleName", rule.name]]
        }
      },
      {
        type = "metric", x = 12, y = 6, width = 12, height = 6
        properties = {
          title  = "Lambda invocations, errors and throttles"
          region = local.region
          stat   = "Sum"
          period = 300
          metrics = flatten([
            for fn in aws_lambda_function.fn : [
              for metric in ["Invocations", "Errors", "Throttles"] :
              ["AWS/Lambda", metric, "FunctionName", fn.function_name]
            ]
          ])
        }
      },
      {
        type = "metric", x = 0, y = 12, width = 12, height = 6
        properties = {
          title   = "Dead-letter queue depth"
          region  = local.region
          stat    = "Maximum"
          period  = 300
          metrics = [["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", aws_sqs_queue.dlq.name]]
        }
      },
      {
        type = "alarm", x = 12, y = 12, width = 12, height = 6
        properties = {
          title = "Alarms"
          alarms = concat(
            [for alarm in aws_cloudwatch_metric_alarm.state_machine : alarm.arn],
            [for alarm in aws_cloudwatch_metric_alarm.glue_job_failed : alarm.arn],
            [for alarm in aws_cloudwatch_metric_alarm.lambda_errors : alarm.arn],
            [aws_cloudwatch_metric_alarm.dlq_depth.arn],
          )
        }
      },
    ]
  })
}
