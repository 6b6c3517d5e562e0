# The catalog: one document per recording (collection `recordings`) and per edge recorder
# (collection `recorders`). A project whose `(default)` database already exists must import it
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
  # Composite indexes of the catalog's queries. Single-field indexes (e.g. recorders by
  # last_heartbeat for the sweep's "heartbeat stopped" query) are automatic in Firestore and
  # cannot be declared as composite indexes.
  firestore_indexes = {
    recordings-by-camera = {
      collection = "recordings"
      fields = [
        { path = "camera_id", order = "ASCENDING" },
        { path = "start_time", order = "DESCENDING" },
      ]
    }
    recordings-by-state = {
      collection = "recordings"
      fields = [
        { path = "state", order = "ASCENDING" },
        { path = "updated_at", order = "ASCENDING" },
      ]
    }
    recordings-by-site = {
      collection = "recordings"
      fields = [
        { path = "site_id", order = "ASCENDING" },
        { path = "start_time", order = "DESCENDING" },
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
