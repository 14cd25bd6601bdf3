terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      # 5.39.0 is the first release with the Redshift Serverless namespace's
      # manage_admin_password and admin_password_secret_kms_key_id (redshift.tf; provider pull
      # request #35965); state machine versions (publish) and aws_sfn_alias are older (5.x). The
      # 6.0 major release changed resource schemas this configuration has not been checked on.
      version = ">= 5.39, < 6.0"
    }
    archive = {
      source  = "hashicorp/archive"
      version = ">= 2.4"
    }
  }
}

provider "aws" {
  region = var.aws_region

  default_tags {
    tags = {
      Project     = "sfn-etl"
      Environment = var.environment
      ManagedBy   = "terraform"
    }
  }
}
