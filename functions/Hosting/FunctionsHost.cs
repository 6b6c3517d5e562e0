using Cctv.Functions.Api;
using Cctv.Functions.Finalize;
using Cctv.Functions.Gcp;
using Cctv.Functions.Local;
using Cctv.Functions.Reconcile;
using Cctv.Shared.Logging;
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
/// <param name="Services">Runs after every function's services are added (the load generator wraps the catalog to count its calls).</param>
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
    IReadOnlyList<string>? AllowedHosts = null,
    Action<IServiceCollection>? Services = null)
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
        TimeProvider time = settings.Time ?? TimeProvider.System;
        IFunctionsBackend backend = settings.Gcp is { } gcp ? new GcpFunctionsBackend(gcp, settings, time) : new LocalFunctionsBackend(settings, time);
        var hosting = new FunctionHosting(backend, settings);
        IReadOnlyList<IHostedFunction> functions = HostedFunctions.For(settings.Target);
        backend.AddServices(builder.Services);
        foreach (IHostedFunction function in functions)
        {
            function.AddServices(builder.Services, hosting);
        }
        settings.Services?.Invoke(builder.Services);
        WebApplication app = builder.Build();
        foreach (IHostedFunction function in functions)
        {
            function.UseFirst(app, hosting);
        }
        app.UseHostCheck();
        MapHealth(app, settings.Target);
        foreach (IHostedFunction function in functions)
        {
            function.Map(app, hosting);
        }
        return app;
    }

    /// <summary>What every function target needs, on either backend.</summary>
    internal static void AddCommonServices(IServiceCollection services, TimeProvider time, BucketNames buckets, SweepOptions sweep)
    {
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower);
        services.AddSingleton(time);
        services.AddSingleton(buckets);
        services.AddSingleton(sweep);
        services.AddSingleton(new StatusOptions(sweep.RecorderOfflineAfter));
        services.AddSingleton<IFragmentCoverage, Mp4FragmentCoverage>(); // what a salvaged object covers, read from its media
        services.AddSingleton<ArchiveService>();
        services.AddSingleton<ManifestVerifier>();
    }

    private static void MapHealth(WebApplication app, string? target) =>
        app.MapGet("/healthz", () => Results.Ok(new { status = "ok", target = target ?? "all" }));
}
