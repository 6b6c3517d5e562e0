using Cctv.Functions.Api;
using Cctv.Functions.Auth;
using Cctv.Functions.Finalize;
using Cctv.Functions.Gcp;
using Cctv.Functions.Local;
using Cctv.Functions.Player;
using Cctv.Functions.Reconcile;
using Cctv.Functions.Retry;
using Cctv.Shared.CloudEvents;
using Cctv.Shared.Local;
using Cctv.Shared.Logging;
using Cctv.Shared.Ports;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Cctv.Functions.Hosting;

/// <summary>How to start the functions host.</summary>
/// <param name="DataDir">The embedded backend's data directory (ignored on the gcp backend).</param>
/// <param name="ApiToken">The embedded backend's API token (ignored on the gcp backend, which checks users' ID tokens).</param>
/// <param name="Target">One of <see cref="FunctionTargets"/>, or null to serve all (the local host).</param>
/// <param name="Gcp">The gcp backend; null for the embedded (local) one.</param>
/// <param name="Logging">More logging configuration (tests add a provider that records what is logged).</param>
/// <param name="CorsOrigins">Web origins whose pages may call the player API (CCTV_CORS_ORIGINS); none by default.</param>
/// <param name="Playback">Limits of the time-range API (timeline, playlists); <see cref="PlaybackOptions.Default"/> when null.</param>
/// <param name="PublicBaseUrl">The origin links name (CCTV_PUBLIC_BASE_URL); null: the request's Host, where it is allowed (<see cref="PublicOrigin"/>).</param>
/// <param name="AllowedHosts">More hosts (host or host:port) the host answers to (CCTV_ALLOWED_HOSTS), besides loopback, the base URL's and the listen URLs'.</param>
public sealed record FunctionsHostSettings(
    string DataDir,
    string ApiToken,
    string? Target = null,
    IReadOnlyList<string>? Urls = null,
    TimeProvider? Time = null,
    LogLevel MinimumLogLevel = LogLevel.Information,
    TimeSpan? UrlLifetime = null,
    GcpBackend? Gcp = null,
    Action<ILoggingBuilder>? Logging = null,
    IReadOnlyList<string>? CorsOrigins = null,
    PlaybackOptions? Playback = null,
    Uri? PublicBaseUrl = null,
    IReadOnlyList<string>? AllowedHosts = null)
{
    /// <summary>Settings for the gcp backend.</summary>
    public static FunctionsHostSettings ForGcp(GcpBackend gcp, string? target, IReadOnlyList<string>? urls = null, TimeProvider? time = null,
        LogLevel minimumLogLevel = LogLevel.Information, Action<ILoggingBuilder>? logging = null, IReadOnlyList<string>? corsOrigins = null,
        Uri? publicBaseUrl = null, IReadOnlyList<string>? allowedHosts = null) =>
        new("", "", target, urls, time, minimumLogLevel, gcp.Settings.SignedUrlLifetime, gcp, logging, corsOrigins, null, publicBaseUrl, allowedHosts);

    /// <summary>Where links point and which Host headers are answered, from these settings.</summary>
    internal PublicOrigin Origin()
    {
        Uri? baseUrl = PublicBaseUrl is null ? null : PublicOrigin.ParseBaseUrl(PublicBaseUrl.OriginalString, HostEnvironment.PublicBaseUrl);
        IReadOnlyList<string> hosts = [.. PublicOrigin.ParseHosts(string.Join(',', AllowedHosts ?? []), HostEnvironment.AllowedHosts),
            .. PublicOrigin.ListenHosts(Urls ?? [])];
        // Cloud Storage signs its own URLs: on the gcp backend no link names the request's host.
        return new PublicOrigin(baseUrl, hosts, anyHost: Gcp is not null && AllowedHosts is not { Count: > 0 });
    }
}

/// <summary>
/// Builds the ASP.NET Core host that serves the functions, over the embedded backend (<c>CCTV_BACKEND=local</c>) or
/// the gcp one. With a <c>FUNCTION_TARGET</c> the target's function answers on <c>/</c> (the sweep also on
/// <c>/retention</c>, the player API on <c>/api/...</c> and its page on <c>/player/</c>), as the Functions Framework
/// serves one function per service; without one, every function answers on its own path.
/// </summary>
public static class FunctionsHost
{
    public const string FinalizePath = LocalEventDispatcher.FinalizePath;
    public const string RetryPath = "/functions/retry";
    public const string ReconcilePath = "/functions/reconcile";
    public const string RetentionPath = "/functions/retention";

    /// <summary>Where the finalize function answers: its own path when the host serves every function, <c>/</c> under its target.</summary>
    public static string FinalizeRoute(string? target) => target == FunctionTargets.StagingObjectFinalized ? "/" : FinalizePath;

    public static WebApplication Build(FunctionsHostSettings settings)
    {
        if (settings.Target is { } t && !FunctionTargets.All.Contains(t))
        {
            throw new ArgumentException($"FUNCTION_TARGET '{t}' is unknown: use one of {string.Join(", ", FunctionTargets.All)}.");
        }
        if (settings.Gcp is null && string.IsNullOrWhiteSpace(settings.ApiToken))
        {
            throw new ArgumentException("The embedded backend needs an API token (CCTV_API_TOKEN): it is the credential of the API and of /functions/*.");
        }
        PublicOrigin origin = settings.Origin();
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.SetMinimumLevel(settings.MinimumLogLevel);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("System.Net.Http.HttpClient", LogLevel.Warning);
        if (settings.Gcp is not null)
        {
            builder.Logging.ClearProviders();
            builder.Logging.AddConsole(o => o.FormatterName = GcpJsonConsoleFormatter.FormatterName)
                .AddConsoleFormatter<GcpJsonConsoleFormatter, ConsoleFormatterOptions>();
        }
        settings.Logging?.Invoke(builder.Logging);
        if (settings.Urls is { Count: > 0 } urls)
        {
            builder.WebHost.UseUrls([.. urls]);
        }
        builder.Services.AddSingleton(origin);
        if (settings.Gcp is { } gcp)
        {
            builder.Services.AddGcpFunctions(gcp, settings);
        }
        else
        {
            builder.Services.AddLocalFunctions(settings);
        }
        WebApplication app = builder.Build();
        if (settings.Gcp is not null)
        {
            app.MapGcpFunctions(settings.Target);
        }
        else
        {
            app.MapFunctions(settings.Target);
        }
        return app;
    }

    public static IServiceCollection AddLocalFunctions(this IServiceCollection services, FunctionsHostSettings settings)
    {
        TimeProvider time = settings.Time ?? TimeProvider.System;
        var backend = new LocalBackend(settings.DataDir, time);
        services.AddCommonFunctions(time, new BucketNames(LocalBackend.StagingBucket, LocalBackend.ArchiveBucket), new SweepOptions());
        services.AddSingleton(backend);
        services.AddSingleton(backend.Events);
        services.AddSingleton<IObjectStore>(backend.Store);
        services.AddSingleton<ICatalog>(backend.Catalog);
        services.AddSingleton<IUrlSigner>(backend.Signer);
        services.AddSingleton(new PlayerApiOptions("local", settings.UrlLifetime ?? TimeSpan.FromMinutes(120), LocalBackend.ArchiveBucket));
        services.AddSingleton(new ApiToken(settings.ApiToken));
        services.AddApiAuthentication(new ApiAccessOptions(settings.ApiToken, null, settings.CorsOrigins ?? []));
        services.AddPlayback(settings);
        services.AddSingleton<StagingObjectFinalizedFunction>();
        services.AddSingleton<IDeadLetters>(LocalDeadLetters.For(backend));
        services.AddSingleton<LocalReconciler>();
        services.AddHttpClient(nameof(LocalEventDispatcher));
        if (settings.Target is null or FunctionTargets.StagingObjectFinalized)
        {
            // It posts where this host serves the function (/ under the finalize target), not where the all-in-one host does.
            services.AddHostedService(sp => ActivatorUtilities.CreateInstance<LocalEventDispatcher>(sp, FinalizeRoute(settings.Target)));
        }
        if (settings.Target is null)
        {
            services.AddHostedService(sp => sp.GetRequiredService<LocalReconciler>());
        }
        return services;
    }

    public static IServiceCollection AddGcpFunctions(this IServiceCollection services, GcpBackend gcp, FunctionsHostSettings settings)
    {
        TimeProvider time = settings.Time ?? TimeProvider.System;
        GcpFunctionsSettings s = gcp.Settings;
        services.AddCommonFunctions(time, gcp.Buckets, s.Sweep);
        services.AddSingleton(gcp);
        services.AddSingleton(gcp.Store);
        services.AddSingleton(gcp.Catalog);
        services.AddSingleton(gcp.Signer);
        if (gcp.Retry is { } retry)
        {
            services.AddSingleton(retry);
        }
        services.AddSingleton(sp => new StagingObjectFinalizedFunction(sp.GetRequiredService<ArchiveService>(),
            sp.GetRequiredService<ILogger<StagingObjectFinalizedFunction>>(), time, sp.GetService<IRetryQueue>()));
        services.AddSingleton<RetryHandlerFunction>();
        if (gcp.DeadLetters is { } deadLetters)
        {
            services.AddSingleton(deadLetters);
        }
        else if (settings.Target is null or FunctionTargets.StagingObjectFinalized)
        {
            // A 400 lets Eventarc drop the event: without a durable record it would be gone with nothing but a log line.
            throw new ArgumentException($"The finalize function on the gcp backend needs a dead-letter topic ({FunctionEnvironment.DeadLetterTopic}) to record the events it refuses for good.");
        }
        services.AddSingleton(new PlayerApiOptions("gcp", settings.UrlLifetime ?? s.SignedUrlLifetime, s.ArchiveBucket));
        services.AddSingleton(new InvokerTokens(new GoogleTokenVerifier(
            new TokenPolicy(s.OidcAudience is { } audience ? [audience] : [], s.InvokerServiceAccounts, s.TokenCertificatesUrl))));
        services.AddApiAuthentication(new ApiAccessOptions(null, new UserTokenOptions(s.UserTokenAudiences)
        {
            GoogleCertificatesUrl = s.TokenCertificatesUrl ?? new Uri(UserTokenOptions.GoogleCertificates),
            FirebaseCertificatesUrl = s.TokenCertificatesUrl ?? new Uri(UserTokenOptions.FirebaseCertificates),
        }, settings.CorsOrigins ?? []));
        services.AddPlayback(settings);
        return services;
    }

    /// <summary>The time-range API's limits and the key of its playback links (read from the catalog on first use).</summary>
    private static void AddPlayback(this IServiceCollection services, FunctionsHostSettings settings)
    {
        services.AddSingleton(settings.Playback ?? PlaybackOptions.Default);
        services.AddSingleton(sp => new CatalogKey<PlaybackLinks>(sp.GetRequiredService<ICatalog>(), PlaybackLinks.SecretName, key => new PlaybackLinks(key)));
        services.AddSingleton(sp => new CatalogKey<PageTokens>(sp.GetRequiredService<ICatalog>(), PageTokens.SecretName, key => new PageTokens(key)));
    }

    private static void AddCommonFunctions(this IServiceCollection services, TimeProvider time, BucketNames buckets, SweepOptions sweep)
    {
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower);
        services.AddSingleton(time);
        services.AddSingleton(buckets);
        services.AddSingleton(sweep);
        services.AddSingleton(new StatusOptions(sweep.RecorderOfflineAfter));
        services.AddSingleton<ArchiveService>();
        services.AddSingleton<ReconcileSweep>();
        services.AddSingleton<ReconcileSweepFunction>();
    }

    /// <summary>
    /// The embedded backend's routes. Every function (<c>/functions/*</c>, or <c>/</c> under a FUNCTION_TARGET) requires
    /// the operator credential (<see cref="OperatorGuard"/>); the host's own event dispatcher sends it.
    /// </summary>
    public static WebApplication MapFunctions(this WebApplication app, string? target)
    {
        if (target is null or FunctionTargets.PlayerApi)
        {
            // First, so that every answer under /storage, the Host check's refusals too, carries the sandboxing headers.
            app.UseLocalStorageHeaders();
        }
        app.UseHostCheck();
        MapHealth(app, target);
        RequestDelegate finalize = OperatorGuard.RequireOperator(
            CloudEventEndpoint.For<StagingObjectFinalizedFunction, StorageObjectData>(StorageEvents.ObjectFinalized));
        RequestDelegate sweep = OperatorGuard.RequireOperator(Sweep(null));
        RequestDelegate retention = OperatorGuard.RequireOperator(Sweep(ReconcileSweep.RetentionJob));
        switch (target)
        {
            case null:
                app.UseApiAuthentication();
                app.MapPost(FinalizePath, finalize);
                app.MapPost(ReconcilePath, sweep);
                app.MapPost(RetentionPath, retention);
                app.MapRecordingsApi();
                app.MapPlaybackApi();
                app.MapStatusApi();
                app.MapLocalStorage();
                app.MapPlayerPage();
                break;
            case FunctionTargets.StagingObjectFinalized:
                app.MapPost(FinalizeRoute(target), finalize);
                break;
            case FunctionTargets.ReconcileSweep:
                app.MapPost("/", sweep);
                app.MapPost("/retention", retention);
                break;
            case FunctionTargets.PlayerApi:
                app.UseApiAuthentication();
                app.MapRecordingsApi();
                app.MapPlaybackApi();
                app.MapStatusApi();
                app.MapLocalStorage();
                app.MapPlayerPage();
                break;
            case FunctionTargets.RetryHandler:
                app.MapPost("/", OperatorGuard.RequireOperator(http => Results.Json(
                    new { error = "the Pub/Sub retry path runs on the gcp backend (CCTV_BACKEND=gcp); the embedded backend retries events itself" },
                    statusCode: StatusCodes.Status501NotImplemented).ExecuteAsync(http)));
                break;
        }
        return app;
    }

    /// <summary>
    /// The gcp backend's routes. The retry and sweep functions verify the OIDC token of their caller (Pub/Sub, Cloud
    /// Scheduler); the player API verifies users' ID tokens. The finalize service (FUNCTION_TARGET=StagingObjectFinalized)
    /// is reached only through Eventarc, whose token Cloud Run's IAM check verifies (terraform keeps that check on and
    /// the service internal, and a test in tests/Cctv.Deploy.Tests checks it); in one process serving every function
    /// there is no such per-service check, so there the finalize function verifies its caller's OIDC token itself.
    /// </summary>
    public static WebApplication MapGcpFunctions(this WebApplication app, string? target)
    {
        app.UseHostCheck();
        MapHealth(app, target);
        RequestDelegate finalize = CloudEventEndpoint.For<StagingObjectFinalizedFunction, StorageObjectData>(StorageEvents.ObjectFinalized);
        RequestDelegate retry = TokenGuard.RequireInvoker(http => http.RequestServices.GetRequiredService<RetryHandlerFunction>().HandleAsync(http));
        RequestDelegate sweep = TokenGuard.RequireInvoker(Sweep(null));
        RequestDelegate retention = TokenGuard.RequireInvoker(Sweep(ReconcileSweep.RetentionJob));
        switch (target)
        {
            case null:
                app.UseApiAuthentication();
                app.MapPost(FinalizePath, TokenGuard.RequireInvoker(finalize));
                app.MapPost(RetryPath, retry);
                app.MapPost(ReconcilePath, sweep);
                app.MapPost(RetentionPath, retention);
                app.MapRecordingsApi();
                app.MapPlaybackApi();
                app.MapStatusApi();
                app.MapPlayerPage();
                break;
            case FunctionTargets.StagingObjectFinalized:
                app.MapPost("/", finalize);
                break;
            case FunctionTargets.RetryHandler:
                app.MapPost("/", retry);
                break;
            case FunctionTargets.ReconcileSweep:
                app.MapPost("/", sweep);
                app.MapPost("/retention", retention);
                break;
            case FunctionTargets.PlayerApi:
                app.UseApiAuthentication();
                app.MapRecordingsApi();
                app.MapPlaybackApi();
                app.MapStatusApi();
                app.MapPlayerPage();
                break;
        }
        return app;
    }

    private static void MapHealth(WebApplication app, string? target) =>
        app.MapGet("/healthz", () => Results.Ok(new { status = "ok", target = target ?? "all" }));

    private static RequestDelegate Sweep(string? job) => http => http.RequestServices.GetRequiredService<ReconcileSweepFunction>().HandleAsync(http, job);
}
