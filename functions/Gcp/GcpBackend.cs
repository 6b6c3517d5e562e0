using Cctv.Functions.Finalize;
using Cctv.Functions.Retry;
using Cctv.Shared.Gcp;
using Cctv.Shared.Gcp.Firestore;
using Cctv.Shared.Gcp.PubSub;
using Cctv.Shared.Gcp.Storage;
using Cctv.Shared.Ports;
using Google.Apis.Auth.OAuth2;

namespace Cctv.Functions.Gcp;

/// <summary>
/// What the functions run on in the cloud: Cloud Storage, the Firestore catalog, the Pub/Sub retry and dead-letter
/// topics, and the settings. Built from the environment by <see cref="CreateAsync"/>; tests may build one over other adapters.
/// </summary>
public sealed class GcpBackend(GcpFunctionsSettings settings, IObjectStore store, ICatalog catalog, IRetryQueue? retry, IUrlSigner signer,
    IDeadLetters? deadLetters, IReadOnlyList<IDisposable>? owned = null) : IDisposable
{
    public GcpFunctionsSettings Settings => settings;

    public IObjectStore Store => store;

    public ICatalog Catalog => catalog;

    public IRetryQueue? Retry => retry;

    public IUrlSigner Signer => signer;

    /// <summary>Where events refused for good are recorded (the dead-letter topic); the finalize function needs it.</summary>
    public IDeadLetters? DeadLetters => deadLetters;

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
            IDeadLetters? deadLetters = null;
            if (settings.RetryTopic is not null || settings.DeadLetterTopic is not null)
            {
                GcpEndpoint pubsub = await GcpEndpoint.FromEnvironmentAsync(GcpService.PubSub, options, cancellationToken,
                    name => name == GcpService.PubSub.EmulatorHostVariable ? settings.PubSubEmulatorHost : null);
                owned.Add(pubsub);
                var publisher = new PubSubPublisher(pubsub, settings.ProjectId);
                retry = settings.RetryTopic is { } retryTopic ? new PubSubRetryQueue(publisher, retryTopic) : null;
                deadLetters = settings.DeadLetterTopic is { } deadLetterTopic ? new PubSubDeadLetters(publisher, deadLetterTopic) : null;
            }
            IUrlSigner signer = new DeferredUrlSigner(IamBlobSigner.SystemManagedKeyLimit, async ct =>
            {
                V4UrlEndpoint urls = settings.StorageEndpoint is { } storage ? V4UrlEndpoint.Resolve(emulatorHost: storage.GetLeftPart(UriPartial.Authority)) : V4UrlEndpoint.Production;
                if (settings.SigningServiceAccount is not { } account)
                {
                    return new GcsUrlSigner(await IamBlobSigner.ForDefaultCredentialAsync(ct), time, urls);
                }
                GcpEndpoint iam = GcpEndpoint.Production(IamCredentialsBlobSigner.Service, await GoogleCredential.GetApplicationDefaultAsync(ct), options);
                lock (owned)
                {
                    owned.Add(iam);
                }
                return new GcsUrlSigner(IamBlobSigner.ForServiceAccount(iam, account), time, urls);
            });
            return new GcpBackend(settings, store, catalog, retry, signer, deadLetters, owned);
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
/// A URL signer made on first use: the credentials it signs with (application default credentials, IAM Credentials)
/// are looked up when the first URL is signed, not at start, so the functions that never sign start without them;
/// a failed lookup is tried again on the next request.
/// </summary>
public sealed class DeferredUrlSigner(TimeSpan maxLifetime, Func<CancellationToken, Task<IUrlSigner>> create) : IUrlSigner
{
    private Task<IUrlSigner>? _signer;

    public TimeSpan MaxLifetime => maxLifetime;

    public async Task<Uri> SignAsync(SignedUrlRequest request, CancellationToken cancellationToken)
    {
        Task<IUrlSigner>? current = Volatile.Read(ref _signer);
        if (current is null || current.IsFaulted || current.IsCanceled)
        {
            _ = Interlocked.CompareExchange(ref _signer, create(CancellationToken.None), current);
            current = Volatile.Read(ref _signer)!;
        }
        return await (await current.WaitAsync(cancellationToken)).SignAsync(request, cancellationToken);
    }
}
