using Cctv.Functions.Gcp;
using Cctv.Functions.Hosting;
using Cctv.Functions.Reconcile;
using Cctv.Shared.Gcp;
using Cctv.Shared.Gcp.Firestore;
using Cctv.Shared.Gcp.PubSub;
using Cctv.Shared.Gcp.Storage;
using Cctv.Shared.Ports;
using Cctv.Testing.Gcs;
using Cctv.TestSupport.Logging;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace Cctv.Cloud.Tests;

/// <summary>
/// The cloud half as it runs on GCP, with the emulators in place of the services: the test GCS server with a staging
/// and an archive bucket, the functions host (CCTV_BACKEND=gcp: GcsObjectStore, FirestoreCatalog, Pub/Sub publisher,
/// OIDC checks) on a loopback port, the retry topic with its push subscription (OIDC, back-off, dead-letter policy
/// of 5 attempts) through <see cref="PushRelay"/>, the dead-letter topic with a pull subscription, and
/// <see cref="FakeEventarc"/> delivering the staging bucket's finalize events. Each stack has its own project (Firestore)
/// and topic names, so tests never see each other's data.
/// </summary>
public sealed class GcpStack : IAsyncDisposable
{
    public const string Staging = "cctv-staging";
    public const string ArchiveBucket = "cctv-archive";
    public const string Audience = "cctv-functions.cctv-cloud-test";
    public const string PushAccount = "cctv-pubsub-push@cctv-cloud-test.iam.gserviceaccount.com";
    public const string SchedulerAccount = "cctv-scheduler@cctv-cloud-test.iam.gserviceaccount.com";
    public const string EventarcAccount = "cctv-eventarc@cctv-cloud-test.iam.gserviceaccount.com";
    public const string PlayerAudience = "player.apps.googleusercontent.com";
    public const int MaxDeliveryAttempts = 5;

    private readonly List<IDisposable> _owned = [];
    private readonly List<IAsyncDisposable> _ownedAsync = [];
    private WebApplication? _host;

    private GcpStack(EmulatorsFixture emulators, string prefix)
    {
        Emulators = emulators;
        Prefix = prefix;
    }

    public EmulatorsFixture Emulators { get; }

    public string Prefix { get; }

    public string Project => EmulatorsFixture.PubSubProject;

    public string RetryTopic => $"{Prefix}-retry";

    public string DeadLetterSubscription => $"{Prefix}-retry-dead-letter";

    public GcsTestServer Gcs { get; private set; } = null!;

    public GcsObjectStore Store { get; private set; } = null!;

    public FirestoreCatalog Catalog { get; private set; } = null!;

    public PubSubSubscriber Subscriber { get; private set; } = null!;

    public PushRelay Relay { get; private set; } = null!;

    public FakeEventarc Eventarc { get; private set; } = null!;

    public LogCapture Logs { get; } = new();

    public Uri FunctionsUri { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    /// <param name="salvageAfter">The sweep's <see cref="SweepOptions.SalvageAfter"/> (default: its default).</param>
    public static async Task<GcpStack> StartAsync(EmulatorsFixture emulators, TimeSpan? salvageAfter = null)
    {
        var stack = new GcpStack(emulators, "t" + Guid.NewGuid().ToString("N")[..10]);
        try
        {
            await stack.StartAsync(salvageAfter);
            return stack;
        }
        catch
        {
            await stack.DisposeAsync();
            throw;
        }
    }

    private async Task StartAsync(TimeSpan? salvageAfter)
    {
        Gcs = await GcsTestServer.StartAsync(new GcsTestServerOptions { Buckets = [Staging, ArchiveBucket] });
        _ownedAsync.Add(Gcs);
        Store = await GcsObjectStore.CreateAsync(new GcsSettings { Endpoint = Gcs.Endpoint, Anonymous = true, ChunkSize = 256 * 1024 }, CancellationToken.None);
        _owned.Add(Store);
        GcpEndpoint firestore = GcpEndpoint.Emulator(GcpService.Firestore, Emulators.FirestoreHostPort);
        GcpEndpoint pubsub = GcpEndpoint.Emulator(GcpService.PubSub, Emulators.PubSubHostPort);
        _owned.Add(firestore);
        _owned.Add(pubsub);
        // The edge's own catalog client, in the same Firestore database the functions use.
        Catalog = new FirestoreCatalog(new FirestoreClient(firestore, Project, DatabaseId), TimeProvider.System);
        Subscriber = new PubSubSubscriber(pubsub, Project);

        var settings = new GcpFunctionsSettings
        {
            ProjectId = Project,
            FirestoreDatabase = DatabaseId,
            StagingBucket = Staging,
            ArchiveBucket = ArchiveBucket,
            RetryTopic = RetryTopic,
            DeadLetterTopic = $"{Prefix}-retry-dead-letter",
            OidcAudience = Audience,
            InvokerServiceAccounts = [PushAccount, SchedulerAccount, EventarcAccount],
            UserTokenAudiences = [PlayerAudience],
            FirestoreEmulatorHost = Emulators.FirestoreHostPort,
            PubSubEmulatorHost = Emulators.PubSubHostPort,
            StorageEndpoint = Gcs.Endpoint,
            TokenCertificatesUrl = Emulators.Issuer.CertificatesUrl,
            Sweep = new SweepOptions { RedriveAfter = TimeSpan.Zero, StagingSla = TimeSpan.FromMinutes(30), SalvageAfter = salvageAfter ?? new SweepOptions().SalvageAfter },
        };
        GcpBackend backend = await GcpBackend.CreateAsync(settings, TimeProvider.System, CancellationToken.None);
        _owned.Add(backend);
        _host = FunctionsHost.Build(FunctionsHostSettings.ForGcp(backend, target: null, ["http://127.0.0.1:0"], logging: l => l.AddProvider(Logs)));
        await _host.StartAsync();
        FunctionsUri = new Uri(_host.Urls.First());
        Client = new HttpClient { BaseAddress = FunctionsUri, Timeout = TimeSpan.FromSeconds(60) };

        Relay = await PushRelay.StartAsync(Emulators.Issuer, Audience, PushAccount, new Uri(FunctionsUri, FunctionsHost.RetryPath));
        _ownedAsync.Add(Relay);
        var admin = new PubSubAdmin(pubsub, Project);
        await admin.CreateTopicAsync(RetryTopic, CancellationToken.None);
        await admin.CreateTopicAsync($"{Prefix}-retry-dead-letter", CancellationToken.None);
        await admin.CreateSubscriptionAsync(new PubSubSubscriptionSpec(DeadLetterSubscription, $"{Prefix}-retry-dead-letter"), CancellationToken.None);
        await admin.CreateSubscriptionAsync(new PubSubSubscriptionSpec($"{Prefix}-retry-push", RetryTopic)
        {
            PushEndpoint = Relay.Endpoint,
            PushServiceAccount = PushAccount,
            PushAudience = Audience,
            AckDeadline = TimeSpan.FromSeconds(30),
            DeadLetter = new PubSubDeadLetterPolicy($"{Prefix}-retry-dead-letter", MaxDeliveryAttempts),
            RetryBackoff = (TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)),
        }, CancellationToken.None);

        Eventarc = new FakeEventarc(Gcs, Staging, new Uri(FunctionsUri, FunctionsHost.FinalizePath), () => Token(EventarcAccount));
        _ownedAsync.Add(Eventarc);
    }

    /// <summary>A database of its own for this stack (the Firestore emulator keeps databases apart).</summary>
    public string DatabaseId => Prefix.ToLowerInvariant() + "-db";

    public string Token(string account, string? audience = null) => Emulators.Issuer.Token(audience ?? Audience, account);

    /// <summary>Calls the sweep as Cloud Scheduler does.</summary>
    public async Task<System.Text.Json.JsonDocument> SweepAsync(string job = "reconcile")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, job == "retention" ? FunctionsHost.RetentionPath : FunctionsHost.ReconcilePath)
        {
            Content = new StringContent($$"""{"job":"{{job}}"}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Token(SchedulerAccount));
        using HttpResponseMessage response = await Client.SendAsync(request);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"the sweep answered {(int)response.StatusCode}: {body}");
        return System.Text.Json.JsonDocument.Parse(body);
    }

    /// <summary>Pulls what reached the dead-letter topic, waiting up to <paramref name="timeout"/> for at least <paramref name="count"/>.</summary>
    public async Task<List<PubSubReceivedMessage>> DeadLettersAsync(int count, TimeSpan timeout)
    {
        var received = new List<PubSubReceivedMessage>();
        DateTime deadline = DateTime.UtcNow + timeout;
        while (received.Count < count && DateTime.UtcNow < deadline)
        {
            IReadOnlyList<PubSubReceivedMessage> got = await Subscriber.PullAsync(DeadLetterSubscription, 10, CancellationToken.None, returnImmediately: true);
            received.AddRange(got);
            await Subscriber.AcknowledgeAsync(DeadLetterSubscription, [.. got.Select(m => m.AckId)], CancellationToken.None);
            if (got.Count == 0)
            {
                await Task.Delay(200);
            }
        }
        return received;
    }

    public IReadOnlyList<StoredObject> ListSync(string bucket) => [.. Gcs.Objects(bucket).Select(o =>
        new StoredObject(o.Bucket, o.Name, o.Generation, o.Size, o.Crc32C, o.Md5, o.ContentType, o.Metadata, o.Updated))];

    public async ValueTask DisposeAsync()
    {
        Client?.Dispose();
        if (_host is not null)
        {
            await _host.StopAsync();
            await _host.DisposeAsync();
        }
        foreach (IAsyncDisposable d in Enumerable.Reverse(_ownedAsync))
        {
            await d.DisposeAsync();
        }
        foreach (IDisposable d in Enumerable.Reverse(_owned))
        {
            d.Dispose();
        }
    }
}
