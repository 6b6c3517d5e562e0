using Cctv.Functions.Finalize;
using Cctv.Functions.Gcp;
using Cctv.Functions.Hosting;
using Cctv.Shared.Gcp;
using Cctv.Shared.Gcp.PubSub;
using Cctv.Shared.Ports;
using Cctv.Testing.Gcs;
using Cctv.TestSupport.Gcp;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace Cctv.Benchmarks.Loadgen;

/// <summary>
/// The functions host on the gcp backend (FUNCTION_TARGET=StagingObjectFinalized: GcsObjectStore, FirestoreCatalog,
/// Pub/Sub retry and dead-letter topics) with the emulators in place of the services: the test GCS server in this
/// process, the Firestore and Pub/Sub emulators of the Google Cloud CLI in their own (their CPU is not in the
/// load generator's figure; the GCS server's is). The finalize target asks no token, as on Cloud Run, where IAM checks it.
/// </summary>
public sealed class GcpLoadBackend : ILoadBackend
{
    private const string Project = "cctv-loadgen";
    private readonly List<IAsyncDisposable> _owned = [];
    private readonly List<IDisposable> _ownedSync = [];
    private WebApplication? _app;

    public string Name => "gcp backend on the emulators (test GCS server, Firestore and Pub/Sub emulators)";

    public CountingCatalog Catalog { get; private set; } = null!;

    public IObjectStore EdgeStore { get; private set; } = null!;

    public BucketNames Buckets { get; } = new("cctv-staging", "cctv-archive");

    public Uri FinalizeTarget { get; private set; } = null!;

    public string? BearerToken => null;

    public static async Task<GcpLoadBackend> StartAsync(CancellationToken cancellationToken)
    {
        var backend = new GcpLoadBackend();
        try
        {
            await backend.StartCoreAsync(cancellationToken);
            return backend;
        }
        catch
        {
            await backend.DisposeAsync();
            throw;
        }
    }

    private async Task StartCoreAsync(CancellationToken ct)
    {
        Task<GcloudEmulator> firestoreStart = GcloudEmulator.StartFirestoreAsync();
        Task<GcloudEmulator> pubsubStart = GcloudEmulator.StartPubSubAsync(Project);
        GcsTestServer gcs = await GcsTestServer.StartAsync(new GcsTestServerOptions { Buckets = [Buckets.Staging, Buckets.Archive] }, ct);
        _owned.Add(gcs);
        GcloudEmulator firestore = await firestoreStart;
        _owned.Add(firestore);
        GcloudEmulator pubsub = await pubsubStart;
        _owned.Add(pubsub);

        GcpEndpoint pubsubEndpoint = GcloudEmulator.Endpoint(GcpService.PubSub, pubsub.HostPort);
        _ownedSync.Add(pubsubEndpoint);
        var admin = new PubSubAdmin(pubsubEndpoint, Project);
        await admin.CreateTopicAsync("loadgen-retry", ct);
        await admin.CreateTopicAsync("loadgen-dead-letter", ct);

        var settings = new GcpFunctionsSettings
        {
            ProjectId = Project,
            StagingBucket = Buckets.Staging,
            ArchiveBucket = Buckets.Archive,
            RetryTopic = "loadgen-retry",
            DeadLetterTopic = "loadgen-dead-letter",
            FirestoreEmulatorHost = firestore.HostPort,
            PubSubEmulatorHost = pubsub.HostPort,
            StorageEndpoint = gcs.Endpoint,
        };
        GcpBackend created = await GcpBackend.CreateAsync(settings, TimeProvider.System, ct);
        _ownedSync.Add(created);
        Catalog = new CountingCatalog(created.Catalog);
        var counted = new GcpBackend(settings, created.Store, Catalog, created.Retry, created.Signer, created.DeadLetters);
        EdgeStore = created.Store;
        _app = FunctionsHost.Build(FunctionsHostSettings.ForGcp(counted, FunctionTargets.StagingObjectFinalized, ["http://127.0.0.1:0"],
            minimumLogLevel: LogLevel.Critical));
        await _app.StartAsync(ct);
        FinalizeTarget = new Uri(new Uri(_app.Urls.First()), FunctionsHost.FinalizeRoute(FunctionTargets.StagingObjectFinalized));
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync(CancellationToken.None);
            await _app.DisposeAsync();
        }
        foreach (IDisposable d in _ownedSync)
        {
            d.Dispose();
        }
        foreach (IAsyncDisposable d in Enumerable.Reverse(_owned))
        {
            await d.DisposeAsync();
        }
    }
}
