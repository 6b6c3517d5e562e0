using Cctv.Functions.Api;
using Cctv.Functions.Finalize;
using Cctv.Functions.Hosting;
using Cctv.Shared.Local;
using Cctv.Shared.Ports;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Cctv.Benchmarks.Loadgen;
/// <summary>
/// What the load generator runs against: the functions host (its finalize function at <see cref="FinalizeTarget"/>)
/// with its catalog counted, and the edge's side of the same buckets and catalog.
/// </summary>
public interface ILoadBackend : IAsyncDisposable
{
    string Name { get; }

    /// <summary>The host's catalog, counted; the edge announces through it too.</summary>
    CountingCatalog Catalog { get; }

    /// <summary>Where the edge uploads (raising no finalize events of its own: the load generator delivers them).</summary>
    IObjectStore EdgeStore { get; }

    BucketNames Buckets { get; }

    Uri FinalizeTarget { get; }

    /// <summary>The credential the finalize endpoint asks for, or null when it asks none.</summary>
    string? BearerToken { get; }
}

/// <summary>The functions host on the embedded backend (FUNCTION_TARGET=StagingObjectFinalized) over a data directory.</summary>
public sealed class EmbeddedLoadBackend : ILoadBackend
{
    private const string Token = "loadgen-token-0123456789";
    private readonly WebApplication _app;

    private EmbeddedLoadBackend(WebApplication app, CountingCatalog catalog, IObjectStore edgeStore, Uri target)
    {
        _app = app;
        Catalog = catalog;
        EdgeStore = edgeStore;
        FinalizeTarget = target;
    }

    public string Name => "embedded backend";

    public CountingCatalog Catalog { get; }

    public IObjectStore EdgeStore { get; }

    public BucketNames Buckets { get; } = new(LocalBackend.StagingBucket, LocalBackend.ArchiveBucket);

    public Uri FinalizeTarget { get; }

    public string? BearerToken => Token;

    public static async Task<EmbeddedLoadBackend> StartAsync(string dataDir, CancellationToken cancellationToken)
    {
        CountingCatalog? catalog = null;
        var settings = new FunctionsHostSettings(dataDir, Token, Target: FunctionTargets.StagingObjectFinalized, Urls: ["http://127.0.0.1:0"],
            // A failed delivery shows in the result (redeliveries, problems), not as a log line per event.
            MinimumLogLevel: LogLevel.Critical,
            Services: services =>
            {
                // The host's own catalog, counted: every function resolves ICatalog, so they all get the counting one.
                ServiceDescriptor registered = services.Last(d => d.ServiceType == typeof(ICatalog));
                catalog = new CountingCatalog((ICatalog)registered.ImplementationInstance!);
                services.Replace(ServiceDescriptor.Singleton<ICatalog>(catalog));
            });
        WebApplication app = FunctionsHost.Build(settings);
        await app.StartAsync(cancellationToken);
        var target = new Uri(new Uri(app.Urls.First()), FunctionsHost.FinalizeRoute(settings.Target));
        // The edge's side: its own store over the same buckets, raising no events.
        var edgeStore = new LocalObjectStore(Path.Combine(Path.GetFullPath(dataDir), "cloud", "buckets"), TimeProvider.System);
        return new EmbeddedLoadBackend(app, catalog!, edgeStore, target);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}
