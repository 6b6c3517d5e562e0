# The staging bucket: the edge uploads here (create-only), the finalize event fires here, and the
# functions delete each object once its copy in the archive is verified. Soft delete is off:
# removing a staged copy is the normal path, and a verified copy already sits in the archive.
resource "google_storage_bucket" "staging" {
  project  = var.project_id
  name     = local.staging_bucket_name
  location = var.region

  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false

  soft_delete_policy {
    retention_duration_seconds = 0
  }

  # Leftovers (quarantined or never archived) are reported by the reconcile sweep long before
  # this age; the rule only keeps the bucket from filling up.
  lifecycle_rule {
    action {
      type = "Delete"
    }
    condition {
      age = var.staging_delete_after_days
    }
  }

  labels = {
    component = "staging"
  }

  depends_on = [google_project_service.enabled]
}

locals {
  # Cloud Run's deterministic service URL: https://SERVICE-PROJECT_NUMBER.REGION.run.app
  archive_cors_origins = distinct(concat(
    ["https://${var.name_prefix}-${local.functions["PlayerApi"].slug}-${data.google_project.this.number}.${var.region}.run.app"],
    var.cors_origins,
  ))

  # Older recordings move to colder classes; each step only applies to objects still in a
  # warmer class, and a step set to 0 is left out.
  archive_transitions = [
    for t in [
      { age = var.archive_nearline_after_days, class = "NEARLINE", from = ["STANDARD"] },
      { age = var.archive_coldline_after_days, class = "COLDLINE", from = ["STANDARD", "NEARLINE"] },
      { age = var.archive_archive_after_days, class = "ARCHIVE", from = ["STANDARD", "NEARLINE", "COLDLINE"] },
    ] : t if t.age > 0
  ]
}

# The archive bucket: verified recordings, written once by the functions and never deleted by
# them (no service account here holds storage.objects.delete on it). Deletion happens only by
# the lifecycle rule below, after the retention policy allows it.
resource "google_storage_bucket" "archive" {
  project  = var.project_id
  name     = local.archive_bucket_name
  location = local.archive_location

  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false

  soft_delete_policy {
    retention_duration_seconds = var.archive_soft_delete_days * 86400
  }

  # Per-object retention for evidence (see var.archive_object_retention; off by default because it
  # cannot be turned off again). Legal holds do not depend on it: they are event-based holds.
  enable_object_retention = var.archive_object_retention

  # The player page (served by the PlayerApi service) fetches HLS segments and downloads through
  # signed links that redirect here: its origin, and any in cors_origins, may read. The service's
  # URL is the deterministic Cloud Run one, so the bucket does not depend on the service.
  cors {
    origin          = local.archive_cors_origins
    method          = ["GET", "HEAD"]
    response_header = ["Content-Type", "Content-Length", "Content-Range", "Accept-Ranges", "ETag"]
    max_age_seconds = 3600
  }

  dynamic "retention_policy" {
    for_each = var.archive_retention_days > 0 ? [var.archive_retention_days] : []
    content {
      retention_period = retention_policy.value * 86400
      is_locked        = var.archive_retention_locked
    }
  }

  dynamic "lifecycle_rule" {
    for_each = local.archive_transitions
    content {
      action {
        type          = "SetStorageClass"
        storage_class = lifecycle_rule.value.class
      }
      condition {
        age                   = lifecycle_rule.value.age
        matches_storage_class = lifecycle_rule.value.from
      }
    }
  }

  dynamic "lifecycle_rule" {
    for_each = var.archive_delete_after_days > 0 ? [var.archive_delete_after_days] : []
    content {
      action {
        type = "Delete"
      }
      condition {
        age = lifecycle_rule.value
      }
    }
  }

  labels = {
    component = "archive"
  }

  lifecycle {
    precondition {
      condition     = var.archive_delete_after_days == 0 || var.archive_delete_after_days >= var.archive_retention_days
      error_message = "archive_delete_after_days must be 0 or at least archive_retention_days: the lifecycle rule cannot delete what the retention policy protects."
    }
    precondition {
      condition     = !var.archive_retention_locked || var.archive_retention_days > 0
      error_message = "archive_retention_locked needs archive_retention_days > 0."
    }
    precondition {
      condition = (
        (var.archive_nearline_after_days == 0 || var.archive_coldline_after_days == 0 || var.archive_coldline_after_days > var.archive_nearline_after_days) &&
        (var.archive_coldline_after_days == 0 || var.archive_archive_after_days == 0 || var.archive_archive_after_days > var.archive_coldline_after_days) &&
        (var.archive_nearline_after_days == 0 || var.archive_archive_after_days == 0 || var.archive_archive_after_days > var.archive_nearline_after_days)
      )
      error_message = "Storage class ages must increase: NEARLINE < COLDLINE < ARCHIVE (0 disables a step)."
    }
  }

  depends_on = [google_project_service.enabled]
}

# Source archives uploaded by `gcloud builds submit` (see cloudbuild.yaml); nothing else.
resource "google_storage_bucket" "build" {
  project  = var.project_id
  name     = local.build_bucket_name
  location = var.region

  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = true

  soft_delete_policy {
    retention_duration_seconds = 0
  }

  lifecycle_rule {
    action {
      type = "Delete"
    }
    condition {
      age = 7
    }
  }

  labels = {
    component = "build"
  }

  depends_on = [google_project_service.enabled]
}
