# google.cloud.storage.object.v1.finalized on the staging bucket -> the StagingObjectFinalized
# service. The trigger sits in the bucket's region (Eventarc requires it for Cloud Storage
# sources) and delivers with its own service account's OIDC token.
resource "google_eventarc_trigger" "staging_finalized" {
  project  = var.project_id
  name     = "${var.name_prefix}-staging-finalized"
  location = var.region

  matching_criteria {
    attribute = "type"
    value     = "google.cloud.storage.object.v1.finalized"
  }
  matching_criteria {
    attribute = "bucket"
    value     = google_storage_bucket.staging.name
  }

  destination {
    cloud_run_service {
      service = google_cloud_run_v2_service.function["StagingObjectFinalized"].name
      region  = var.region
    }
  }

  service_account = google_service_account.eventarc.email

  labels = {
    component = "cctv-functions"
  }

  depends_on = [
    google_project_iam_member.gcs_agent_pubsub_publisher,
    google_project_iam_member.eventarc_event_receiver,
    google_cloud_run_v2_service_iam_member.invoker,
  ]
}
