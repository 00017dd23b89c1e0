# Prediction log to S3: the inference function writes each prediction as one compact JSON line
# on stdout (contract 6). Lambda keeps stdout lines as plain text even with log_format = "JSON",
# so each CloudWatch Logs event's message is that JSON object. A subscription filter sends the
# prediction events to Firehose, whose processors undo the CloudWatch Logs envelope
# (Decompression -> CloudWatchLogProcessing message extraction -> AppendDelimiterToRecord), so
# the objects hold contract-6 lines exactly as `risk-monitor` reads them, one day per prefix.
locals {
  prediction_log_name = "${var.name_prefix}-prediction-log"
  # The lines carry customer ids and features: same bucket and controls as the training set.
  features_bucket_arn  = "arn:${local.partition}:s3:::${var.features_bucket_name}"
  artifacts_bucket_arn = "arn:${local.partition}:s3:::${var.artifacts_bucket_name}"
  prediction_prefix    = "predictions/"
}

resource "aws_cloudwatch_log_group" "prediction_log" {
  name              = "/aws/kinesisfirehose/${local.prediction_log_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn

  tags = var.tags
}

resource "aws_cloudwatch_log_stream" "prediction_log" {
  name           = "DestinationDelivery"
  log_group_name = aws_cloudwatch_log_group.prediction_log.name
}

resource "aws_kinesis_firehose_delivery_stream" "this" {
  name        = local.prediction_log_name
  destination = "extended_s3"

  server_side_encryption {
    enabled  = true
    key_type = "CUSTOMER_MANAGED_CMK"
    key_arn  = var.kms_key_arn
  }

  extended_s3_configuration {
    role_arn   = aws_iam_role.firehose.arn
    bucket_arn = local.features_bucket_arn
    # Arrival time (UTC) names the day: the monitoring job's "previous_day" window reads one prefix.
    prefix              = "${local.prediction_prefix}!{timestamp:yyyy-MM-dd}/"
    error_output_prefix = "predictions-errors/!{firehose:error-output-type}/!{timestamp:yyyy-MM-dd}/"
    custom_time_zone    = "UTC"
    file_extension      = ".jsonl.gz"
    compression_format  = "GZIP"
    buffering_interval  = var.prediction_log_buffering_seconds
    buffering_size      = 64
    kms_key_arn         = var.kms_key_arn

    processing_configuration {
      enabled = true

      processors {
        type = "Decompression"
        parameters {
          parameter_name  = "CompressionFormat"
          parameter_value = "GZIP"
        }
      }

      processors {
        type = "CloudWatchLogProcessing"
        parameters {
          parameter_name  = "DataMessageExtraction"
          parameter_value = "true"
        }
      }

      processors {
        type = "AppendDelimiterToRecord"
      }
    }

    cloudwatch_logging_options {
      enabled         = true
      log_group_name  = aws_cloudwatch_log_group.prediction_log.name
      log_stream_name = aws_cloudwatch_log_stream.prediction_log.name
    }
  }

  tags = var.tags
}

resource "aws_cloudwatch_log_subscription_filter" "prediction_log" {
  name            = local.prediction_log_name
  log_group_name  = var.prediction_log_group_name
  filter_pattern  = "{ $.event = \"prediction\" }"
  destination_arn = aws_kinesis_firehose_delivery_stream.this.arn
  role_arn        = aws_iam_role.logs_to_firehose.arn
}
