using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Cctv.Shared.Gcp;

namespace Cctv.TestSupport.Gcp;

/// <summary>
/// One emulator of the Google Cloud CLI, started for real on a free loopback port and stopped (the whole
/// process tree: gcloud, its shell wrapper, the JVM) when disposed. Without gcloud the test fails and says what to install.
/// </summary>
public sealed class GcloudEmulator : IAsyncDisposable
{
    private const string Install =
        "google-cloud-cli google-cloud-cli-firestore-emulator google-cloud-cli-pubsub-emulator openjdk-17-jre-headless "
        + "(from Google's apt repository https://packages.cloud.google.com/apt; or `gcloud components install cloud-firestore-emulator pubsub-emulator beta`)";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output;
    private readonly TempDir _dataDir;

    private GcloudEmulator(Process process, ConcurrentQueue<string> output, TempDir dataDir, string hostPort)
    {
        _process = process;
        _output = output;
        _dataDir = dataDir;
        HostPort = hostPort;
    }

    /// <summary>host:port, as FIRESTORE_EMULATOR_HOST / PUBSUB_EMULATOR_HOST would hold it.</summary>
    public string HostPort { get; }

    public string Output => string.Join('\n', _output);

    public static Task<GcloudEmulator> StartFirestoreAsync() =>
        StartAsync("Firestore", port => ["emulators", "firestore", "start", $"--host-port=127.0.0.1:{port}"]);

    public static Task<GcloudEmulator> StartPubSubAsync(string projectId) =>
        StartAsync("Pub/Sub", (port, dataDir) => ["beta", "emulators", "pubsub", "start", $"--host-port=127.0.0.1:{port}", $"--project={projectId}", $"--data-dir={dataDir}"]);

    public static GcpEndpoint Endpoint(GcpService service, string hostPort, int transientRetries = 0) =>
        GcpEndpoint.Emulator(service, hostPort, new GcpEndpointOptions
        {
            TransientRetries = transientRetries,
            RetryDelay = TimeSpan.FromMilliseconds(50),
            RequestTimeout = TimeSpan.FromSeconds(20),
        });

    private static Task<GcloudEmulator> StartAsync(string name, Func<int, string[]> arguments) =>
        StartAsync(name, (port, _) => arguments(port));

    private static async Task<GcloudEmulator> StartAsync(string name, Func<int, string, string[]> arguments)
    {
        string gcloud = RequiredTool.Find("gcloud", Install);
        RequiredTool.Find("java", Install);
        int port = FreePort();
        var dataDir = new TempDir("emulator");
        var start = new ProcessStartInfo(gcloud)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string a in arguments(port, dataDir.Path))
        {
            start.ArgumentList.Add(a);
        }
        start.Environment["CLOUDSDK_CORE_DISABLE_PROMPTS"] = "1";
        start.Environment["CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK"] = "1";
        var output = new ConcurrentQueue<string>();
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { output.Enqueue(e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { output.Enqueue(e.Data); } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var emulator = new GcloudEmulator(process, output, dataDir, $"127.0.0.1:{port}");
        try
        {
            await emulator.WaitUntilAnsweringAsync(name);
            return emulator;
        }
        catch
        {
            await emulator.DisposeAsync();
            throw;
        }
    }

    private async Task WaitUntilAnsweringAsync(string name)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < StartTimeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException(
                    $"The {name} emulator exited with code {_process.ExitCode} before it answered (is the component installed? {Install}). Its output:\n{Output}");
            }
            try
            {
                using HttpResponseMessage r = await http.GetAsync(new Uri($"http://{HostPort}/"));
                if (r.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"The {name} emulator did not answer on {HostPort} within {StartTimeout.TotalSeconds} s. Its output:\n{Output}");
    }

    /// <summary>Stops the emulator (kills gcloud and everything it started). Safe to call twice.</summary>
    public async Task StopAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await _process.WaitForExitAsync(wait.Token);
        }
        catch (InvalidOperationException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process.Dispose();
        _dataDir.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
