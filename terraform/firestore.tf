# The catalog: one document per recording (collection `recordings`), per camera (`cameras`), per
# gap in a camera's footage (`gaps`), per edge recorder with its last heartbeat (`recorders`), and
# the sweep's checkpoints (`checkpoints`); see shared/Gcp/Firestore/CatalogDocuments.cs and the
# query shapes in shared/Gcp/Firestore/catalog-queries.json. A project whose `(default)` database already exists must import it
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
  # No index of a growing collection is ordered by a field that grows with time and nothing before
  # it: Firestore holds a collection to about 500 writes per second while an indexed field grows
  # monotonically ("sequential indexed fields"), as every write lands at the end of one index range.
  # So every such field below is exempt from Firestore's automatic single-field indexes
  # (google_firestore_field.exempt), and every composite index starts with the recorder or the
  # recording's shard (0-15, from its camera key: CatalogDocuments.ShardOf) before its time field,
  # so index writes spread over the recorders or 16 ranges. The fields are those of
  # shared/Gcp/Firestore/catalog-queries.json (growing_fields); tests in tests/Cctv.Deploy.Tests
  # check both lists agree and that every query shape listed there has its index here.
  firestore_growing_fields = {
    recordings    = ["start_time", "end_time", "announced_at", "staged_at", "archived_at", "updated_at", "staging_generation", "archive_generation", "clock_state"]
    gaps          = ["start_time", "end_time"]
    recorders     = ["sent_at", "received_at", "oldest_backlog_sealed_at"]
    checkpoints   = ["updated_at"]
    audit         = ["at", "range_from", "range_to"]
    live_sessions = ["sent_at", "received_at", "sessions"]
  }

  firestore_exemptions = merge([
    for collection, fields in local.firestore_growing_fields : {
      for field in fields : "${collection}.${field}" => { collection = collection, field = field }
    }
  ]...)

  # Composite indexes of the catalog's queries (FirestoreCatalog; its field names are in
  # CatalogDocuments.cs). Each starts with recorder_id or shard. Single-field indexes of fields that
  # do not grow (state for the counts per state, principal for grants) stay automatic.
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
    # The player API: every recording (an operator's view) over a time range, newest first; the
    # query names every shard (shard IN [0..15]) and Firestore merges the ranges.
    recordings-by-shard = {
      collection = "recordings"
      fields = [
        { path = "shard", order = "ASCENDING" },
        { path = "start_time", order = "DESCENDING" },
      ]
    }
    # The sweep and status: recordings in a state, oldest announcement first, over every shard.
    recordings-by-shard-state = {
      collection = "recordings"
      fields = [
        { path = "shard", order = "ASCENDING" },
        { path = "state", order = "ASCENDING" },
        { path = "announced_at", order = "ASCENDING" },
      ]
    }
    # Retention: a camera's archived and salvaged recordings (state "in", served like equality) not under a legal hold, oldest first.
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
    # GET /api/status: recordings of the last 24 hours that ended (one count per shard) ...
    recordings-ended-by-shard = {
      collection = "recordings"
      fields = [
        { path = "shard", order = "ASCENDING" },
        { path = "end_time", order = "ASCENDING" },
      ]
    }
    # ... and those of them archived within 5 minutes of their end.
    recordings-on-time-by-shard = {
      collection = "recordings"
      fields = [
        { path = "shard", order = "ASCENDING" },
        { path = "archived_on_time", order = "ASCENDING" },
        { path = "end_time", order = "ASCENDING" },
      ]
    }
    # GET /api/audit: every read (an operator's view), newest first, over every shard ...
    audit-by-shard = {
      collection = "audit"
      fields = [
        { path = "shard", order = "ASCENDING" },
        { path = "at", order = "DESCENDING" },
      ]
    }
    # ... and one principal's reads.
    audit-by-shard-principal = {
      collection = "audit"
      fields = [
        { path = "shard", order = "ASCENDING" },
        { path = "principal", order = "ASCENDING" },
        { path = "at", order = "DESCENDING" },
      ]
    }
    # The reads of a recorder's footage (a site is its recorders), newest first ...
    audit-by-recorder = {
      collection = "audit"
      fields = [
        { path = "recorder_id", order = "ASCENDING" },
        { path = "at", order = "DESCENDING" },
      ]
    }
    # ... and one principal's reads of it.
    audit-by-recorder-principal = {
      collection = "audit"
      fields = [
        { path = "recorder_id", order = "ASCENDING" },
        { path = "principal", order = "ASCENDING" },
        { path = "at", order = "DESCENDING" },
      ]
    }
    # The reads of one camera's footage (the export's custody record reads these) ...
    audit-by-recorder-camera = {
      collection = "audit"
      fields = [
        { path = "recorder_id", order = "ASCENDING" },
        { path = "camera_id", order = "ASCENDING" },
        { path = "at", order = "DESCENDING" },
      ]
    }
    # ... and one principal's reads of it.
    audit-by-recorder-camera-principal = {
      collection = "audit"
      fields = [
        { path = "recorder_id", order = "ASCENDING" },
        { path = "camera_id", order = "ASCENDING" },
        { path = "principal", order = "ASCENDING" },
        { path = "at", order = "DESCENDING" },
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

# Single-field index exemptions: an empty index_config turns off the automatic ascending,
# descending and array indexes of the field (composite indexes that name it are unaffected).
# Firestore may answer 409 "underlying data changed" to exemptions of one collection created at
# once; the provider retries that since GoogleCloudPlatform/magic-modules#9329 (versions.tf asks
# for 6.8 or later).
resource "google_firestore_field" "exempt" {
  for_each = local.firestore_exemptions

  project    = var.project_id
  database   = google_firestore_database.catalog.name
  collection = each.value.collection
  field      = each.value.field

  index_config {}
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
