# One Cloud Run service per function, all from the same image; FUNCTION_TARGET picks the
# function (functions/Hosting/FunctionTargets.cs) and each runs as its own service account.
# Every variable of functions/Hosting/FunctionEnvironment.cs is set on every service (PORT is
# set by Cloud Run); a test in tests/Cctv.Deploy.Tests checks both.
resource "google_cloud_run_v2_service" "function" {
  for_each = local.functions

  project  = var.project_id
  name     = "${var.name_prefix}-${each.value.slug}"
  location = var.region

  ingress             = each.value.public ? "INGRESS_TRAFFIC_ALL" : "INGRESS_TRAFFIC_INTERNAL_ONLY"
  custom_audiences    = [local.oidc_audience]
  deletion_protection = var.deletion_protection

  # The retry and sweep functions verify their callers' OIDC tokens themselves (main.tf,
  # verifies_tokens); their ingress stays internal.
  invoker_iam_disabled = each.value.verifies_tokens

  labels = {
    component       = "cctv-functions"
    function-target = lower(each.key)
  }

  template {
    service_account                  = google_service_account.function[each.key].email
    timeout                          = each.value.timeout
    max_instance_request_concurrency = each.value.concurrency
    execution_environment            = "EXECUTION_ENVIRONMENT_GEN2"

    scaling {
      min_instance_count = 0
      max_instance_count = each.value.max_instances
    }

    containers {
      image = var.image

      ports {
        container_port = 8080
      }

      resources {
        limits = {
          cpu    = "1"
          memory = each.value.memory
        }
        cpu_idle          = true
        startup_cpu_boost = true
      }

      startup_probe {
        http_get {
          path = "/healthz"
        }
        period_seconds    = 2
        timeout_seconds   = 2
        failure_threshold = 15
      }

      env {
        name  = "FUNCTION_TARGET"
        value = each.key
      }
      env {
        name  = "CCTV_BACKEND"
        value = "gcp"
      }
      env {
        name  = "GCP_STORAGE_PROJECT_ID"
        value = var.project_id
      }
      env {
        name  = "GCP_STORAGE_BUCKET_NAME"
        value = google_storage_bucket.archive.name
      }
      env {
        name  = "CCTV_STAGING_BUCKET_NAME"
        value = google_storage_bucket.staging.name
      }
      env {
        name  = "CCTV_FIRESTORE_DATABASE"
        value = google_firestore_database.catalog.name
      }
      env {
        name  = "CCTV_RETRY_TOPIC"
        value = google_pubsub_topic.retry.name
      }
      env {
        # Events the finalize function refuses for good are published here (only its account may).
        name  = "CCTV_DEAD_LETTER_TOPIC"
        value = google_pubsub_topic.dead_letter.name
      }
      env {
        name  = "CCTV_SIGNING_SERVICE_ACCOUNT"
        value = google_service_account.url_signer.email
      }
      env {
        name  = "CCTV_OIDC_AUDIENCE"
        value = local.oidc_audience
      }
      env {
        name  = "CCTV_INVOKER_SERVICE_ACCOUNTS"
        value = join(",", local.invokers[each.key])
      }
      env {
        name  = "CCTV_USER_TOKEN_AUDIENCES"
        value = join(",", var.user_token_audiences)
      }
      env {
        name  = "CCTV_SIGNED_URL_MINUTES"
        value = tostring(var.signed_url_minutes)
      }
      env {
        name  = "CCTV_CORS_ORIGINS"
        value = join(",", var.cors_origins)
      }
      env {
        name  = "CCTV_STAGING_SLA_MINUTES"
        value = tostring(var.staging_sla_minutes)
      }
      env {
        name  = "CCTV_RECORDER_OFFLINE_MINUTES"
        value = tostring(var.recorder_offline_minutes)
      }
      env {
        name  = "CCTV_SALVAGE_AFTER_MINUTES"
        value = tostring(var.salvage_after_minutes)
      }
      env {
        name  = "CCTV_RETENTION_DAYS"
        value = local.retention_days
      }
    }
  }

  # Cloud Build deploys new images (cloudbuild.yaml); terraform must not roll them back.
  lifecycle {
    ignore_changes = [
      template[0].containers[0].image,
      client,
      client_version,
    ]
  }

  depends_on = [google_project_service.enabled]
}
