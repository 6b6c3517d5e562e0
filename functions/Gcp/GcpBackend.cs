using Cctv.Functions.Finalize;
using Cctv.Functions.Retry;
using Cctv.Shared.Gcp;
using Cctv.Shared.Gcp.Firestore;
using Cctv.Shared.Gcp.PubSub;
using Cctv.Shared.Gcp.Storage;
using Cctv.Shared.Ports;

namespace Cctv.Functions.Gcp;

/// <summary>
/// What the functions run on in the cloud: Cloud Storage, the Firestore catalog, the Pub/Sub retry topic, and the
/// settings. Built from the environment by <see cref="CreateAsync"/>; tests may build one over other adapters.
/// </summary>
public sealed class GcpBackend(GcpFunctionsSettings settings, IObjectStore store, ICatalog catalog, IRetryQueue? retry, IUrlSigner signer,
    IReadOnlyList<IDisposable>? owned = null) : IDisposable
{
    public GcpFunctionsSettings Settings => settings;

    public IObjectStore Store => store;

    public ICatalog Catalog => catalog;

    public IRetryQueue? Retry => retry;

    public IUrlSigner Signer => signer;

    public BucketNames Buckets { get; } = new(settings.StagingBucket, settings.ArchiveBucket);

    /// <summary>
    /// Connects to Cloud Storage, Firestore and Pub/Sub (or their emulators), with the service's own credentials
    /// (application default credentials: the service account on Cloud Run).
    /// </summary>
    public static async Task<GcpBackend> CreateAsync(GcpFunctionsSettings settings, TimeProvider time, CancellationToken cancellationToken)
    {
        var owned = new List<IDisposable>();
        try
        {
            GcsSettings gcs = settings.StorageEndpoint is { } endpoint ? new GcsSettings { Endpoint = endpoint, Anonymous = true } : new GcsSettings();
            GcsObjectStore store = await GcsObjectStore.CreateAsync(gcs, cancellationToken);
            owned.Add(store);
            var options = new GcpEndpointOptions { TimeProvider = time };
            GcpEndpoint firestore = await GcpEndpoint.FromEnvironmentAsync(GcpService.Firestore, options, cancellationToken,
                name => name == GcpService.Firestore.EmulatorHostVariable ? settings.FirestoreEmulatorHost : null);
            owned.Add(firestore);
            var catalog = new FirestoreCatalog(new FirestoreClient(firestore, settings.ProjectId, settings.FirestoreDatabase), time);
            IRetryQueue? retry = null;
            if (settings.RetryTopic is { } topic)
            {
                GcpEndpoint pubsub = await GcpEndpoint.FromEnvironmentAsync(GcpService.PubSub, options, cancellationToken,
                    name => name == GcpService.PubSub.EmulatorHostVariable ? settings.PubSubEmulatorHost : null);
                owned.Add(pubsub);
                retry = new PubSubRetryQueue(new PubSubPublisher(pubsub, settings.ProjectId), topic);
            }
            return new GcpBackend(settings, store, catalog, retry, new UnavailableUrlSigner(), owned);
        }
        catch
        {
            owned.ForEach(o => o.Dispose());
            throw;
        }
    }

    public void Dispose()
    {
        foreach (IDisposable o in owned ?? [])
        {
            o.Dispose();
        }
    }
}

/// <summary>
/// The gcp backend's URL signer until V4 signing (IAM signBlob) is built: every signing request fails with a clear
/// reason, which the player API answers with 501.
/// </summary>
public sealed class UnavailableUrlSigner : IUrlSigner
{
    public TimeSpan MaxLifetime => TimeSpan.FromDays(7);

    public Task<Uri> SignAsync(SignedUrlRequest request, CancellationToken cancellationToken) =>
        throw new NotSupportedException("signed Cloud Storage URLs (V4, IAM signBlob) are not available in this build of the gcp backend");
}
