using System.CommandLine;
using Cctv.Functions.Api;
using Cctv.Functions.Auth;
using Cctv.Functions.Gcp;
using Cctv.Shared.CommandLine;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace Cctv.Functions.Hosting;

/// <summary>
/// The functions host's command line: serve (the default) over the embedded backend of a data directory, or with
/// CCTV_BACKEND=gcp over Cloud Storage, Firestore and Pub/Sub as <see cref="FunctionEnvironment"/>'s variables say.
/// On Cloud Run, PORT and FUNCTION_TARGET come from the environment.
/// </summary>
public static class FunctionsCli
{
    public static async Task<int> RunAsync(string[] args)
    {
        var dataDir = new Option<string>("--data-dir", () => Environment.GetEnvironmentVariable("CCTV_DATA_DIR") ?? Path.Combine(Environment.CurrentDirectory, "cctv-data"),
            "The data directory of the embedded backend (the same one the edge agent uses).");
        var urls = new Option<string[]>("--urls", "Where to listen, e.g. http://127.0.0.1:8080 (default: 127.0.0.1, or $CCTV_LISTEN_ADDRESS, on $PORT or 8080; every interface on Cloud Run).")
        { AllowMultipleArgumentsPerToken = true };
        var root = new RootCommand("CctvServerless functions host: finalize events, retries, reconcile, and the player API.")
        {
            dataDir, urls, Operator.SignUrlCommand.Create(), Operator.AccessCommand.Create(), Operator.LegalHoldCommand.Create(),
            Operator.RecorderCommand.Create(), Operator.CatalogCommand.Create(), Operator.ExportCommand.Create(), Shared.Evidence.VerifyCommand.Create(),
        };
        root.SetHandler(async context =>
        {
            context.ExitCode = await ServeAsync(context.ParseResult.GetValueForOption(dataDir)!, context.ParseResult.GetValueForOption(urls),
                context.GetCancellationToken());
        });
        return await CommandLines.InvokeAsync(root, args);
    }

    private static async Task<int> ServeAsync(string dataDir, string[]? urls, CancellationToken cancellationToken)
    {
        string backend = Environment.GetEnvironmentVariable(FunctionEnvironment.Backend) is { Length: > 0 } b ? b : "local";
        if (backend is not ("local" or "gcp"))
        {
            await Console.Error.WriteLineAsync($"{FunctionEnvironment.Backend}='{backend}' is unknown: use 'local' (the embedded backend) or 'gcp'.");
            return 2;
        }
        string? target = Environment.GetEnvironmentVariable(FunctionEnvironment.FunctionTarget) is { Length: > 0 } t ? t : null;
        if (target is not null && !FunctionTargets.All.Contains(target))
        {
            await Console.Error.WriteLineAsync($"{FunctionEnvironment.FunctionTarget}='{target}' is unknown: use one of {string.Join(", ", FunctionTargets.All)}.");
            return 2;
        }
        IReadOnlyList<string> corsOrigins;
        try
        {
            corsOrigins = ApiAccessOptions.ParseOrigins(Environment.GetEnvironmentVariable(FunctionEnvironment.CorsOrigins));
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync($"{FunctionEnvironment.CorsOrigins}: {e.Message}");
            return 2;
        }
        Links links;
        try
        {
            urls = urls is { Length: > 0 } ? urls : [.. HostEnvironment.DefaultUrls(Environment.GetEnvironmentVariable)];
            links = new Links(
                PublicOrigin.ParseBaseUrl(Environment.GetEnvironmentVariable(HostEnvironment.PublicBaseUrl), HostEnvironment.PublicBaseUrl),
                PublicOrigin.ParseHosts(Environment.GetEnvironmentVariable(HostEnvironment.AllowedHosts), HostEnvironment.AllowedHosts));
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return 2;
        }
        return backend == "gcp"
            ? await ServeGcpAsync(target, urls, corsOrigins, links, cancellationToken)
            : await ServeLocalAsync(dataDir, target, urls, corsOrigins, links, cancellationToken);
    }

    /// <summary>The origin links name and the hosts answered besides loopback (<see cref="PublicOrigin"/>).</summary>
    private sealed record Links(Uri? PublicBaseUrl, IReadOnlyList<string> AllowedHosts);

    private static async Task<int> ServeLocalAsync(string dataDir, string? target, string[] urls, IReadOnlyList<string> corsOrigins, Links links,
        CancellationToken cancellationToken)
    {
        string token = Environment.GetEnvironmentVariable("CCTV_API_TOKEN") is { Length: > 0 } given ? given : ApiToken.Generate();
        var app = FunctionsHost.Build(new FunctionsHostSettings(dataDir, token, target, urls, CorsOrigins: corsOrigins,
            PublicBaseUrl: links.PublicBaseUrl, AllowedHosts: links.AllowedHosts));
        await app.StartAsync(cancellationToken);
        Console.WriteLine($"Serving {(target ?? "all functions")} over the embedded backend in {Path.GetFullPath(dataDir)}");
        Console.WriteLine($"Listening on {string.Join(", ", app.Urls)}");
        // The API and every /functions/* endpoint take this token as the operator's bearer credential.
        Console.WriteLine($"API token: {token}");
        await app.WaitForShutdownAsync(cancellationToken);
        return 0;
    }

    private static async Task<int> ServeGcpAsync(string? target, string[] urls, IReadOnlyList<string> corsOrigins, Links links, CancellationToken cancellationToken)
    {
        GcpFunctionsSettings settings;
        try
        {
            settings = GcpFunctionsSettings.FromEnvironment(Environment.GetEnvironmentVariable, target);
        }
        catch (FunctionConfigurationException e)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return 2;
        }
        GcpBackend gcp;
        try
        {
            gcp = await GcpBackend.CreateAsync(settings, TimeProvider.System, cancellationToken);
        }
        catch (Exception e) when (e is InvalidOperationException or FileNotFoundException or ArgumentException or Shared.Gcp.Storage.GcsCredentialException)
        {
            // No credentials, an unusable key file or endpoint: say so in one line, not with a stack trace.
            await Console.Error.WriteLineAsync($"The gcp backend could not be set up: {e.Message}");
            return 1;
        }
        using GcpBackend owned = gcp;
        await using WebApplication app = FunctionsHost.Build(FunctionsHostSettings.ForGcp(gcp, target, urls, corsOrigins: corsOrigins,
            publicBaseUrl: links.PublicBaseUrl, allowedHosts: links.AllowedHosts));
        await app.StartAsync(cancellationToken);
        app.Logger.LogInformation("Serving {Target} on the gcp backend: project {Project}, staging gs://{Staging}, archive gs://{Archive}, retry topic {Topic}, dead-letter topic {DeadLetterTopic}",
            target ?? "all functions", settings.ProjectId, settings.StagingBucket, settings.ArchiveBucket, settings.RetryTopic ?? "(none)", settings.DeadLetterTopic ?? "(none)");
        if (target is null or FunctionTargets.PlayerApi && settings.UserTokenAudiences.Count == 0)
        {
            app.Logger.LogWarning("{Variable} is empty: the player API refuses every user until it names the audiences of their ID tokens",
                FunctionEnvironment.UserTokenAudiences);
        }
        await app.WaitForShutdownAsync(cancellationToken);
        return 0;
    }
}
