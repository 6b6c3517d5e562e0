data "google_project" "this" {
  project_id = var.project_id
}

# The Cloud Storage service agent publishes the bucket notifications Eventarc consumes.
data "google_storage_project_service_account" "gcs" {
  project = var.project_id

  depends_on = [google_project_service.enabled]
}

locals {
  staging_bucket_name = coalesce(var.staging_bucket_name, "${var.project_id}-${var.name_prefix}-staging")
  archive_bucket_name = coalesce(var.archive_bucket_name, "${var.project_id}-${var.name_prefix}-archive")
  build_bucket_name   = "${var.project_id}-${var.name_prefix}-build"
  archive_location    = coalesce(var.archive_location, var.region)
  firestore_location  = coalesce(var.firestore_location, var.region)

  pubsub_service_agent = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"

  # CCTV_RETENTION_DAYS: the default days first, then RECORDER~CAMERA=days (functions/Reconcile/RetentionPolicy.cs).
  retention_days = join(",", concat(
    [tostring(var.retention_days)],
    [for camera, days in var.retention_days_by_camera : "${camera}=${days}"],
  ))

  # The audience of every OIDC token Pub/Sub and Cloud Scheduler send. Each Cloud Run service
  # accepts it as a custom audience, and the functions check it (CCTV_OIDC_AUDIENCE).
  oidc_audience = "${var.name_prefix}-functions.${var.project_id}"

  # The capacity model (docs/capacity.md) the services below are sized from; a test in
  # tests/Cctv.Deploy.Tests checks max_instances and concurrency against it.
  #   cameras, segment_seconds: the largest deployment sized for, and its segment length
  #   catch_up_factor: the edge drains a backlog (after an uplink outage) at up to this many
  #              times the steady event rate
  #   finalize_cpu_ms_per_event: CPU per finalize event. Measured 6.7-9.2 ms on the embedded
  #              backend and 11.8 ms on the gcp backend against the emulators (plain HTTP, the
  #              test GCS server in the same process): `dotnet run -c Release --project
  #              tests/Cctv.Benchmarks -- loadgen [--backend gcp]` (README "Load on the cloud
  #              side"); TLS to the real services is assumed to bring it to 20 ms
  #   finalize_wall_ms_per_event: time an event holds a request slot, mostly waiting on Cloud
  #              Storage and Firestore (an assumption: the emulators answer faster than the
  #              services)
  #   target_cpu_utilization: Cloud Run scales out at about 60% CPU
  capacity = {
    cameras                    = 100000
    segment_seconds            = 300
    catch_up_factor            = 3
    finalize_cpu_ms_per_event  = 20
    finalize_wall_ms_per_event = 250
    target_cpu_utilization     = 0.6
  }

  # One Cloud Run service per FUNCTION_TARGET (functions/Hosting/FunctionTargets.cs); a test in
  # tests/Cctv.Deploy.Tests fails when a target is missing here.
  #   slug:      service name suffix and service account suffix
  #   pipeline:  moves recordings (reads/deletes staging, writes archive, writes the catalog,
  #              publishes retries); false for the read-only player API
  #   public:    reachable from the internet (otherwise internal ingress: only Eventarc, Pub/Sub
  #              and Scheduler of this project reach it)
  #   verifies_tokens: the function verifies its caller's OIDC token itself (Google.Apis.Auth:
  #              signature, audience CCTV_OIDC_AUDIENCE, account in CCTV_INVOKER_SERVICE_ACCOUNTS),
  #              so Cloud Run's invoker IAM check is off for it: that check would consume the
  #              token and hand the container one whose signature is removed
  functions = {
    # 100,000 cameras / 300 s = 333 events/s, 1,000/s while backlogs drain; at 20 ms CPU each
    # that is 20 vCPU, 34 at 60%: 40 instances of 1 vCPU. One instance at 60% CPU finishes
    # 0.6 / 0.020 = 30 events/s, each holding a slot 250 ms: 7.5 in flight, so concurrency 8
    # (more would queue requests on a busy CPU instead of scaling out).
    StagingObjectFinalized = {
      slug            = "finalize"
      pipeline        = true
      public          = false
      verifies_tokens = false
      max_instances   = 40
      concurrency     = 8
      timeout         = "600s"
      memory          = "512Mi"
    }
    # Only failed events come here (the finalize function hands them over): a quarter of the
    # finalize service's size covers a quarter of all events failing at once.
    RetryHandler = {
      slug            = "retry"
      pipeline        = true
      public          = false
      verifies_tokens = true
      max_instances   = 10
      concurrency     = 8
      timeout         = "600s"
      memory          = "512Mi"
    }
    ReconcileSweep = {
      slug            = "sweep"
      pipeline        = true
      public          = false
      verifies_tokens = true
      max_instances   = 1 # one sweep at a time
      concurrency     = 1
      timeout         = "1800s"
      memory          = "1Gi"
    }
    PlayerApi = {
      slug            = "api"
      pipeline        = false
      public          = true
      verifies_tokens = false
      max_instances   = 20
      concurrency     = 80
      timeout         = "60s"
      memory          = "512Mi"
    }
  }

  pipeline_functions = { for target, f in local.functions : target => f if f.pipeline }

  # Who may call each service. Cloud Run's IAM check enforces it (iam.tf); the functions check it
  # again against CCTV_INVOKER_SERVICE_ACCOUNTS.
  invokers = {
    StagingObjectFinalized = [google_service_account.eventarc.email]
    RetryHandler           = [google_service_account.pubsub_push.email]
    ReconcileSweep         = [google_service_account.scheduler.email]
    PlayerApi              = []
  }

  apis = toset([
    "artifactregistry.googleapis.com",
    "cloudbuild.googleapis.com",
    "cloudresourcemanager.googleapis.com",
    "cloudscheduler.googleapis.com",
    "eventarc.googleapis.com",
    "firestore.googleapis.com",
    "iam.googleapis.com",
    "iamcredentials.googleapis.com",
    "logging.googleapis.com",
    "pubsub.googleapis.com",
    "run.googleapis.com",
    "storage.googleapis.com",
  ])
}

resource "google_project_service" "enabled" {
  for_each = var.enable_apis ? local.apis : toset([])

  project            = var.project_id
  service            = each.value
  disable_on_destroy = false
}
