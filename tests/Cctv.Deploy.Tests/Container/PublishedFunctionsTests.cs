using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Cctv.Deploy.Tests.Support;

namespace Cctv.Deploy.Tests.Container;

/// <summary>
/// Publishes the functions host as the Dockerfile does (framework-dependent, no app host; for this
/// machine's runtime rather than linux-x64, so it runs anywhere) and starts it as the image does:
/// `dotnet Cctv.Functions.dll`, PORT and FUNCTION_TARGET from the environment, no arguments. Without
/// K_SERVICE (set only by Cloud Run, where the host binds 0.0.0.0:$PORT) it binds 127.0.0.1:$PORT.
/// Works on a private copy of the sources, so it never builds into the checkout's obj/ folders.
/// </summary>
[Trait("Category", "Slow")]
public sealed class PublishedFunctionsTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly string _work = Directory.CreateTempSubdirectory("cctv-deploy-tests-").FullName;

    [Fact]
    public async Task PublishedHost_AnswersHealthzOnPort_ForEveryFunctionTarget()
    {
        var published = await PublishAsync();
        Assert.True(File.Exists(Path.Combine(published, "Cctv.Functions.dll")), "publish produced no Cctv.Functions.dll");

        var failures = new List<string>();
        foreach (var target in Repo.FunctionTargets)
        {
            var failure = await StartAndProbeAsync(published, target);
            output.WriteLine($"{target}: {failure ?? "healthy"}");
            if (failure is not null)
            {
                failures.Add($"FUNCTION_TARGET={target}: {failure}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_work, recursive: true);
        }
        catch (IOException)
        {
            // a file still held by an exiting process; the temp folder is cleaned by the OS
        }
    }

    private async Task<string> PublishAsync()
    {
        // The sources the image is built from: the shared build settings and the project closure.
        var sources = Path.Combine(_work, "src");
        foreach (var file in new[] { "Directory.Build.props", "Directory.Packages.props", "nuget.config", "NuGet.Config", "global.json" })
        {
            if (File.Exists(Repo.PathOf(file)))
            {
                Directory.CreateDirectory(sources);
                File.Copy(Repo.PathOf(file), Path.Combine(sources, file));
            }
        }

        foreach (var project in Repo.ProjectClosure("functions/Cctv.Functions.csproj"))
        {
            CopySourceFolder(Repo.PathOf(Repo.FolderOf(project)), Path.Combine(sources, Repo.FolderOf(project)));
        }

        var published = Path.Combine(_work, "app");
        var result = await ProcessRunner.RunAsync(
            "dotnet",
            ["publish", "functions/Cctv.Functions.csproj", "--configuration", "Release", "--output", published,
                "-p:UseAppHost=false", "--disable-build-servers", "-nodeReuse:false", "-nologo"],
            sources,
            PublishTimeout,
            new Dictionary<string, string?> { ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["MSBUILDDISABLENODEREUSE"] = "1" });
        Assert.True(result.ExitCode == 0, result.Describe("dotnet publish functions/Cctv.Functions.csproj (a copy of the sources)"));
        return published;
    }

    /// <summary>Null when the host answered 200 on /healthz; otherwise what went wrong, with its log.</summary>
    private async Task<string?> StartAndProbeAsync(string published, string target)
    {
        var port = FreeLoopbackPort();
        var runDirectory = Directory.CreateDirectory(Path.Combine(_work, "run-" + target)).FullName;
        var startInfo = new ProcessStartInfo("dotnet") { WorkingDirectory = runDirectory };
        startInfo.ArgumentList.Add(Path.Combine(published, "Cctv.Functions.dll"));
        startInfo.Environment["PORT"] = port.ToString();
        startInfo.Environment["FUNCTION_TARGET"] = target;
        startInfo.Environment["CCTV_BACKEND"] = "local"; // no cloud account here
        startInfo.Environment["HOME"] = runDirectory;
        foreach (var inherited in new[] { "ASPNETCORE_URLS", "ASPNETCORE_HTTP_PORTS", "ASPNETCORE_HTTPS_PORTS", "DOTNET_URLS" })
        {
            startInfo.Environment.Remove(inherited);
        }

        using var host = new RunningProcess(startInfo);
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var url = new Uri($"http://127.0.0.1:{port}/healthz");
        var deadline = Stopwatch.StartNew();
        var last = "no answer";
        while (deadline.Elapsed < StartTimeout)
        {
            if (host.HasExited)
            {
                return $"exited with {host.ExitCode} before answering.\n{host.Log}";
            }

            try
            {
                using var response = await client.GetAsync(url);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return null;
                }

                last = $"HTTP {(int)response.StatusCode}";
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }
            catch (TaskCanceledException)
            {
                last = "request timed out";
            }

            await Task.Delay(250);
        }

        return $"GET {url} gave no 200 within {StartTimeout.TotalSeconds:0} s (last: {last}).\n{host.Log}";
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void CopySourceFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }

        foreach (var directory in Directory.EnumerateDirectories(from))
        {
            var name = Path.GetFileName(directory);
            if (name is not ("bin" or "obj" or "TestResults"))
            {
                CopySourceFolder(directory, Path.Combine(to, name));
            }
        }
    }
}
