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

    /// <summary>How many ports a start tries: the free port it picks can be taken before the emulator binds it.</summary>
    private const int PortAttempts = 3;

    /// <remarks>
    /// The port is one the kernel called free a moment before, from the range it also hands to outgoing connections, so
    /// another process can take it first (seen in CI: the emulator exited with "java.net.BindException: Address already in
    /// use", and all 77 tests of the fixture failed). Such a start is tried again on another port; any other failure is not.
    /// </remarks>
    private static async Task<GcloudEmulator> StartAsync(string name, Func<int, string, string[]> arguments)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await StartOnceAsync(name, arguments);
            }
            catch (EmulatorPortTakenException) when (attempt < PortAttempts)
            {
            }
        }
    }

    private sealed class EmulatorPortTakenException(string message) : InvalidOperationException(message);

    private static async Task<GcloudEmulator> StartOnceAsync(string name, Func<int, string, string[]> arguments)
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
                _process.WaitForExit(); // and its output read to the end
                if (Output.Contains("Address already in use", StringComparison.Ordinal))
                {
                    throw new EmulatorPortTakenException($"The {name} emulator could not bind {HostPort}: another process took it. Its output:\n{Output}");
                }
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
    /// <remarks>
    /// Its processes are found by their parents in /proc before any is killed, and each is killed: <c>Kill(entireProcessTree)</c>
    /// alone was seen to leave the emulator's JVM running (gcloud's python, then a bash script, then java), orphaned and
    /// still answering on its port, one more with every test that started one.
    /// </remarks>
    public async Task StopAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                List<int> started = DescendantsOf(_process.Id);
                _process.Kill(entireProcessTree: true);
                foreach (int pid in started)
                {
                    KillIfAlive(pid);
                }
            }
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await _process.WaitForExitAsync(wait.Token);
        }
        catch (InvalidOperationException)
        {
        }
    }

    /// <summary>Every process below <paramref name="root"/> (children, their children...), from each process's parent in /proc.</summary>
    private static List<int> DescendantsOf(int root)
    {
        if (!OperatingSystem.IsLinux())
        {
            return [];
        }
        var children = new Dictionary<int, List<int>>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int pid))
            {
                continue;
            }
            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(dir, "stat"));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue; // gone in the meantime
            }
            // "pid (name) state ppid ...": the name may hold spaces and parentheses, so the fields start after the last ')'.
            string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            if (fields.Length > 1 && int.TryParse(fields[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int parent))
            {
                (children.TryGetValue(parent, out List<int>? list) ? list : children[parent] = []).Add(pid);
            }
        }
        var found = new List<int>();
        var next = new Queue<int>([root]);
        while (next.TryDequeue(out int pid))
        {
            foreach (int child in children.GetValueOrDefault(pid) ?? [])
            {
                found.Add(child);
                next.Enqueue(child);
            }
        }
        return found;
    }

    private static void KillIfAlive(int pid)
    {
        try
        {
            using Process p = Process.GetProcessById(pid);
            p.Kill();
            p.WaitForExit(TimeSpan.FromSeconds(10));
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Already gone.
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
