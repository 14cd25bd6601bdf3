variable "environment" {
  description = "Environment name (dev, staging, prod); part of every resource name."
  type        = string

  validation {
    # Bucket names are global and at most 63 characters: keep the environment short and DNS-safe.
    condition     = can(regex("^[a-z][a-z0-9-]{1,11}$", var.environment))
    error_message = "environment: 2-12 characters, lowercase letters, digits and hyphens."
  }
}

variable "aws_region" {
  description = "Region of every resource."
  type        = string
  default     = "eu-west-1"
}

variable "artifacts_prefix" {
  description = "Key prefix in the artifacts bucket under which `sfn-etl deploy` uploads (its --prefix)."
  type        = string
  default     = "sfn-etl"

  validation {
    # The Glue role may read artifacts only under this prefix, so it cannot be the whole bucket.
    condition     = length(trim(var.artifacts_prefix, "/")) > 0
    error_message = "artifacts_prefix must not be empty."
  }
}

# -- schedule -------------------------------------------------------------------------------

variable "schedule_expression" {
  description = "EventBridge Scheduler expression that starts an execution: rate(...), cron(...) or at(...)."
  type        = string
  default     = "rate(1 hour)"

  validation {
    condition     = can(regex("^(rate|cron|at)\\(.+\\)$", var.schedule_expression))
    error_message = "schedule_expression must be rate(...), cron(...) or at(...)."
  }
}

variable "schedule_timezone" {
  description = "IANA time zone a cron() schedule expression is read in."
  type        = string
  default     = "UTC"
}

variable "schedule_enabled" {
  description = "Whether the schedule starts executions (disable to pause the pipeline)."
  type        = bool
  default     = true
}

variable "schedule_max_retries" {
  description = "Times EventBridge Scheduler retries a StartExecution that failed (0-185)."
  type        = number
  default     = 3
}

variable "schedule_max_event_age_seconds" {
  description = "Give up retrying a scheduled start after this many seconds (60-86400)."
  type        = number
  default     = 3600
}

# -- Glue -----------------------------------------------------------------------------------

variable "glue_worker_type" {
  description = "Glue worker type of both jobs (G.1X, G.2X, G.4X, G.8X)."
  type        = string
  default     = "G.1X"
}

variable "glue_number_of_workers" {
  description = "Glue workers per job run (at least 2: one driver, one executor)."
  type        = number
  default     = 2

  validation {
    condition     = var.glue_number_of_workers >= 2
    error_message = "glue_number_of_workers must be at least 2."
  }
}

variable "glue_timeout_minutes" {
  description = "Glue stops a job run after this many minutes."
  type        = number
  default     = 120
}

variable "glue_max_retries" {
  description = "Glue's own retries of a failed run. The state machine already retries with backoff, so 0."
  type        = number
  default     = 0
}

variable "glue_max_concurrent_runs" {
  description = "Runs of one job at a time (overlapping scheduled executions)."
  type        = number
  default     = 2
}

# -- Lambda ---------------------------------------------------------------------------------

variable "lambda_timeout_seconds" {
  description = "Timeout of the extract and load Lambdas (a load waits for its COPY and MERGE)."
  type        = number
  default     = 900
}

variable "lambda_memory_mb" {
  description = "Memory of the extract and load Lambdas."
  type        = number
  default     = 512
}

# -- state machine and logs -----------------------------------------------------------------

variable "state_machine_log_level" {
  description = "Step Functions execution log level: ALL, ERROR, FATAL or OFF."
  type        = string
  default     = "ERROR"

  validation {
    condition     = contains(["ALL", "ERROR", "FATAL", "OFF"], var.state_machine_log_level)
    error_message = "state_machine_log_level must be ALL, ERROR, FATAL or OFF."
  }
}

variable "log_retention_days" {
  description = "Retention of every CloudWatch log group of the pipeline."
  type        = number
  default     = 365
}

# -- Redshift Serverless --------------------------------------------------------------------

variable "redshift_database" {
  description = "Database the load Lambda writes to."
  type        = string
  default     = "sfn_etl"
}

variable "redshift_admin_username" {
  description = "Admin user of the namespace; Redshift generates its password into Secrets Manager."
  type        = string
  default     = "sfn_etl_admin"
}

variable "redshift_base_capacity" {
  description = "Base RPUs of the workgroup (8 is the minimum)."
  type        = number
  default     = 8
}

variable "redshift_enhanced_vpc_routing" {
  description = "Route COPY's S3 traffic through the workgroup's VPC; the VPC then needs an S3 gateway endpoint."
  type        = bool
  default     = false
}

variable "redshift_subnet_ids" {
  description = "Private subnets of the workgroup (at least three AZs); empty uses the default VPC."
  type        = list(string)
  default     = []
}

variable "redshift_security_group_ids" {
  description = "Security groups of the workgroup; empty uses the VPC's default group."
  type        = list(string)
  default     = []
}

# -- notifications --------------------------------------------------------------------------

variable "notification_emails" {
  description = "Addresses subscribed to run summaries and alarms (each must confirm by email)."
  type        = list(string)
  default     = []
}

variable "kms_deletion_window_days" {
  description = "Waiting period before the data key is deleted after a destroy."
  type        = number
  default     = 30
}

variable "noncurrent_version_days" {
  description = "Days a replaced or deleted object version is kept before it expires."
  type        = number
  default     = 90
}

# -- datasets -------------------------------------------------------------------------------

variable "datasets" {
  description = "The dataset registry (transforms/registry.py) as `sfn-etl package` renders it into datasets.auto.tfvars.json: regenerate that file, never edit it or set this by hand."
  type = map(object({
    description  = string
    destinations = list(string)
    tables = map(object({
      columns        = list(object({ name = string, type = string }))
      partition_keys = list(object({ name = string, type = string }))
    }))
  }))
}
