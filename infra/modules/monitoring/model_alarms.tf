# Model-health alarms on the monitoring job's EMF metrics, built from the metric table of
# risk-monitoring/README.md (the catalogue in risk_monitoring/metrics.py): each watches a metric
# under exactly the dimensions the job emits it with: Powertools adds service=risk-monitoring to
# every set, ModelName is the bundle's model_name, and CheckAlert carries Check. A test
# (infra/tests/test_alarms.py) reads the catalogue from the code and puts the metric on moto to
# show that each alarm's query finds it and that a breaching value breaches.
locals {
  monitoring_dimensions = {
    service   = var.monitoring_service
    ModelName = var.model_name
  }

  # daily = the scheduled run's period; the outcomes run (delayed labels) lands on its own
  # cadence and is judged in the period it lands.
  model_alarms = {
    drifted-features = {
      metric      = "DriftedFeatureCount"
      statistic   = "Maximum"
      comparison  = "GreaterThanOrEqualToThreshold"
      threshold   = 1
      description = "A feature's served distribution differs from the serving population of the champion's training run (chi-square test significant for the day's sample size and PSI beyond chance >= drift_min_psi). See the day's report under monitoring/reports/."
    }
    served-input-invariants = {
      metric      = "InvariantViolationCount"
      statistic   = "Sum"
      comparison  = "GreaterThanThreshold"
      threshold   = 0
      description = "Served inputs broke the feature contract (types, ranges, schema, nulls) or prediction lines were malformed."
    }
    training-serving-skew = {
      metric      = "SkewMismatchRate"
      statistic   = "Maximum"
      comparison  = "GreaterThanThreshold"
      threshold   = var.skew_mismatch_rate_threshold
      description = "More than ${var.skew_mismatch_rate_threshold} of sampled served rows differ from the online rows their store run published in the lake: a serving or publishing bug."
    }
    skew-not-checked = {
      metric      = "SkewComparedRows"
      statistic   = "Minimum"
      comparison  = "LessThanThreshold"
      threshold   = 1
      missing     = "breaching"
      periods     = 2
      description = "Skew was not checked for two days (no served rows compared with the lake): the job failed, had no traffic, or cannot read the lake."
    }
    non-finite-values = {
      metric      = "NonFiniteCount"
      statistic   = "Sum"
      comparison  = "GreaterThanThreshold"
      threshold   = 0
      description = "NaN or infinite features or probabilities were served."
    }
    model-staleness = {
      metric      = "ModelAgeDays"
      statistic   = "Maximum"
      comparison  = "GreaterThanThreshold"
      threshold   = var.max_model_age_days
      description = "Served model older than ${var.max_model_age_days} days: retraining is overdue."
    }
    feature-store-staleness = {
      metric      = "FeatureStoreAgeDays"
      statistic   = "Maximum"
      comparison  = "GreaterThanThreshold"
      threshold   = var.max_feature_store_age_days
      missing     = "breaching" # a silent monitoring job is itself a staleness problem
      periods     = 2
      description = "Online feature store not refreshed for ${var.max_feature_store_age_days} days, or the monitoring job stopped reporting (missing data counts as breaching)."
    }
    online-quality = {
      metric      = "CheckAlert"
      check       = "quality"
      statistic   = "Maximum"
      comparison  = "GreaterThanOrEqualToThreshold"
      threshold   = 1
      description = "Online quality from delayed labels (the outcomes run): ROC-AUC below max(min_roc_auc, training test ROC-AUC - max_roc_auc_drop) or calibration error above max_ece, overall or for a version with enough labels of each class."
    }
    outcome-match = {
      metric      = "OutcomeMatchedShare"
      statistic   = "Minimum"
      comparison  = "LessThanThreshold"
      threshold   = var.min_outcome_matched_share
      description = "Less than ${var.min_outcome_matched_share} of the lender's repayment rows matched the prediction that judged the loan: prediction log lines or customer ids are being lost."
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "model" {
  for_each = {
    for name, alarm in local.model_alarms :
    name => merge({ periods = 1, missing = "notBreaching", check = null }, alarm)
  }

  alarm_name          = "${var.name_prefix}-${each.key}"
  alarm_description   = each.value.description
  namespace           = var.monitoring_namespace
  metric_name         = each.value.metric
  statistic           = each.value.statistic
  period              = var.monitoring_period_seconds
  evaluation_periods  = each.value.periods
  comparison_operator = each.value.comparison
  threshold           = each.value.threshold
  treat_missing_data  = each.value.missing
  alarm_actions       = [aws_sns_topic.this.arn]
  dimensions = merge(
    local.monitoring_dimensions,
    each.value.check == null ? {} : { Check = each.value.check },
  )

  tags = var.tags
}
