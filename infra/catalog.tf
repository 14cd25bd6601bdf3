# The Glue Data Catalog over the curated zone: a database per dataset, a table per curated table,
# a partition per batch. Datasets and columns come from the registry (transforms/registry.py)
# through datasets.auto.tfvars.json, which `sfn-etl package` writes. Terraform owns databases and
# tables; the state machine adds each batch's partition once the batch passed validation, so a
# query never reads a batch that failed it.

locals {
  # Athena and Glue names are lowercase letters, digits and underscores: no hyphens.
  catalog_database_prefix = "${replace(local.name, "-", "_")}_"

  # The datasets that declare the catalog as a destination (transforms/declaration.py).
  catalog_datasets = {
    for name, dataset in var.datasets : name => dataset if contains(dataset.destinations, "catalog")
  }

  catalog_tables = {
    for table in flatten([
      for dataset_name, dataset in local.catalog_datasets : [
        for table_name, table in dataset.tables : {
          key            = "${dataset_name}.${table_name}"
          dataset        = dataset_name
          table          = table_name
          columns        = table.columns
          partition_keys = table.partition_keys
        }
      ]
    ]) : table.key => table
  }

  # What Spark writes; the state machine gives every partition the same formats and SerDe.
  parquet = {
    input_format          = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
    output_format         = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
    serialization_library = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
  }
}

resource "aws_glue_catalog_database" "dataset" {
  for_each = local.catalog_datasets

  name         = "${local.catalog_database_prefix}${each.key}"
  description  = each.value.description
  location_uri = "${local.curated_root}/${each.key}/"
}

resource "aws_glue_catalog_table" "curated" {
  for_each = local.catalog_tables

  name          = each.value.table
  database_name = aws_glue_catalog_database.dataset[each.value.dataset].name
  table_type    = "EXTERNAL_TABLE"
  parameters = {
    EXTERNAL       = "TRUE"
    classification = "parquet"
  }

  dynamic "partition_keys" {
    for_each = each.value.partition_keys
    content {
      name = partition_keys.value.name
      type = partition_keys.value.type
    }
  }

  storage_descriptor {
    # orchestration/core/layout.py: curated/<dataset>/<table>/batch_id=<id>/ under the lake root.
    location      = "${local.curated_root}/${each.value.dataset}/${each.value.table}/"
    input_format  = local.parquet.input_format
    output_format = local.parquet.output_format

    ser_de_info {
      name                  = "parquet"
      serialization_library = local.parquet.serialization_library
    }

    dynamic "columns" {
      for_each = each.value.columns
      content {
        name = columns.value.name
        type = columns.value.type
      }
    }
  }
}
