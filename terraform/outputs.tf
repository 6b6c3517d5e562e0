output "api_url" {
  description = "Base URL of the player API (GET /api/recordings/...)."
  value       = google_cloud_run_v2_service.function["PlayerApi"].uri
}

output "function_urls" {
  description = "URL of each function's Cloud Run service, by FUNCTION_TARGET."
  value       = { for target, service in google_cloud_run_v2_service.function : target => service.uri }
}

output "function_service_accounts" {
  description = "Service account each function runs as, by FUNCTION_TARGET."
  value       = { for target, account in google_service_account.function : target => account.email }
}

output "staging_bucket" {
  description = "Bucket the edge uploads into (Recorder.Gcp.StagingBucket in the edge configuration)."
  value       = google_storage_bucket.staging.name
}

output "archive_bucket" {
  description = "Bucket holding verified recordings (GCP_STORAGE_BUCKET_NAME)."
  value       = google_storage_bucket.archive.name
}

output "edge_service_accounts" {
  description = "Service account of each site's edge recorder, by site ID. Create its key by hand (README.md); terraform creates none."
  value       = { for site, account in google_service_account.edge : site => account.email }
}

output "signing_service_account" {
  description = "Service account whose IAM signBlob signs the player API's V4 URLs."
  value       = google_service_account.url_signer.email
}

output "firestore_database" {
  description = "Firestore database ID of the catalog."
  value       = google_firestore_database.catalog.name
}

output "retry_topic" {
  description = "Pub/Sub topic of the retry path."
  value       = google_pubsub_topic.retry.name
}

output "dead_letter_subscription" {
  description = "Pull subscription holding retry messages that exhausted their deliveries and finalize events refused for good (attribute kind = refused_event)."
  value       = google_pubsub_subscription.dead_letter.name
}

output "oidc_audience" {
  description = "Audience of the OIDC tokens Pub/Sub and Cloud Scheduler send to the functions."
  value       = local.oidc_audience
}

output "image_repository" {
  description = "Artifact Registry path the functions image is pushed to."
  value       = "${google_artifact_registry_repository.images.location}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.images.repository_id}"
}

output "build_service_account" {
  description = "Service account to run cloudbuild.yaml with (gcloud builds submit --service-account)."
  value       = google_service_account.build.id
}

output "cloudbuild_submit_command" {
  description = "The command that tests, builds and deploys the functions from a checkout."
  value = join(" ", [
    "gcloud builds submit --project=${var.project_id} --region=${var.region} --config=cloudbuild.yaml",
    "--service-account=${google_service_account.build.id}",
    "--gcs-source-staging-dir=gs://${google_storage_bucket.build.name}/source",
    "--substitutions=_REGION=${var.region},_REPOSITORY=${google_artifact_registry_repository.images.repository_id},_SERVICES='${join(" ", [for s in google_cloud_run_v2_service.function : s.name])}'",
    ".",
  ])
}

output "eventarc_subscription" {
  description = "The Pub/Sub subscription Eventarc created for the finalize trigger (its retry policy is Eventarc's: 10-600 s back-off, 24 h retention). To add a dead-letter policy: gcloud pubsub subscriptions update SUBSCRIPTION --dead-letter-topic=DEAD_LETTER_TOPIC --max-delivery-attempts=10 (and grant the Pub/Sub service agent subscriber on it)."
  value       = google_eventarc_trigger.staging_finalized.transport[0].pubsub[0].subscription
}
