using System.CommandLine;
using Cctv.Functions.Api;

namespace Cctv.Functions.Hosting;

/// <summary>
/// The functions host's command line: serve (the default) over the embedded backend of a data directory.
/// On Cloud Run, PORT and FUNCTION_TARGET come from the environment.
/// </summary>
public static class FunctionsCli
{
    public static async Task<int> RunAsync(string[] args)
    {
        var dataDir = new Option<string>("--data-dir", () => Environment.GetEnvironmentVariable("CCTV_DATA_DIR") ?? Path.Combine(Environment.CurrentDirectory, "cctv-data"),
            "The data directory of the embedded backend (the same one the edge agent uses).");
        var urls = new Option<string[]>("--urls", "Where to listen, e.g. http://127.0.0.1:8080 (default: $PORT on all interfaces, else http://127.0.0.1:8080).")
        { AllowMultipleArgumentsPerToken = true };
        var root = new RootCommand("CctvServerless functions host: finalize events, reconcile, and the player API.") { dataDir, urls };
        root.SetHandler(async context =>
        {
            context.ExitCode = await ServeAsync(context.ParseResult.GetValueForOption(dataDir)!, context.ParseResult.GetValueForOption(urls),
                context.GetCancellationToken());
        });
        return await root.InvokeAsync(args);
    }

    private static async Task<int> ServeAsync(string dataDir, string[]? urls, CancellationToken cancellationToken)
    {
        string? backend = Environment.GetEnvironmentVariable(FunctionEnvironment.Backend);
        if (backend is not (null or "" or "local"))
        {
            await Console.Error.WriteLineAsync($"{FunctionEnvironment.Backend}='{backend}': only 'local' (the embedded backend) is in this build; the gcp backend is not yet available.");
            return 2;
        }
        string? target = Environment.GetEnvironmentVariable(FunctionEnvironment.FunctionTarget) is { Length: > 0 } t ? t : null;
        if (target is not null && !FunctionTargets.All.Contains(target))
        {
            await Console.Error.WriteLineAsync($"{FunctionEnvironment.FunctionTarget}='{target}' is unknown: use one of {string.Join(", ", FunctionTargets.All)}.");
            return 2;
        }
        if (urls is not { Length: > 0 })
        {
            urls = Environment.GetEnvironmentVariable(FunctionEnvironment.Port) is { Length: > 0 } port ? [$"http://0.0.0.0:{port}"] : ["http://127.0.0.1:8080"];
        }
        string token = Environment.GetEnvironmentVariable("CCTV_API_TOKEN") is { Length: > 0 } given ? given : ApiToken.Generate();
        var app = FunctionsHost.Build(new FunctionsHostSettings(dataDir, token, target, urls));
        await app.StartAsync(cancellationToken);
        Console.WriteLine($"Serving {(target ?? "all functions")} over the embedded backend in {Path.GetFullPath(dataDir)}");
        Console.WriteLine($"Listening on {string.Join(", ", app.Urls)}");
        if (target is null or FunctionTargets.PlayerApi)
        {
            Console.WriteLine($"API token: {token}");
        }
        await app.WaitForShutdownAsync(cancellationToken);
        return 0;
    }
}
