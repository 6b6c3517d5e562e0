# Service accounts and every grant they hold. Grants sit on the narrowest resource IAM offers
# (bucket, topic, subscription, Cloud Run service, service account); only Firestore and
# Eventarc's event receiver role exist at project level alone. No primitive role (owner, editor,
# viewer) and no key: keys for the edge are created by an operator (see README.md).

# ---------------------------------------------------------------------------
# Service accounts
# ---------------------------------------------------------------------------

resource "google_service_account" "function" {
  for_each = local.functions

  project      = var.project_id
  account_id   = "${var.name_prefix}-fn-${each.value.slug}"
  display_name = "CCTV function ${each.key}"
  description  = "Runs the ${each.key} Cloud Run service."

  depends_on = [google_project_service.enabled]
}

resource "google_service_account" "eventarc" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-eventarc"
  display_name = "CCTV Eventarc trigger"
  description  = "Delivers staging finalize events to the StagingObjectFinalized service."

  depends_on = [google_project_service.enabled]
}

resource "google_service_account" "pubsub_push" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-pubsub-push"
  display_name = "CCTV retry push"
  description  = "Identity in the OIDC tokens of the retry subscription's pushes."

  depends_on = [google_project_service.enabled]
}

resource "google_service_account" "scheduler" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-scheduler"
  display_name = "CCTV scheduler"
  description  = "Identity in the OIDC tokens of the reconcile sweep and retention jobs."

  depends_on = [google_project_service.enabled]
}

# Signs V4 URLs through IAM signBlob. A signed URL carries this account's access, so it holds
# nothing but read access to the archive.
resource "google_service_account" "url_signer" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-url-signer"
  display_name = "CCTV URL signer"
  description  = "Signs the V4 URLs of the player API (IAM signBlob, no key)."

  depends_on = [google_project_service.enabled]
}

resource "google_service_account" "edge" {
  for_each = var.edge_sites

  project      = var.project_id
  account_id   = "${var.name_prefix}-edge-${each.key}"
  display_name = "CCTV edge ${each.key}"
  description  = "Edge recorder of site ${each.key}: creates objects in staging, writes the catalog."

  depends_on = [google_project_service.enabled]
}

# ---------------------------------------------------------------------------
# Buckets
# ---------------------------------------------------------------------------

# Read and delete, nothing else: the functions read a staged upload, copy it to the archive and
# remove it. They never create or overwrite staging objects.
resource "google_project_iam_custom_role" "staging_consumer" {
  project     = var.project_id
  role_id     = "${replace(var.name_prefix, "-", "_")}StagingConsumer"
  title       = "CCTV staging consumer"
  description = "Read, list and delete objects of the CCTV staging bucket."
  permissions = [
    "storage.objects.delete",
    "storage.objects.get",
    "storage.objects.list",
  ]

  depends_on = [google_project_service.enabled]
}

resource "google_storage_bucket_iam_member" "staging_pipeline" {
  for_each = local.pipeline_functions

  bucket = google_storage_bucket.staging.name
  role   = google_project_iam_custom_role.staging_consumer.name
  member = google_service_account.function[each.key].member
}

# Create only: no read, no delete, and with ifGenerationMatch=0 no overwrite.
resource "google_storage_bucket_iam_member" "staging_edge" {
  for_each = var.edge_sites

  bucket = google_storage_bucket.staging.name
  role   = "roles/storage.objectCreator"
  member = google_service_account.edge[each.key].member
}

locals {
  # Archive grants: the pipeline creates (copies in) and reads; only retention deletes (below).
  archive_grants = merge(
    {
      for pair in setproduct(keys(local.pipeline_functions), ["roles/storage.objectCreator", "roles/storage.objectViewer"]) :
      "${pair[0]}/${pair[1]}" => { member = google_service_account.function[pair[0]].member, role = pair[1] }
    },
    {
      "PlayerApi/roles/storage.objectViewer"  = { member = google_service_account.function["PlayerApi"].member, role = "roles/storage.objectViewer" }
      "url-signer/roles/storage.objectViewer" = { member = google_service_account.url_signer.member, role = "roles/storage.objectViewer" }
    },
  )
}

resource "google_storage_bucket_iam_member" "archive" {
  for_each = local.archive_grants

  bucket = google_storage_bucket.archive.name
  role   = each.value.role
  member = each.value.member
}

# Retention: the daily job of the sweep service deletes archived recordings past their camera's
# retention (never one under a legal hold; the catalog checks). Only that account may delete, and
# the bucket's soft delete keeps what it deleted for archive_soft_delete_days.
resource "google_project_iam_custom_role" "archive_retention" {
  project     = var.project_id
  role_id     = "${replace(var.name_prefix, "-", "_")}ArchiveRetention"
  title       = "CCTV archive retention"
  description = "Delete objects of the CCTV archive bucket past their retention."
  permissions = [
    "storage.objects.delete",
  ]

  depends_on = [google_project_service.enabled]
}

resource "google_storage_bucket_iam_member" "archive_retention" {
  bucket = google_storage_bucket.archive.name
  role   = google_project_iam_custom_role.archive_retention.name
  member = google_service_account.function["ReconcileSweep"].member
}

# Legal holds: the reconcile sweep places the event-based hold of every archived recording the
# catalog holds (a hold whose object step did not run). objects.update changes an object's
# metadata (the hold), never its bytes; releasing a hold is the operator's `legal-hold release`,
# run with the operator's own credentials.
resource "google_project_iam_custom_role" "archive_legal_hold" {
  project     = var.project_id
  role_id     = "${replace(var.name_prefix, "-", "_")}ArchiveLegalHold"
  title       = "CCTV archive legal hold"
  description = "Place event-based holds on objects of the CCTV archive bucket."
  permissions = [
    "storage.objects.update",
  ]

  depends_on = [google_project_service.enabled]
}

resource "google_storage_bucket_iam_member" "archive_legal_hold" {
  bucket = google_storage_bucket.archive.name
  role   = google_project_iam_custom_role.archive_legal_hold.name
  member = google_service_account.function["ReconcileSweep"].member
}

# ---------------------------------------------------------------------------
# Firestore (IAM exists at project level only)
# ---------------------------------------------------------------------------

locals {
  datastore_grants = merge(
    { for target, _ in local.pipeline_functions : "fn-${target}" => { member = google_service_account.function[target].member, role = "roles/datastore.user" } },
    # The player API writes the audit of reads (collection audit) before it hands out any footage.
    { "fn-PlayerApi" = { member = google_service_account.function["PlayerApi"].member, role = "roles/datastore.user" } },
    { for site in var.edge_sites : "edge-${site}" => { member = google_service_account.edge[site].member, role = "roles/datastore.user" } },
  )
}

resource "google_project_iam_member" "datastore" {
  for_each = local.datastore_grants

  project = var.project_id
  role    = each.value.role
  member  = each.value.member
}

# ---------------------------------------------------------------------------
# Pub/Sub
# ---------------------------------------------------------------------------

resource "google_pubsub_topic_iam_member" "retry_publisher" {
  for_each = local.pipeline_functions

  project = var.project_id
  topic   = google_pubsub_topic.retry.name
  role    = "roles/pubsub.publisher"
  member  = google_service_account.function[each.key].member
}

# The finalize function records the events it refuses for good (poison events, answered 400) as
# messages on the dead-letter topic (CCTV_DEAD_LETTER_TOPIC) before it answers; without this grant
# it answers 503 and Eventarc keeps redelivering them.
resource "google_pubsub_topic_iam_member" "finalize_dead_letter_publisher" {
  project = var.project_id
  topic   = google_pubsub_topic.dead_letter.name
  role    = "roles/pubsub.publisher"
  member  = google_service_account.function["StagingObjectFinalized"].member
}

# The Pub/Sub service agent moves undeliverable messages: publish on the dead-letter topic,
# subscribe (acknowledge) on the source subscription.
resource "google_pubsub_topic_iam_member" "dead_letter_publisher" {
  project = var.project_id
  topic   = google_pubsub_topic.dead_letter.name
  role    = "roles/pubsub.publisher"
  member  = local.pubsub_service_agent
}

resource "google_pubsub_subscription_iam_member" "dead_letter_subscriber" {
  project      = var.project_id
  subscription = google_pubsub_subscription.retry_push.name
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_service_agent
}

# The Pub/Sub service agent mints the push's OIDC tokens as pubsub_push (needed explicitly in
# projects created before April 2021; harmless elsewhere).
resource "google_service_account_iam_member" "pubsub_agent_token_creator" {
  service_account_id = google_service_account.pubsub_push.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.pubsub_service_agent
}

# Eventarc's Cloud Storage source: the GCS service agent publishes the bucket's events to the
# Pub/Sub topic Eventarc creates, which has no name before the trigger exists.
resource "google_project_iam_member" "gcs_agent_pubsub_publisher" {
  project = var.project_id
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${data.google_storage_project_service_account.gcs.email_address}"
}

resource "google_project_iam_member" "eventarc_event_receiver" {
  project = var.project_id
  role    = "roles/eventarc.eventReceiver"
  member  = google_service_account.eventarc.member
}

# ---------------------------------------------------------------------------
# Cloud Run invokers: each caller on its own service only
# ---------------------------------------------------------------------------

locals {
  run_invokers = merge(
    { for target, members in local.invokers : target => [for email in members : "serviceAccount:${email}"] },
    { PlayerApi = var.player_api_public ? ["allUsers"] : [] },
  )
  run_invoker_grants = merge([
    for target, members in local.run_invokers : {
      for index, member in members : "${target}/${index}" => { target = target, member = member }
    }
  ]...)
}

resource "google_cloud_run_v2_service_iam_member" "invoker" {
  for_each = local.run_invoker_grants

  project  = var.project_id
  location = var.region
  name     = google_cloud_run_v2_service.function[each.value.target].name
  role     = "roles/run.invoker"
  member   = each.value.member
}

# ---------------------------------------------------------------------------
# URL signing (IAM signBlob)
# ---------------------------------------------------------------------------

resource "google_service_account_iam_member" "player_api_signs_urls" {
  service_account_id = google_service_account.url_signer.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = google_service_account.function["PlayerApi"].member
}
