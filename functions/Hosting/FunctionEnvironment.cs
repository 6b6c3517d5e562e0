namespace Cctv.Functions.Hosting;

/// <summary>
/// Every environment variable a deployed function reads. terraform/ sets each of them on every
/// Cloud Run service (a test reads this file and the .tf files and checks that it does).
/// Locally they are optional: the embedded backend derives everything from --data-dir.
/// </summary>
public static class FunctionEnvironment
{
    /// <summary>Which function this service runs (one of <see cref="FunctionTargets"/>).</summary>
    public const string FunctionTarget = "FUNCTION_TARGET";

    /// <summary>The port Cloud Run asks the container to listen on.</summary>
    public const string Port = "PORT";

    /// <summary><c>gcp</c> in the cloud, <c>local</c> for the embedded backend.</summary>
    public const string Backend = "CCTV_BACKEND";

    /// <summary>The GCP project (the seed documents' name).</summary>
    public const string ProjectId = "GCP_STORAGE_PROJECT_ID";

    /// <summary>The archive bucket, where verified recordings live (the seed documents' name).</summary>
    public const string ArchiveBucket = "GCP_STORAGE_BUCKET_NAME";

    /// <summary>The staging bucket the edge uploads into.</summary>
    public const string StagingBucket = "CCTV_STAGING_BUCKET_NAME";

    /// <summary>The Firestore database id, <c>(default)</c> unless set.</summary>
    public const string FirestoreDatabase = "CCTV_FIRESTORE_DATABASE";

    /// <summary>The Pub/Sub topic transient failures are re-driven through.</summary>
    public const string RetryTopic = "CCTV_RETRY_TOPIC";

    /// <summary>The Pub/Sub topic events refused for good (poison events) are recorded on, as dead letters.</summary>
    public const string DeadLetterTopic = "CCTV_DEAD_LETTER_TOPIC";

    /// <summary>The service account whose key (through IAM signBlob) signs V4 URLs.</summary>
    public const string SigningServiceAccount = "CCTV_SIGNING_SERVICE_ACCOUNT";

    /// <summary>The audience expected in OIDC tokens of Pub/Sub pushes and Scheduler calls.</summary>
    public const string OidcAudience = "CCTV_OIDC_AUDIENCE";

    /// <summary>The service accounts allowed to invoke the push and scheduler endpoints, comma-separated.</summary>
    public const string InvokerServiceAccounts = "CCTV_INVOKER_SERVICE_ACCOUNTS";

    /// <summary>The audiences (OAuth client ids / Firebase project) accepted in users' ID tokens, comma-separated.</summary>
    public const string UserTokenAudiences = "CCTV_USER_TOKEN_AUDIENCES";

    /// <summary>How long signed URLs live, in minutes (default 120).</summary>
    public const string SignedUrlMinutes = "CCTV_SIGNED_URL_MINUTES";

    /// <summary>Web origins (scheme://host[:port], comma-separated) whose pages may call the player API; empty: none.</summary>
    public const string CorsOrigins = "CCTV_CORS_ORIGINS";

    /// <summary>
    /// Minutes after which the sweep reports a recording announced but not staged (or quarantined and not uploaded
    /// again), and a staging object nobody announced (default 30).
    /// </summary>
    public const string StagingSlaMinutes = "CCTV_STAGING_SLA_MINUTES";

    /// <summary>Minutes without a heartbeat after which a recorder counts as offline (default 10).</summary>
    public const string RecorderOfflineMinutes = "CCTV_RECORDER_OFFLINE_MINUTES";

    /// <summary>
    /// Minutes without a heartbeat or live-session report after which the sweep salvages a recorder's live sessions:
    /// finishes their uploads at the bytes the store holds and archives them as salvaged (default 2; issue 12).
    /// </summary>
    public const string SalvageAfterMinutes = "CCTV_SALVAGE_AFTER_MINUTES";

    /// <summary>Days archived recordings are kept: <c>30</c>, or a default and per-camera days, <c>30,gate=90</c>; 0 keeps them forever (default).</summary>
    public const string RetentionDays = "CCTV_RETENTION_DAYS";
}
