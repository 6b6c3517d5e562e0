# Where cloudbuild.yaml pushes the functions image, and the identity it builds and deploys with.
resource "google_artifact_registry_repository" "images" {
  project       = var.project_id
  location      = var.region
  repository_id = var.artifact_repository_id
  format        = "DOCKER"
  description   = "CCTV functions images (cloudbuild.yaml)."

  docker_config {
    immutable_tags = true # a tag (the build ID) always names the same image
  }

  depends_on = [google_project_service.enabled]
}

resource "google_service_account" "build" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-build"
  display_name = "CCTV Cloud Build"
  description  = "Runs cloudbuild.yaml: tests, pushes the functions image, deploys it to the Cloud Run services."

  depends_on = [google_project_service.enabled]
}

resource "google_artifact_registry_repository_iam_member" "build_writer" {
  project    = var.project_id
  location   = google_artifact_registry_repository.images.location
  repository = google_artifact_registry_repository.images.name
  role       = "roles/artifactregistry.writer"
  member     = google_service_account.build.member
}

resource "google_storage_bucket_iam_member" "build_source" {
  bucket = google_storage_bucket.build.name
  role   = "roles/storage.objectViewer"
  member = google_service_account.build.member
}

resource "google_project_iam_member" "build_log_writer" {
  project = var.project_id
  role    = "roles/logging.logWriter"
  member  = google_service_account.build.member
}

# Deploy = a new revision with a new image, on these services only, running as their own
# service accounts (actAs on each, nothing else).
resource "google_cloud_run_v2_service_iam_member" "build_deployer" {
  for_each = local.functions

  project  = var.project_id
  location = var.region
  name     = google_cloud_run_v2_service.function[each.key].name
  role     = "roles/run.developer"
  member   = google_service_account.build.member
}

resource "google_service_account_iam_member" "build_acts_as" {
  for_each = local.functions

  service_account_id = google_service_account.function[each.key].name
  role               = "roles/iam.serviceAccountUser"
  member             = google_service_account.build.member
}
