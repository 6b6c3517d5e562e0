# The catalog: one document per recording (collection `recordings`), per camera (`cameras`), per
# gap in a camera's footage (`gaps`), per edge recorder with its last heartbeat (`recorders`), and
# the sweep's checkpoints (`checkpoints`); see shared/Gcp/Firestore/CatalogDocuments.cs. A project whose `(default)` database already exists must import it
# first: terraform import google_firestore_database.catalog "projects/PROJECT/databases/(default)".
resource "google_firestore_database" "catalog" {
  project     = var.project_id
  name        = var.firestore_database
  location_id = local.firestore_location
  type        = "FIRESTORE_NATIVE"

  concurrency_mode                  = "OPTIMISTIC"
  app_engine_integration_mode       = "DISABLED"
  point_in_time_recovery_enablement = "POINT_IN_TIME_RECOVERY_ENABLED"
  delete_protection_state           = var.deletion_protection ? "DELETE_PROTECTION_ENABLED" : "DELETE_PROTECTION_DISABLED"

  depends_on = [google_project_service.enabled]
}

locals {
  # Composite indexes of the catalog's queries (FirestoreCatalog; its field names are in
  # CatalogDocuments.cs). Single-field indexes (recordings by start_time or end_time, counts by
  # state, the camera and recorder lists) are automatic in Firestore and are not declared here.
  firestore_indexes = {
    # The player API: a camera's recordings (by recorder and camera) over a time range, newest first.
    recordings-by-recorder-camera = {
      collection = "recordings"
      fields = [
        { path = "recorder_id", order = "ASCENDING" },
        { path = "camera_id", order = "ASCENDING" },
        { path = "start_time", order = "DESCENDING" },
      ]
    }
    # The player API: the recordings of a caller's sites (their recorders) over a time range, newest first.
    recordings-by-recorder = {
      collection = "recordings"
      fields = [
        { path = "recorder_id", order = "ASCENDING" },
        { path = "start_time", order = "DESCENDING" },
      ]
    }
    # The sweep and status: recordings in a state, oldest announcement first.
    recordings-by-state = {
      collection = "recordings"
      fields = [
        { path = "state", order = "ASCENDING" },
        { path = "announced_at", order = "ASCENDING" },
      ]
    }
    # Retention: a camera's archived recordings not under a legal hold, oldest first.
    recordings-for-retention-by-recorder = {
      collection = "recordings"
      fields = [
        { path = "recorder_id", order = "ASCENDING" },
        { path = "camera_id", order = "ASCENDING" },
        { path = "legal_hold", order = "ASCENDING" },
        { path = "state", order = "ASCENDING" },
        { path = "start_time", order = "ASCENDING" },
      ]
    }
    # GET /api/status: recordings of the last 24 hours archived within 5 minutes of their end.
    recordings-on-time = {
      collection = "recordings"
      fields = [
        { path = "archived_on_time", order = "ASCENDING" },
        { path = "end_time", order = "ASCENDING" },
      ]
    }
    # The timeline: a camera's gaps in a time range.
    gaps-by-recorder-camera = {
      collection = "gaps"
      fields = [
        { path = "recorder_id", order = "ASCENDING" },
        { path = "camera_id", order = "ASCENDING" },
        { path = "start_time", order = "ASCENDING" },
      ]
    }
  }
}

resource "google_firestore_index" "catalog" {
  for_each = local.firestore_indexes

  project     = var.project_id
  database    = google_firestore_database.catalog.name
  collection  = each.value.collection
  query_scope = "COLLECTION"

  dynamic "fields" {
    for_each = each.value.fields
    content {
      field_path = fields.value.path
      order      = fields.value.order
    }
  }
}
