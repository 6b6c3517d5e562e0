using Cctv.Functions.Api;
using Cctv.Functions.Auth;
using Cctv.Functions.Finalize;
using Cctv.Functions.Player;
using Cctv.Functions.Reconcile;
using Cctv.Functions.Retry;
using Cctv.Shared.CloudEvents;
using Cctv.Shared.Ports;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Cctv.Functions.Hosting;

/// <summary>Where a function target is hosted: on which backend, with which settings.</summary>
internal sealed record FunctionHosting(IFunctionsBackend Backend, FunctionsHostSettings Settings)
{
    /// <summary>
    /// True when the host serves this target only (a Cloud Run service): its function answers on <c>/</c>. Otherwise the
    /// host serves every target, each function on its own path (<see cref="FunctionsHost.FinalizePath"/> and the others).
    /// </summary>
    public bool Alone => Settings.Target is not null;
}

/// <summary>One <c>FUNCTION_TARGET</c>: the services it needs and the routes it answers, on either host.Backend.</summary>
internal interface IHostedFunction
{
    string Target { get; }

    void AddServices(IServiceCollection services, FunctionHosting host);

    /// <summary>Middleware that must see every request first, before the Host check.</summary>
    void UseFirst(WebApplication app, FunctionHosting host)
    {
    }

    void Map(WebApplication app, FunctionHosting host);
}

/// <summary>The function targets, each declared once; the host serves one of them, or all (the local host).</summary>
internal static class HostedFunctions
{
    public static IReadOnlyList<IHostedFunction> All { get; } =
        [new StagingObjectFinalizedTarget(), new RetryHandlerTarget(), new ReconcileSweepTarget(), new PlayerApiTarget()];

    /// <summary>The functions a host serves: the target's, or every one when <paramref name="target"/> is null.</summary>
    public static IReadOnlyList<IHostedFunction> For(string? target) => target is null ? All : [.. All.Where(f => f.Target == target)];

    /// <summary>The staging bucket's object-finalized CloudEvent: verify against the edge's announcement, archive, catalog.</summary>
    private sealed class StagingObjectFinalizedTarget : IHostedFunction
    {
        public string Target => FunctionTargets.StagingObjectFinalized;

        public void AddServices(IServiceCollection services, FunctionHosting host)
        {
            // A 400 lets Eventarc drop the event: without a durable record it would be gone with nothing but a log line.
            services.AddSingleton(host.Backend.DeadLetters ?? throw new ArgumentException(
                $"The finalize function on the gcp backend needs a dead-letter topic ({FunctionEnvironment.DeadLetterTopic}) to record the events it refuses for good."));
            services.AddSingleton(sp => new StagingObjectFinalizedFunction(sp.GetRequiredService<ArchiveService>(),
                sp.GetRequiredService<ILogger<StagingObjectFinalizedFunction>>(), sp.GetRequiredService<TimeProvider>(), sp.GetService<IRetryQueue>(),
                sp.GetRequiredService<ManifestVerifier>()));
            // It posts where this host serves the function (/ under the finalize target), not where the all-in-one host does.
            host.Backend.AddEventDelivery(services, FunctionsHost.FinalizeRoute(host.Settings.Target));
        }

        public void Map(WebApplication app, FunctionHosting host) =>
            app.MapPost(FunctionsHost.FinalizeRoute(host.Settings.Target), host.Backend.RequireCaller(
                CloudEventEndpoint.For<StagingObjectFinalizedFunction, StorageObjectData>(StorageEvents.ObjectFinalized), checkedByCloudRun: host.Alone));
    }

    /// <summary>Finalize events that failed, pushed back by Pub/Sub (gcp); the embedded backend retries them itself.</summary>
    private sealed class RetryHandlerTarget : IHostedFunction
    {
        public string Target => FunctionTargets.RetryHandler;

        public void AddServices(IServiceCollection services, FunctionHosting host)
        {
            if (host.Backend.RetriesThroughPubSub)
            {
                services.AddSingleton<RetryHandlerFunction>();
            }
        }

        public void Map(WebApplication app, FunctionHosting host)
        {
            if (host.Backend.RetriesThroughPubSub)
            {
                app.MapPost(host.Alone ? "/" : FunctionsHost.RetryPath,
                    host.Backend.RequireCaller(http => http.RequestServices.GetRequiredService<RetryHandlerFunction>().HandleAsync(http)));
            }
            else if (host.Alone)
            {
                app.MapPost("/", host.Backend.RequireCaller(http => Results.Json(
                    new { error = "the Pub/Sub retry path runs on the gcp backend (CCTV_BACKEND=gcp); the embedded backend retries events itself" },
                    statusCode: StatusCodes.Status501NotImplemented).ExecuteAsync(http)));
            }
        }
    }

    /// <summary>The reconcile sweep and its retention job (Cloud Scheduler on gcp; a timer in the embedded all-in-one host).</summary>
    private sealed class ReconcileSweepTarget : IHostedFunction
    {
        public string Target => FunctionTargets.ReconcileSweep;

        public void AddServices(IServiceCollection services, FunctionHosting host)
        {
            services.AddSingleton<ReconcileSweep>();
            services.AddSingleton<ReconcileSweepFunction>();
            if (!host.Alone)
            {
                host.Backend.AddSweepSchedule(services);
            }
        }

        public void Map(WebApplication app, FunctionHosting host)
        {
            app.MapPost(host.Alone ? "/" : FunctionsHost.ReconcilePath, host.Backend.RequireCaller(Sweep(null)));
            app.MapPost(host.Alone ? "/retention" : FunctionsHost.RetentionPath, host.Backend.RequireCaller(Sweep(ReconcileSweep.RetentionJob)));
        }

        private static RequestDelegate Sweep(string? job) => http => http.RequestServices.GetRequiredService<ReconcileSweepFunction>().HandleAsync(http, job);
    }

    /// <summary>The HTTPS player API and its page (and, on the embedded backend, the objects its signed links name).</summary>
    private sealed class PlayerApiTarget : IHostedFunction
    {
        public string Target => FunctionTargets.PlayerApi;

        public void AddServices(IServiceCollection services, FunctionHosting host)
        {
            services.AddSingleton(host.Backend.PlayerApi);
            services.AddApiAuthentication(host.Backend.ApiAccess);
            // The time-range API's limits and the keys of its playback links and page tokens (read from the catalog on first use).
            services.AddSingleton(host.Settings.Playback ?? PlaybackOptions.Default);
            services.AddSingleton(sp => new CatalogKey<PlaybackLinks>(sp.GetRequiredService<ICatalog>(), PlaybackLinks.SecretName, key => new PlaybackLinks(key)));
            services.AddSingleton(sp => new CatalogKey<PageTokens>(sp.GetRequiredService<ICatalog>(), PageTokens.SecretName, key => new PageTokens(key)));
        }

        public void UseFirst(WebApplication app, FunctionHosting host)
        {
            if (host.Backend.ServesStorage)
            {
                // First, so that every answer under /storage, the Host check's refusals too, carries the sandboxing headers.
                app.UseLocalStorageHeaders();
            }
        }

        public void Map(WebApplication app, FunctionHosting host)
        {
            app.UseApiAuthentication();
            app.MapRecordingsApi();
            app.MapPlaybackApi();
            app.MapStatusApi();
            app.MapAuditApi();
            app.MapExportApi();
            if (host.Backend.ServesStorage)
            {
                app.MapLocalStorage();
            }
            app.MapPlayerPage();
        }
    }
}
