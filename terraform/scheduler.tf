locals {
  # Both jobs call the ReconcileSweep service; the service is single-instance, one job at a time.
  # The seed's schedules map here: its hourly safety check (ensure_gcp_uploads) is the reconcile
  # sweep, run more often than hourly (sweep_schedule) so the 5-minute target can be watched; its
  # daily cleanup of old recordings is the retention job (retention_schedule). Each call does a
  # bounded amount of work and keeps a checkpoint, so the next call goes on where it stopped.
  scheduler_jobs = {
    reconcile-sweep = {
      description = "Reconcile the catalog with both buckets: re-drive what is stuck, report the rest."
      schedule    = var.sweep_schedule
      path        = var.sweep_path
      body        = { job = "reconcile" }
    }
    retention = {
      description = "Daily retention: delete archived recordings past their camera's retention, except those under a legal hold."
      schedule    = var.retention_schedule
      path        = var.retention_path
      body        = { job = "retention" }
    }
  }
}

resource "google_cloud_scheduler_job" "sweep" {
  for_each = local.scheduler_jobs

  project     = var.project_id
  region      = var.region
  name        = "${var.name_prefix}-${each.key}"
  description = each.value.description
  schedule    = each.value.schedule
  time_zone   = var.scheduler_time_zone

  # The longest an attempt may run: the service's own timeout.
  attempt_deadline = local.functions["ReconcileSweep"].timeout

  retry_config {
    retry_count          = 3
    min_backoff_duration = "30s"
    max_backoff_duration = "300s"
    max_doublings        = 3
  }

  http_target {
    http_method = "POST"
    uri         = "${trimsuffix(google_cloud_run_v2_service.function["ReconcileSweep"].uri, "/")}${each.value.path}"
    body        = base64encode(jsonencode(each.value.body))
    headers = {
      "Content-Type" = "application/json"
    }

    oidc_token {
      service_account_email = google_service_account.scheduler.email
      audience              = local.oidc_audience
    }
  }

  depends_on = [google_cloud_run_v2_service_iam_member.invoker]
}
