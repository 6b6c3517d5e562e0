using Cctv.Functions.Api;
using Cctv.Functions.Finalize;
using Cctv.Functions.Local;
using Cctv.Shared.CloudEvents;
using Cctv.Shared.Local;
using Cctv.Shared.Ports;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Cctv.Functions.Hosting;

/// <summary>How to start the functions host.</summary>
/// <param name="Target">One of <see cref="FunctionTargets"/>, or null to serve all (the local host).</param>
public sealed record FunctionsHostSettings(
    string DataDir,
    string ApiToken,
    string? Target = null,
    IReadOnlyList<string>? Urls = null,
    TimeProvider? Time = null,
    LogLevel MinimumLogLevel = LogLevel.Information,
    TimeSpan? UrlLifetime = null);

/// <summary>Builds the ASP.NET Core host that serves the functions over the embedded backend.</summary>
public static class FunctionsHost
{
    public static WebApplication Build(FunctionsHostSettings settings)
    {
        if (settings.Target is { } t && !FunctionTargets.All.Contains(t))
        {
            throw new ArgumentException($"FUNCTION_TARGET '{t}' is unknown: use one of {string.Join(", ", FunctionTargets.All)}.");
        }
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.SetMinimumLevel(settings.MinimumLogLevel);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("System.Net.Http.HttpClient", LogLevel.Warning);
        if (settings.Urls is { Count: > 0 } urls)
        {
            builder.WebHost.UseUrls([.. urls]);
        }
        builder.Services.AddLocalFunctions(settings);
        WebApplication app = builder.Build();
        app.MapFunctions(settings.Target);
        return app;
    }

    public static IServiceCollection AddLocalFunctions(this IServiceCollection services, FunctionsHostSettings settings)
    {
        TimeProvider time = settings.Time ?? TimeProvider.System;
        var backend = new LocalBackend(settings.DataDir, time);
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower);
        services.AddSingleton(time);
        services.AddSingleton(backend);
        services.AddSingleton(backend.Events);
        services.AddSingleton<IObjectStore>(backend.Store);
        services.AddSingleton<ICatalog>(backend.Catalog);
        services.AddSingleton<IUrlSigner>(backend.Signer);
        services.AddSingleton(new BucketNames(LocalBackend.StagingBucket, LocalBackend.ArchiveBucket));
        services.AddSingleton(new PlayerApiOptions("local", settings.UrlLifetime ?? TimeSpan.FromMinutes(120), LocalBackend.ArchiveBucket));
        services.AddSingleton(new ApiToken(settings.ApiToken));
        services.AddSingleton<ArchiveService>();
        services.AddSingleton<StagingObjectFinalizedFunction>();
        services.AddSingleton<LocalReconciler>();
        services.AddHttpClient(nameof(LocalEventDispatcher));
        if (settings.Target is null or FunctionTargets.StagingObjectFinalized)
        {
            services.AddHostedService<LocalEventDispatcher>();
        }
        if (settings.Target is null)
        {
            services.AddHostedService(sp => sp.GetRequiredService<LocalReconciler>());
        }
        return services;
    }

    public static WebApplication MapFunctions(this WebApplication app, string? target)
    {
        app.MapGet("/healthz", () => Results.Ok(new { status = "ok", target = target ?? "all" }));
        RequestDelegate finalize = CloudEventEndpoint.For<StagingObjectFinalizedFunction, StorageObjectData>(CloudEvent.StorageObjectFinalized);
        RequestDelegate sweep = async http =>
        {
            int redriven = await http.RequestServices.GetRequiredService<LocalReconciler>().SweepOnceAsync(http.RequestAborted);
            await http.Response.WriteAsJsonAsync(new { redriven });
        };
        switch (target)
        {
            case null:
                app.UseApiToken();
                app.MapPost(LocalEventDispatcher.FinalizePath, finalize);
                app.MapPost("/functions/reconcile", sweep);
                app.MapRecordingsApi();
                app.MapLocalStorage();
                break;
            case FunctionTargets.StagingObjectFinalized:
                app.MapPost("/", finalize);
                break;
            case FunctionTargets.ReconcileSweep:
                app.MapPost("/", sweep);
                break;
            case FunctionTargets.PlayerApi:
                app.UseApiToken();
                app.MapRecordingsApi();
                app.MapLocalStorage();
                break;
            case FunctionTargets.RetryHandler:
                app.MapPost("/", () => Results.Json(new { error = "the Pub/Sub retry path runs on the gcp backend, which this build does not include yet" },
                    statusCode: StatusCodes.Status501NotImplemented));
                break;
        }
        return app;
    }

    /// <summary>Every /api request needs the bearer token; anything else (signed storage URLs, events) has its own check.</summary>
    private static void UseApiToken(this WebApplication app) => app.Use(async (http, next) =>
    {
        if (http.Request.Path.StartsWithSegments("/api") && !http.RequestServices.GetRequiredService<ApiToken>().IsValid(http.Request))
        {
            http.Response.StatusCode = StatusCodes.Status401Unauthorized;
            http.Response.Headers.WWWAuthenticate = "Bearer";
            await http.Response.WriteAsJsonAsync(new ApiError("a valid bearer token is required (Authorization: Bearer <token>)"));
            return;
        }
        await next(http);
    });
}
