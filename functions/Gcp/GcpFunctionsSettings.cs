using System.Globalization;
using Cctv.Functions.Hosting;
using Cctv.Functions.Reconcile;
using Cctv.Shared.Gcp;
using Cctv.Shared.Gcp.Firestore;
using Cctv.Shared.Gcp.Storage;

namespace Cctv.Functions.Gcp;

/// <summary>A setting that is missing or wrong; the message names the variable and the fix.</summary>
public sealed class FunctionConfigurationException(string message) : Exception(message);

/// <summary>
/// Everything the functions read on the gcp backend, from the variables of <see cref="FunctionEnvironment"/> (terraform
/// sets them) and the emulator variables of Google's clients (FIRESTORE_EMULATOR_HOST, PUBSUB_EMULATOR_HOST,
/// STORAGE_EMULATOR_HOST), which tests use.
/// </summary>
public sealed partial record GcpFunctionsSettings
{
    public required string ProjectId { get; init; }

    public required string StagingBucket { get; init; }

    public required string ArchiveBucket { get; init; }

    public string FirestoreDatabase { get; init; } = FirestoreClient.DefaultDatabase;

    /// <summary>The Pub/Sub topic failures are handed to; required by the finalize function.</summary>
    public string? RetryTopic { get; init; }

    /// <summary>The Pub/Sub topic events refused for good are recorded on (<see cref="Finalize.PubSubDeadLetters"/>); required by the finalize function.</summary>
    public string? DeadLetterTopic { get; init; }

    /// <summary>The audience of the OIDC tokens of Pub/Sub pushes and Scheduler calls.</summary>
    public string? OidcAudience { get; init; }

    /// <summary>The service accounts whose tokens the retry and sweep functions accept.</summary>
    public IReadOnlyList<string> InvokerServiceAccounts { get; init; } = [];

    /// <summary>The audiences of users' ID tokens the player API accepts (empty: nobody can sign in).</summary>
    public IReadOnlyList<string> UserTokenAudiences { get; init; } = [];

    public TimeSpan SignedUrlLifetime { get; init; } = TimeSpan.FromMinutes(120);

    /// <summary>
    /// The service account whose IAM signBlob signs V4 URLs (the service's own credential must be allowed to sign for
    /// it); null: the default credential signs as itself.
    /// </summary>
    public string? SigningServiceAccount { get; init; }

    public SweepOptions Sweep { get; init; } = new();

    /// <summary>host:port of the Firestore emulator; null for Firestore itself.</summary>
    public string? FirestoreEmulatorHost { get; init; }

    /// <summary>host:port of the Pub/Sub emulator; null for Pub/Sub itself.</summary>
    public string? PubSubEmulatorHost { get; init; }

    /// <summary>A storage emulator or test server (no credentials); null for Cloud Storage itself.</summary>
    public Uri? StorageEndpoint { get; init; }

    /// <summary>
    /// Where the keys that sign OIDC tokens are fetched from; null for Google's (the only value a deployment uses, so it
    /// is not read from the environment). Tests point it at a key set of their own.
    /// </summary>
    public Uri? TokenCertificatesUrl { get; init; }

    /// <summary>Reads and checks the settings the given target needs (null: every function in one process).</summary>
    public static GcpFunctionsSettings FromEnvironment(Func<string, string?> environment, string? target)
    {
        string? Get(string name) => environment(name) is { } v && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;
        string Required(string name, string what) => Get(name)
            ?? throw new FunctionConfigurationException($"{name} is not set: it must name {what} (terraform/run.tf sets it on every service).");
        IReadOnlyList<string> List(string name) =>
            Get(name)?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) ?? [];
        int Minutes(string name, int fallback, int max)
        {
            if (Get(name) is not { } raw)
            {
                return fallback;
            }
            return int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value >= 1 && value <= max
                ? value
                : throw new FunctionConfigurationException($"{name} is '{raw}': it must be a whole number of minutes from 1 to {max}.");
        }

        bool all = target is null;
        bool needsInvokers = all || target is FunctionTargets.RetryHandler or FunctionTargets.ReconcileSweep;
        RetentionPolicy retention;
        try
        {
            retention = RetentionPolicy.Parse(Get(FunctionEnvironment.RetentionDays));
        }
        catch (FormatException e)
        {
            throw new FunctionConfigurationException($"{FunctionEnvironment.RetentionDays} is '{Get(FunctionEnvironment.RetentionDays)}': {e.Message}. Write it as 30 or 30,gate=90,dock=0.");
        }
        string? database = Get(FunctionEnvironment.FirestoreDatabase);
        var settings = new GcpFunctionsSettings
        {
            ProjectId = Required(FunctionEnvironment.ProjectId, "the GCP project"),
            StagingBucket = Required(FunctionEnvironment.StagingBucket, "the staging bucket the edge uploads into"),
            ArchiveBucket = Required(FunctionEnvironment.ArchiveBucket, "the archive bucket"),
            FirestoreDatabase = database ?? FirestoreClient.DefaultDatabase,
            RetryTopic = all || target == FunctionTargets.StagingObjectFinalized
                ? Required(FunctionEnvironment.RetryTopic, "the Pub/Sub topic failed events are retried through")
                : Get(FunctionEnvironment.RetryTopic),
            DeadLetterTopic = all || target == FunctionTargets.StagingObjectFinalized
                ? Required(FunctionEnvironment.DeadLetterTopic, "the Pub/Sub topic events refused for good are recorded on")
                : Get(FunctionEnvironment.DeadLetterTopic),
            OidcAudience = needsInvokers ? Required(FunctionEnvironment.OidcAudience, "the audience of the OIDC tokens of Pub/Sub and Cloud Scheduler") : Get(FunctionEnvironment.OidcAudience),
            InvokerServiceAccounts = List(FunctionEnvironment.InvokerServiceAccounts),
            UserTokenAudiences = List(FunctionEnvironment.UserTokenAudiences),
            SignedUrlLifetime = TimeSpan.FromMinutes(Minutes(FunctionEnvironment.SignedUrlMinutes, 120, 10_080)),
            SigningServiceAccount = Get(FunctionEnvironment.SigningServiceAccount),
            Sweep = new SweepOptions
            {
                StagingSla = TimeSpan.FromMinutes(Minutes(FunctionEnvironment.StagingSlaMinutes, 30, 10_080)),
                RecorderOfflineAfter = TimeSpan.FromMinutes(Minutes(FunctionEnvironment.RecorderOfflineMinutes, 10, 10_080)),
                SalvageAfter = TimeSpan.FromMinutes(Minutes(FunctionEnvironment.SalvageAfterMinutes, 2, 10_080)),
                Retention = retention,
            },
            FirestoreEmulatorHost = Get(GcpService.Firestore.EmulatorHostVariable),
            PubSubEmulatorHost = Get(GcpService.PubSub.EmulatorHostVariable),
            StorageEndpoint = Get(GcsSettings.EmulatorHostVariable) is { } storage
                ? new Uri((storage.Contains("://", StringComparison.Ordinal) ? storage : "http://" + storage).TrimEnd('/') + "/")
                : null,
        };
        if (needsInvokers && settings.InvokerServiceAccounts.Count == 0)
        {
            throw new FunctionConfigurationException(
                $"{FunctionEnvironment.InvokerServiceAccounts} is empty: name the service accounts whose OIDC tokens may call this function (comma-separated).");
        }
        foreach ((string name, string? topic) in new[] { (FunctionEnvironment.RetryTopic, settings.RetryTopic), (FunctionEnvironment.DeadLetterTopic, settings.DeadLetterTopic) })
        {
            if (topic is not null && !TopicId().IsMatch(topic))
            {
                throw new FunctionConfigurationException(
                    $"{name} is '{topic}': it must be a Pub/Sub topic ID (3-255 of letters, digits and - _ . ~ + %, starting with a letter) or projects/PROJECT/topics/TOPIC.");
            }
        }
        if (settings.DeadLetterTopic is { } deadLetters && deadLetters == settings.RetryTopic)
        {
            throw new FunctionConfigurationException(
                $"{FunctionEnvironment.DeadLetterTopic} names the retry topic ({FunctionEnvironment.RetryTopic}): dead letters would be pushed to the retry handler as retries. Name the dead-letter topic.");
        }
        if (!System.Text.RegularExpressions.Regex.IsMatch(settings.ProjectId, "^([a-z][a-z0-9.-]*:)?[a-z][a-z0-9-]*[a-z0-9]$"))
        {
            throw new FunctionConfigurationException($"{FunctionEnvironment.ProjectId} is '{settings.ProjectId}': it must be a GCP project ID (6-30 of a-z, 0-9 and '-', starting with a letter).");
        }
        if (database is not null && database != FirestoreClient.DefaultDatabase && !System.Text.RegularExpressions.Regex.IsMatch(database, "^[a-z][a-z0-9-]{2,61}[a-z0-9]$"))
        {
            throw new FunctionConfigurationException($"{FunctionEnvironment.FirestoreDatabase} is '{database}': use (default) or 4-63 of a-z, 0-9 and '-'.");
        }
        return settings;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^(projects/[a-z][a-z0-9.:-]*/topics/)?(?![Gg][Oo][Oo][Gg])[A-Za-z][A-Za-z0-9\-_.~+%]{2,254}$")]
    private static partial System.Text.RegularExpressions.Regex TopicId();
}
