# Transient failures of the event path are re-driven through this topic: the functions publish
# a message, Pub/Sub pushes it to the RetryHandler service with back-off, and after
# retry_max_delivery_attempts it lands on the dead-letter topic. The finalize function also
# publishes the events it refuses for good there itself (attribute kind = "refused_event", with
# the CloudEvent's event_id), so both kinds of dead letter wait in one subscription.
resource "google_pubsub_topic" "retry" {
  project                    = var.project_id
  name                       = "${var.name_prefix}-retry"
  message_retention_duration = "604800s"

  depends_on = [google_project_service.enabled]
}

resource "google_pubsub_topic" "dead_letter" {
  project                    = var.project_id
  name                       = "${var.name_prefix}-retry-dead-letter"
  message_retention_duration = "604800s"

  depends_on = [google_project_service.enabled]
}

resource "google_pubsub_subscription" "retry_push" {
  project = var.project_id
  name    = "${var.name_prefix}-retry-push"
  topic   = google_pubsub_topic.retry.id

  # The handler answers within the service timeout; Pub/Sub re-pushes after this deadline.
  ack_deadline_seconds       = 600
  message_retention_duration = "604800s"
  retain_acked_messages      = false

  push_config {
    push_endpoint = google_cloud_run_v2_service.function["RetryHandler"].uri

    oidc_token {
      service_account_email = google_service_account.pubsub_push.email
      audience              = local.oidc_audience
    }
  }

  retry_policy {
    minimum_backoff = "${var.retry_min_backoff_seconds}s"
    maximum_backoff = "${var.retry_max_backoff_seconds}s"
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter.id
    max_delivery_attempts = var.retry_max_delivery_attempts
  }

  expiration_policy {
    ttl = "" # never expires, even when no message flows for weeks
  }

  depends_on = [
    google_cloud_run_v2_service_iam_member.invoker,
    google_pubsub_topic_iam_member.dead_letter_publisher,
  ]
}

# Dead letters are kept here for an operator (gcloud pubsub subscriptions pull): retry messages
# that exhausted their deliveries, and refused finalize events (attribute kind = "refused_event";
# Eventarc may deliver one event more than once, so dedupe on the event_id attribute). A topic
# with no subscription would drop them.
resource "google_pubsub_subscription" "dead_letter" {
  project = var.project_id
  name    = "${var.name_prefix}-retry-dead-letter"
  topic   = google_pubsub_topic.dead_letter.id

  ack_deadline_seconds       = 60
  message_retention_duration = "604800s"

  expiration_policy {
    ttl = ""
  }
}
