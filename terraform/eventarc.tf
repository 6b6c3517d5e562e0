# google.cloud.storage.object.v1.finalized on the staging bucket -> the StagingObjectFinalized
# service. The trigger sits in the bucket's region (Eventarc requires it for Cloud Storage
# sources) and delivers with its own service account's OIDC token.
#
# Delivery settings: Eventarc creates the trigger's Pub/Sub subscription itself
# (transport[0].pubsub[0].subscription, output eventarc_subscription) with Pub/Sub's push
# back-off of 10 s to 600 s and 24 hours' retention (https://cloud.google.com/eventarc/docs/retry-events).
# The google provider has no argument for that subscription's retry or dead-letter policy, and
# terraform cannot manage a subscription another service created, so they are not declared here.
# The pipeline does not depend on them: the finalize function answers 2xx once it has handed a
# failed event to the retry topic (pubsub.tf: back-off, dead letters after
# retry_max_delivery_attempts), records an event it refuses for good on the dead-letter topic
# itself, and a 503 (the retry topic unreachable) is redelivered by Eventarc. What still falls
# off after 24 hours is a staged object the reconcile sweep finds. An operator who wants the
# subscription's own dead letters sets them with the command in the output's description.
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
