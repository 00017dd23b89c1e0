# Web ACL on the stage: AWS managed baseline, known-bad-inputs (Log4j etc.) and anonymous-IP
# (Tor/hosting providers: lenders call from known networks) rule groups, then rate limits per
# consumer. WAF runs before API Gateway authenticates, so it tells consumers apart by their API
# key: a count rule per consumer labels requests that carry its key, a rate rule per consumer
# limits that label at its usage plan's rate (x waf_consumer_limit_factor), and only requests
# without a consumer's key are limited per client IP - a lender's origination system behind one
# NAT address is limited by its plan, not by its address. The key values therefore sit in the
# web ACL (readable with wafv2:GetWebACL); they are usage-plan selectors, not credentials.
locals {
  waf_window_seconds = 300
  waf_consumers = {
    for index, name in sort(keys(var.api_consumers)) : name => {
      label_priority = 100 + index
      limit_priority = 200 + index
      limit          = max(100, ceil(var.api_consumers[name].rate_limit * local.waf_window_seconds * var.waf_consumer_limit_factor))
    }
  }
  waf_consumer_label_namespace = "consumer:"
}

resource "aws_wafv2_web_acl" "this" {
  name  = local.function_name
  scope = "REGIONAL"

  default_action {
    allow {}
  }

  rule {
    name     = "aws-common"
    priority = 10
    override_action {
      none {}
    }
    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesCommonRuleSet"

        # Server-to-server clients (an origination system, the SigV4 sample client) often send
        # no User-Agent: count them, do not block them.
        rule_action_override {
          name = "NoUserAgent_HEADER"
          action_to_use {
            count {}
          }
        }
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${local.function_name}-aws-common"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "aws-known-bad-inputs"
    priority = 20
    override_action {
      none {}
    }
    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesKnownBadInputsRuleSet"
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${local.function_name}-known-bad-inputs"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "aws-anonymous-ip"
    priority = 25
    override_action {
      none {}
    }
    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesAnonymousIpList"
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${local.function_name}-anonymous-ip"
      sampled_requests_enabled   = true
    }
  }

  dynamic "rule" {
    for_each = local.waf_consumers
    content {
      name     = "identify-${rule.key}"
      priority = rule.value.label_priority
      action {
        count {}
      }
      rule_label {
        name = "${local.waf_consumer_label_namespace}${rule.key}"
      }
      statement {
        byte_match_statement {
          search_string         = aws_api_gateway_api_key.this[rule.key].value
          positional_constraint = "EXACTLY"
          field_to_match {
            single_header {
              name = "x-api-key"
            }
          }
          text_transformation {
            priority = 0
            type     = "NONE"
          }
        }
      }
      visibility_config {
        cloudwatch_metrics_enabled = true
        metric_name                = "${local.function_name}-identify-${rule.key}"
        sampled_requests_enabled   = false
      }
    }
  }

  dynamic "rule" {
    for_each = local.waf_consumers
    content {
      name     = "rate-limit-${rule.key}"
      priority = rule.value.limit_priority
      action {
        block {}
      }
      statement {
        rate_based_statement {
          limit                 = rule.value.limit
          evaluation_window_sec = local.waf_window_seconds
          aggregate_key_type    = "CONSTANT"
          scope_down_statement {
            label_match_statement {
              scope = "LABEL"
              key   = "${local.waf_consumer_label_namespace}${rule.key}"
            }
          }
        }
      }
      visibility_config {
        cloudwatch_metrics_enabled = true
        metric_name                = "${local.function_name}-rate-limit-${rule.key}"
        sampled_requests_enabled   = true
      }
    }
  }

  rule {
    name     = "rate-limit-unidentified-per-ip"
    priority = 300
    action {
      block {}
    }
    statement {
      rate_based_statement {
        limit                 = var.waf_rate_limit_per_5min
        evaluation_window_sec = local.waf_window_seconds
        aggregate_key_type    = "IP"
        scope_down_statement {
          not_statement {
            statement {
              label_match_statement {
                scope = "NAMESPACE"
                key   = local.waf_consumer_label_namespace
              }
            }
          }
        }
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${local.function_name}-rate-limit-unidentified"
      sampled_requests_enabled   = true
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = local.function_name
    sampled_requests_enabled   = true
  }

  tags = var.tags
}

resource "aws_wafv2_web_acl_association" "this" {
  resource_arn = aws_api_gateway_stage.this.arn
  web_acl_arn  = aws_wafv2_web_acl.this.arn
}

# WAF requires the log group name to start with aws-waf-logs-.
resource "aws_cloudwatch_log_group" "waf" {
  name              = "aws-waf-logs-${local.function_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn

  tags = var.tags
}

resource "aws_wafv2_web_acl_logging_configuration" "this" {
  resource_arn            = aws_wafv2_web_acl.this.arn
  log_destination_configs = [aws_cloudwatch_log_group.waf.arn]

  # API keys travel in this header; never write them to logs.
  redacted_fields {
    single_header {
      name = "x-api-key"
    }
  }
}
