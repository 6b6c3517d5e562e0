using Cctv.EdgeRecorder.Configuration;
using Cctv.Shared.Gcp;
using Cctv.Shared.Gcp.Firestore;
using Cctv.Shared.Gcp.Storage;
using Cctv.Shared.Local;
using Cctv.Shared.Ports;

namespace Cctv.EdgeRecorder.Pipeline;

/// <summary>The store, staging bucket and catalog the configured backend gives the agent.</summary>
public sealed class EdgeBackend(IObjectStore store, string stagingBucket, ICatalog? catalog, IDisposable? owned) : IDisposable
{
    public IObjectStore Store { get; } = store;
    public string StagingBucket { get; } = stagingBucket;
    public ICatalog? Catalog { get; } = catalog;

    public static async Task<EdgeBackend> OpenAsync(RecorderOptions options, TimeProvider time, CancellationToken cancellationToken)
    {
        if (options.Backend == "local")
        {
            var local = new LocalBackend(options.LocalCloudDataDir, time);
            return new EdgeBackend(local.Store, LocalBackend.StagingBucket, local.Catalog, null);
        }
        GcsObjectStore gcs = await GcsObjectStore.CreateAsync(GcsSettingsOf(options), cancellationToken);
        if (options.Gcp.Catalog == "none")
        {
            return new EdgeBackend(gcs, options.Gcp.StagingBucket, null, gcs);
        }
        GcpEndpoint firestore = await FirestoreEndpointAsync(options, cancellationToken);
        var catalog = new FirestoreCatalog(new FirestoreClient(firestore, options.Gcp.ProjectId, options.Gcp.FirestoreDatabase), time);
        return new EdgeBackend(gcs, options.Gcp.StagingBucket, catalog, new Owned(gcs, firestore));
    }

    /// <summary>The emulator that FIRESTORE_EMULATOR_HOST names (no credentials), or Firestore with the recorder's credentials.</summary>
    private static async Task<GcpEndpoint> FirestoreEndpointAsync(RecorderOptions options, CancellationToken cancellationToken)
    {
        if (Environment.GetEnvironmentVariable(GcpService.Firestore.EmulatorHostVariable) is { Length: > 0 } emulator)
        {
            return GcpEndpoint.Emulator(GcpService.Firestore, emulator);
        }
        string? key = string.IsNullOrWhiteSpace(options.Gcp.CredentialsPath) ? null : options.Gcp.CredentialsPath;
        return GcpEndpoint.Production(GcpService.Firestore, await GcsObjectStore.LoadCredentialAsync(key, cancellationToken));
    }

    private sealed class Owned(params IDisposable[] parts) : IDisposable
    {
        public void Dispose()
        {
            foreach (IDisposable part in parts)
            {
                part.Dispose();
            }
        }
    }

    /// <summary>Cloud Storage settings from the recorder's options; STORAGE_EMULATOR_HOST wins, as in Google's own clients.</summary>
    public static GcsSettings GcsSettingsOf(RecorderOptions options)
    {
        var settings = new GcsSettings
        {
            CredentialsPath = string.IsNullOrWhiteSpace(options.Gcp.CredentialsPath) ? null : options.Gcp.CredentialsPath,
            ChunkSize = options.Upload.ChunkBytes,
            RequestTimeout = options.Upload.RequestTimeout,
            MaxBytesPerSecond = options.Upload.MaxBytesPerSecond,
            SingleRequestMaxBytes = options.Upload.SingleRequestMaxBytes,
            Anonymous = options.Gcp.Anonymous,
        };
        if (options.Gcp.Endpoint is { Length: > 0 } endpoint)
        {
            settings = settings with { Endpoint = new Uri(endpoint.EndsWith('/') ? endpoint : endpoint + "/") };
        }
        return GcsSettings.FromEmulatorEnvironment(settings) ?? settings;
    }

    /// <summary>The pipeline's context over this backend.</summary>
    public EdgeContext ContextFor(RecorderOptions options, Microsoft.Extensions.Logging.ILoggerFactory logs) =>
        new(options, Store, StagingBucket, Catalog, TimeProvider.System, logs);

    public void Dispose() => owned?.Dispose();
}
