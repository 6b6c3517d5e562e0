# ---------------------------------------------------------------------------
# Project and placement
# ---------------------------------------------------------------------------

variable "project_id" {
  description = "The GCP project that holds the whole system (buckets, Firestore, Pub/Sub, Cloud Run, Scheduler)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a project ID (6-30 characters: lowercase letters, digits, hyphens; starts with a letter), not a project name or number."
  }
}

variable "region" {
  description = "The region of the Cloud Run services, the Eventarc trigger, the Scheduler jobs, Artifact Registry and the staging bucket. Eventarc's Cloud Storage trigger must sit in the staging bucket's location, so both use this region."
  type        = string
  default     = "europe-west1"

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must be a single GCP region such as europe-west1 or us-central1 (not a zone, not a multi-region)."
  }
}

variable "name_prefix" {
  description = "Prefix of every resource name (services, service accounts, topics, jobs). Short, so that service account IDs stay within 30 characters."
  type        = string
  default     = "cctv"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,10}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-12 characters: lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "enable_apis" {
  description = "Enable the Google APIs the system uses. Set to false where a platform team enables APIs centrally."
  type        = bool
  default     = true
}

variable "deletion_protection" {
  description = "Protect the Cloud Run services and the Firestore database against `terraform destroy`. Turn off only for throw-away projects."
  type        = bool
  default     = true
}

# ---------------------------------------------------------------------------
# Container image
# ---------------------------------------------------------------------------

variable "image" {
  description = "The functions image every Cloud Run service runs, e.g. europe-west1-docker.pkg.dev/PROJECT/cctv/functions:BUILD_ID (pushed by cloudbuild.yaml). Used when a service is created; later deployments are done by Cloud Build, which terraform does not undo."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+(:[A-Za-z0-9._-]+|@sha256:[a-f0-9]{64})$", var.image))
    error_message = "image must be a full image reference with a tag or digest, e.g. europe-west1-docker.pkg.dev/my-project/cctv/functions:abc123."
  }
}

variable "artifact_repository_id" {
  description = "Artifact Registry (Docker) repository that holds the functions image."
  type        = string
  default     = "cctv"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,62}$", var.artifact_repository_id))
    error_message = "artifact_repository_id must be lowercase letters, digits and hyphens, starting with a letter."
  }
}

# ---------------------------------------------------------------------------
# Buckets
# ---------------------------------------------------------------------------

variable "staging_bucket_name" {
  description = "Name of the staging bucket the edge uploads into. Defaults to <project_id>-<name_prefix>-staging."
  type        = string
  default     = null

  validation {
    condition     = var.staging_bucket_name == null || can(regex("^[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]$", var.staging_bucket_name))
    error_message = "staging_bucket_name must be a valid bucket name: 3-63 lowercase letters, digits, hyphens or underscores, starting and ending with a letter or digit."
  }
}

variable "archive_bucket_name" {
  description = "Name of the archive bucket that holds verified recordings. Defaults to <project_id>-<name_prefix>-archive."
  type        = string
  default     = null

  validation {
    condition     = var.archive_bucket_name == null || can(regex("^[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]$", var.archive_bucket_name))
    error_message = "archive_bucket_name must be a valid bucket name: 3-63 lowercase letters, digits, hyphens or underscores, starting and ending with a letter or digit."
  }
}

variable "archive_location" {
  description = "Location of the archive bucket: a region, a dual-region (e.g. EUR4) or a multi-region (e.g. EU). Defaults to `region`. A location other than the staging bucket's makes every archive copy a cross-location transfer, which is billed."
  type        = string
  default     = null

  validation {
    condition     = var.archive_location == null || can(regex("^[A-Za-z0-9-]+$", var.archive_location))
    error_message = "archive_location must be a bucket location such as europe-west1, EUR4 or EU."
  }
}

variable "staging_delete_after_days" {
  description = "Age in days after which leftovers in the staging bucket (uploads never archived: quarantined or stuck) are deleted. Archived objects are removed from staging by the function right away; this only collects what the reconcile sweep has already reported."
  type        = number
  default     = 14

  validation {
    condition     = var.staging_delete_after_days >= 1 && var.staging_delete_after_days <= 365 && floor(var.staging_delete_after_days) == var.staging_delete_after_days
    error_message = "staging_delete_after_days must be a whole number of days between 1 and 365."
  }
}

variable "archive_nearline_after_days" {
  description = "Age in days after which archived recordings move to NEARLINE (cheaper storage, retrieval fee, 30-day minimum). 0 keeps them in STANDARD."
  type        = number
  default     = 30

  validation {
    condition     = var.archive_nearline_after_days >= 0 && floor(var.archive_nearline_after_days) == var.archive_nearline_after_days
    error_message = "archive_nearline_after_days must be a whole number of days, 0 to disable."
  }
}

variable "archive_coldline_after_days" {
  description = "Age in days after which archived recordings move to COLDLINE (90-day minimum storage). 0 disables. Must be later than the NEARLINE age when both are set."
  type        = number
  default     = 90

  validation {
    condition     = var.archive_coldline_after_days >= 0 && floor(var.archive_coldline_after_days) == var.archive_coldline_after_days
    error_message = "archive_coldline_after_days must be a whole number of days, 0 to disable."
  }
}

variable "archive_archive_after_days" {
  description = "Age in days after which archived recordings move to the ARCHIVE class (365-day minimum storage, highest retrieval fee: playback of such recordings is slow to pay for, not to start). 0 disables. Must be later than the COLDLINE age when both are set."
  type        = number
  default     = 0

  validation {
    condition     = var.archive_archive_after_days >= 0 && floor(var.archive_archive_after_days) == var.archive_archive_after_days
    error_message = "archive_archive_after_days must be a whole number of days, 0 to disable."
  }
}

variable "archive_delete_after_days" {
  description = "Age in days after which archived recordings are deleted by the bucket's lifecycle (the daily retention job then marks their catalog entries expired). 0 keeps recordings forever. Must not be shorter than archive_retention_days."
  type        = number
  default     = 0

  validation {
    condition     = var.archive_delete_after_days >= 0 && floor(var.archive_delete_after_days) == var.archive_delete_after_days
    error_message = "archive_delete_after_days must be a whole number of days, 0 to keep recordings forever."
  }
}

variable "archive_retention_days" {
  description = "Bucket retention policy on the archive: no recording can be deleted or replaced, by anyone, before it is this many days old. 0 sets no policy."
  type        = number
  default     = 0

  validation {
    condition     = var.archive_retention_days >= 0 && var.archive_retention_days <= 36500 && floor(var.archive_retention_days) == var.archive_retention_days
    error_message = "archive_retention_days must be a whole number of days between 0 and 36500."
  }
}

variable "archive_retention_locked" {
  description = "Lock the archive's retention policy. IRREVERSIBLE: a locked policy can never be shortened or removed, and the bucket cannot be deleted while it holds objects younger than the period. Only with archive_retention_days > 0."
  type        = bool
  default     = false
}

variable "archive_object_retention" {
  description = "Enable Object Retention Lock on the archive bucket, so an operator can give an evidence object its own retain-until time (gcloud storage objects update --retain-until, unlocked or locked). Off by default: enabling it cannot be undone on the bucket, a locked object retention cannot be shortened even by the project owner, and legal holds do not need it (they use event-based holds, which every bucket supports). Retention (the sweep) reports an object under retention as an error until its time passes."
  type        = bool
  default     = false
}

variable "archive_soft_delete_days" {
  description = "Soft-delete window of the archive bucket: deleted recordings stay restorable this many days. 0 disables soft delete; otherwise 7 to 90."
  type        = number
  default     = 30

  validation {
    condition     = var.archive_soft_delete_days == 0 || (var.archive_soft_delete_days >= 7 && var.archive_soft_delete_days <= 90 && floor(var.archive_soft_delete_days) == var.archive_soft_delete_days)
    error_message = "archive_soft_delete_days must be 0 (disabled) or a whole number of days between 7 and 90."
  }
}

# ---------------------------------------------------------------------------
# Firestore
# ---------------------------------------------------------------------------

variable "firestore_database" {
  description = "Firestore database ID of the catalog. `(default)` unless several systems share the project."
  type        = string
  default     = "(default)"

  validation {
    condition     = var.firestore_database == "(default)" || can(regex("^[a-z][a-z0-9-]{2,61}[a-z0-9]$", var.firestore_database))
    error_message = "firestore_database must be (default) or 4-63 lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "firestore_location" {
  description = "Firestore location: a region (e.g. europe-west1) or a multi-region (eur3, nam5). Defaults to `region`. Cannot be changed after creation."
  type        = string
  default     = null

  validation {
    condition     = var.firestore_location == null || can(regex("^[a-z0-9-]+$", var.firestore_location))
    error_message = "firestore_location must be a Firestore location such as europe-west1, eur3 or nam5."
  }
}

# ---------------------------------------------------------------------------
# Retry path (Pub/Sub)
# ---------------------------------------------------------------------------

variable "retry_min_backoff_seconds" {
  description = "Shortest wait before Pub/Sub re-pushes a retry message the handler did not acknowledge."
  type        = number
  default     = 10

  validation {
    condition     = var.retry_min_backoff_seconds >= 0 && var.retry_min_backoff_seconds <= 600
    error_message = "retry_min_backoff_seconds must be between 0 and 600 (Pub/Sub's limits)."
  }
}

variable "retry_max_backoff_seconds" {
  description = "Longest wait between two pushes of the same retry message."
  type        = number
  default     = 600

  validation {
    condition     = var.retry_max_backoff_seconds >= 0 && var.retry_max_backoff_seconds <= 600
    error_message = "retry_max_backoff_seconds must be between 0 and 600 (Pub/Sub's limits)."
  }
}

variable "retry_max_delivery_attempts" {
  description = "Deliveries of a retry message before it goes to the dead-letter topic, where it stays for an operator (and the reconcile sweep still finds the recording)."
  type        = number
  default     = 10

  validation {
    condition     = var.retry_max_delivery_attempts >= 5 && var.retry_max_delivery_attempts <= 100
    error_message = "retry_max_delivery_attempts must be between 5 and 100 (Pub/Sub's limits)."
  }
}

# ---------------------------------------------------------------------------
# Scheduler
# ---------------------------------------------------------------------------

variable "sweep_schedule" {
  description = "Cron schedule of the reconcile sweep (announced-but-not-staged, staged-but-not-archived, orphans, silent recorders)."
  type        = string
  default     = "*/10 * * * *"

  validation {
    condition     = length(split(" ", trimspace(var.sweep_schedule))) == 5
    error_message = "sweep_schedule must be a five-field cron expression, e.g. */10 * * * *."
  }
}

variable "retention_schedule" {
  description = "Cron schedule of the daily retention job."
  type        = string
  default     = "30 3 * * *"

  validation {
    condition     = length(split(" ", trimspace(var.retention_schedule))) == 5
    error_message = "retention_schedule must be a five-field cron expression, e.g. 30 3 * * *."
  }
}

variable "scheduler_time_zone" {
  description = "IANA time zone the Scheduler cron expressions are read in."
  type        = string
  default     = "Etc/UTC"
}

variable "sweep_path" {
  description = "Path on the ReconcileSweep service that the sweep job POSTs to."
  type        = string
  default     = "/"

  validation {
    condition     = startswith(var.sweep_path, "/")
    error_message = "sweep_path must start with /."
  }
}

variable "retention_path" {
  description = "Path on the ReconcileSweep service that the daily retention job POSTs to."
  type        = string
  default     = "/retention"

  validation {
    condition     = startswith(var.retention_path, "/")
    error_message = "retention_path must start with /."
  }
}

variable "staging_sla_minutes" {
  description = "Minutes after which the sweep reports a recording announced but not yet staged (or quarantined and not uploaded again), and a staging object no recording claims (CCTV_STAGING_SLA_MINUTES)."
  type        = number
  default     = 30

  validation {
    condition     = var.staging_sla_minutes >= 1 && var.staging_sla_minutes <= 10080 && floor(var.staging_sla_minutes) == var.staging_sla_minutes
    error_message = "staging_sla_minutes must be a whole number between 1 and 10080."
  }
}

variable "recorder_offline_minutes" {
  description = "Minutes without a heartbeat after which the sweep and GET /api/status report a recorder offline (CCTV_RECORDER_OFFLINE_MINUTES)."
  type        = number
  default     = 10

  validation {
    condition     = var.recorder_offline_minutes >= 1 && var.recorder_offline_minutes <= 10080 && floor(var.recorder_offline_minutes) == var.recorder_offline_minutes
    error_message = "recorder_offline_minutes must be a whole number between 1 and 10080."
  }
}

variable "salvage_after_minutes" {
  description = "Minutes without a heartbeat or live-session report after which the sweep finishes a recorder's live uploads at the bytes Cloud Storage holds and archives them as salvaged (CCTV_SALVAGE_AFTER_MINUTES)."
  type        = number
  default     = 2

  validation {
    condition     = var.salvage_after_minutes >= 1 && var.salvage_after_minutes <= 10080 && floor(var.salvage_after_minutes) == var.salvage_after_minutes
    error_message = "salvage_after_minutes must be a whole number between 1 and 10080."
  }
}

# ---------------------------------------------------------------------------
# Retention (the daily job deletes archived recordings past their camera's days)
# ---------------------------------------------------------------------------

variable "retention_days" {
  description = "Days an archived recording is kept before the daily retention job deletes it, unless a camera has its own entry in retention_days_by_camera or the recording is under a legal hold. 0 keeps recordings forever."
  type        = number
  default     = 0

  validation {
    condition     = var.retention_days >= 0 && var.retention_days <= 36500 && floor(var.retention_days) == var.retention_days
    error_message = "retention_days must be a whole number between 0 (keep forever) and 36500."
  }
}

variable "retention_days_by_camera" {
  description = "Per-camera retention in days, by camera key RECORDER~CAMERA (e.g. \"rec-a~gate\" = 90; another recorder's gate is another camera), overriding retention_days (0 keeps that camera's recordings forever)."
  type        = map(number)
  default     = {}

  validation {
    condition = alltrue([for camera, days in var.retention_days_by_camera :
      can(regex("^[a-z0-9][a-z0-9_-]{0,62}~[a-z0-9][a-z0-9_-]{0,62}$", camera)) && days >= 0 && days <= 36500 && floor(days) == days
    ])
    error_message = "retention_days_by_camera keys must be camera keys RECORDER~CAMERA (each a-z, 0-9, - and _), e.g. rec-a~gate, and values whole numbers of days between 0 and 36500."
  }
}

# ---------------------------------------------------------------------------
# Player API
# ---------------------------------------------------------------------------

variable "user_token_audiences" {
  description = "Audiences accepted in users' Google / Firebase ID tokens by the player API: OAuth client IDs of the player apps, or the Firebase project ID. Empty means no user can sign in yet."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.user_token_audiences : length(trimspace(a)) > 0 && !strcontains(a, ",")])
    error_message = "user_token_audiences entries must be non-empty and contain no comma."
  }
}

variable "cors_origins" {
  description = "Web origins (scheme://host[:port]) whose pages may call the player API and follow its playback links (CCTV_CORS_ORIGINS); none by default."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for o in var.cors_origins : can(regex("^https?://[^/,]+$", o))])
    error_message = "cors_origins entries must be origins such as https://cctv.example.com: a scheme, a host and an optional port, no path, no trailing slash."
  }
}

variable "signed_url_minutes" {
  description = "Lifetime of the V4 signed URLs the player API hands out, in minutes (the seed documents' default is 120)."
  type        = number
  default     = 120

  validation {
    condition     = var.signed_url_minutes >= 1 && var.signed_url_minutes <= 10080 && floor(var.signed_url_minutes) == var.signed_url_minutes
    error_message = "signed_url_minutes must be a whole number between 1 and 10080 (V4 signed URLs live at most 7 days)."
  }
}

variable "player_api_public" {
  description = "Let anyone on the internet reach the player API (it authenticates every request with users' ID tokens itself). False keeps Cloud Run's IAM check, so only principals with roles/run.invoker get through; organisation policies that forbid allUsers need false."
  type        = bool
  default     = true
}

# ---------------------------------------------------------------------------
# Edge
# ---------------------------------------------------------------------------

variable "edge_sites" {
  description = "IDs of the sites that run an edge recorder. Each site gets its own service account, so one site's key can be disabled without touching the others. Terraform creates no key (see README.md)."
  type        = set(string)

  validation {
    condition     = length(var.edge_sites) > 0 && alltrue([for s in var.edge_sites : can(regex("^[a-z][a-z0-9-]{0,10}[a-z0-9]$", s))])
    error_message = "edge_sites must hold at least one site ID of 2-12 lowercase letters, digits and hyphens, starting with a letter."
  }
}
