using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Cctv.Functions.Auth;
using Cctv.Functions.Hosting;
using Cctv.Shared.Domain;
using Cctv.Shared.Local;
using Cctv.Shared.Ports;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace Cctv.Benchmarks.Playback;

/// <summary>
/// The benchmarks of issue "Playback and access": <c>signing</c> (signed URLs per second per core, V4 RSA and local
/// HMAC), <c>playlist</c> (the 24-hour playlist in memory, then through the API with its catalog query) and
/// <c>get-url</c> (get_url under wrk load on the embedded backend's host).
/// </summary>
internal static class PlaybackCommands
{
    public static int Signing(string[] args) => RunBenchmarks(typeof(SigningBenchmarks), args);

    public static async Task<int> PlaylistAsync(string[] args)
    {
        int exit = RunBenchmarks(typeof(PlaylistBenchmarks), args);
        Console.WriteLine();
        Console.WriteLine("Through the API (embedded backend, SQLite catalog): GET /api/cameras/gate/playlist.m3u8 over 24 hours, 8,640 recordings");
        await using Host host = await Host.StartAsync(cameraDay: true);
        using HttpClient client = host.Client(host.LocalToken);
        string path = $"/api/cameras/gate/playlist.m3u8?from={PlaylistBenchmarks.From:yyyy-MM-dd'T'HH:mm:ss'Z'}&to={PlaylistBenchmarks.From.AddHours(24):yyyy-MM-dd'T'HH:mm:ss'Z'}";
        var times = new List<double>();
        int bytes = 0;
        for (int i = 0; i < 33; i++)
        {
            var watch = Stopwatch.StartNew();
            string playlist = await client.GetStringAsync(path);
            watch.Stop();
            bytes = playlist.Length;
            if (i >= 3)
            {
                times.Add(watch.Elapsed.TotalMilliseconds); // the first few warm up the JIT and SQLite's cache
            }
        }
        times.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {times.Count} requests: p50 {Percentile(times, 50):F1} ms, p90 {Percentile(times, 90):F1} ms, max {times[^1]:F1} ms; {bytes / 1024.0 / 1024.0:F2} MiB each"));
        return exit;
    }

    public static async Task<int> GetUrlAsync(string[] args)
    {
        int seconds = args.SkipWhile(a => a != "--duration").Skip(1).Select(int.Parse).FirstOrDefault(20);
        int connections = args.SkipWhile(a => a != "--connections").Skip(1).Select(int.Parse).FirstOrDefault(16);
        string? wrk = FindOnPath("wrk");
        await using Host host = await Host.StartAsync(cameraDay: false);
        string ids = Path.Combine(host.Dir, "ids.txt");
        await File.WriteAllLinesAsync(ids, host.Recordings.Select(r => r.Id));
        string script = FindScript();
        Console.WriteLine($"Host {host.BaseUri} with {host.Recordings.Count} archived recordings; wrk script {script}");
        if (wrk is null)
        {
            Console.Error.WriteLine("wrk is not installed (apt-get install wrk). Run it by hand against the host above:");
            Console.Error.WriteLine($"  CCTV_TOKEN={host.LocalToken} CCTV_IDS={ids} wrk -t2 -c{connections} -d{seconds}s --latency -s {script} {host.BaseUri}");
            return 2;
        }
        foreach ((string caller, string token) in ((string, string)[])[("operator (local token)", host.LocalToken), ("service client (API key, one site granted)", host.ApiKey)])
        {
            var start = new ProcessStartInfo(wrk) { RedirectStandardOutput = true, UseShellExecute = false };
            foreach (string a in (string[])["-t2", $"-c{connections}", $"-d{seconds}s", "--latency", "-s", script, host.BaseUri.AbsoluteUri])
            {
                start.ArgumentList.Add(a);
            }
            start.Environment["CCTV_TOKEN"] = token;
            start.Environment["CCTV_IDS"] = ids;
            using Process process = Process.Start(start)!;
            string output = await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            string summary = output.Split('\n').LastOrDefault(l => l.StartsWith("get_url:", StringComparison.Ordinal)) ?? output;
            Console.WriteLine($"{caller}, wrk -t2 -c{connections} -d{seconds}s: {summary}");
        }
        return 0;
    }

    private static int RunBenchmarks(Type type, string[] args)
    {
        // In process, as the other benchmarks here: nothing else generated and built on a machine others share.
        IConfig config = ManualConfig.Create(DefaultConfig.Instance)
            .AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance))
            .AddColumn(new PerSecondColumn())
            .WithArtifactsPath(Path.Combine(AppContext.BaseDirectory, "BenchmarkDotNet.Artifacts"));
        string[] switcherArgs = args.Contains("--filter") ? args : ["--filter", "*", .. args];
        var summaries = BenchmarkSwitcher.FromTypes([type]).Run(switcherArgs, config);
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }

    /// <summary>tests/Cctv.Benchmarks/Playback/get_url.lua of the checkout this program was built from.</summary>
    private static string FindScript()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tests", "Cctv.Benchmarks", "Playback", "get_url.lua");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new FileNotFoundException("tests/Cctv.Benchmarks/Playback/get_url.lua was not found above " + AppContext.BaseDirectory);
    }

    private static double Percentile(List<double> sorted, int p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p / 100.0 * sorted.Count) - 1)];

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    /// <summary>
    /// The functions host over a fresh embedded backend in memory-backed storage (/dev/shm when there is one: the
    /// catalog's fsyncs are not what is measured), with archived recordings of camera gate at site hq, and an API key
    /// that may see site hq.
    /// </summary>
    private sealed class Host : IAsyncDisposable
    {
        private WebApplication _app = null!;

        public string Dir { get; } = Path.Combine(Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(), "cctv-bench-" + Guid.NewGuid().ToString("N")[..8]);

        public string LocalToken { get; } = ApiToken();

        public string ApiKey { get; private set; } = "";

        public Uri BaseUri { get; private set; } = null!;

        public List<Recording> Recordings { get; } = [];

        public static async Task<Host> StartAsync(bool cameraDay)
        {
            var host = new Host();
            var backend = new LocalBackend(host.Dir, TimeProvider.System);
            SqliteCatalog catalog = backend.Catalog;
            CancellationToken ct = CancellationToken.None;
            await catalog.SetRecorderSiteAsync(new RecorderSite("r1", "hq"), ct);
            await catalog.UpsertCameraAsync(new CameraInfo("gate", "Gate", "r1"), ct);
            IEnumerable<Recording> day = cameraDay ? PlaylistBenchmarks.Day().Recordings : PlaylistBenchmarks.Day().Recordings.Take(1000);
            foreach (Recording r in day)
            {
                await catalog.AnnounceAsync(r.Announcement, ct);
                await catalog.MarkStagedAsync(r.Id, 1, ct);
                await catalog.MarkArchivedAsync(r.Id, r.ArchiveObject!, 2, ct);
                host.Recordings.Add(r);
            }
            (host.ApiKey, ApiKeyRecord key) = await ApiKeys.CreateAsync(catalog, "bench", TimeProvider.System, ct);
            await catalog.GrantAsync(AccessGrant.ToSite(key.Principal, "hq"), ct);
            host._app = FunctionsHost.Build(new FunctionsHostSettings(host.Dir, host.LocalToken, Urls: ["http://127.0.0.1:0"], MinimumLogLevel: LogLevel.Warning));
            await host._app.StartAsync();
            host.BaseUri = new Uri(host._app.Urls.First());
            return host;
        }

        public HttpClient Client(string token)
        {
            var client = new HttpClient { BaseAddress = BaseUri };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            return client;
        }

        private static string ApiToken() => Cctv.Functions.Api.ApiToken.Generate();

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
            try
            {
                Directory.Delete(Dir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
