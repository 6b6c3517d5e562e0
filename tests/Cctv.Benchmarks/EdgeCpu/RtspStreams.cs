using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Cctv.Benchmarks.EdgeCpu;

/// <summary>
/// The cameras of the benchmark: one pre-encoded 1080p H.264 clip (made once with testsrc and libx264, cached in the temp
/// directory), served as N RTSP streams on 127.0.0.1 the way the demo serves its cameras: one rtsp-server-perl (it serves
/// clients over UDP), and per camera an FFmpeg that publishes the clip in a loop in real time by stream copy (no encoding,
/// so serving costs little next to what is measured). None of these processes is counted: they stand for the cameras.
/// </summary>
internal sealed class RtspStreams : IAsyncDisposable
{
    private readonly List<Process> _processes = [];
    private readonly int _clientPort = FreePort();
    private readonly int _sourcePort = FreePort();

    public int Count { get; private set; }

    public string UrlOf(int camera) => $"rtsp://127.0.0.1:{_clientPort}/cam{camera}";

    /// <summary>The plain clip of the sessions before the fourteenth: 1080p25 H.264 asked for 4 Mbit/s (testsrc comes out at about 1), a keyframe every 2 s, 20 s long; made once.</summary>
    public static Task<string> ClipAsync(CancellationToken cancellationToken) =>
        MakeClipAsync("clip-1080p-4mbit.mp4", "testsrc=size=1920x1080:rate=25", ["-b:v", "4M", "-maxrate", "4M", "-bufsize", "8M"], cancellationToken);

    /// <summary>
    /// A clip that really has the bitrate asked for: testsrc2 with moving grain, which the encoder cannot squeeze below its
    /// cap (a plain testsrc asked for 2 or 4 Mbit/s comes out at about 1 Mbit/s); 1080p25, a keyframe every 2 s; made once per bitrate.
    /// </summary>
    public static Task<string> ClipAtAsync(long bitsPerSecond, CancellationToken cancellationToken)
    {
        CheckBitrate(bitsPerSecond);
        string rate = bitsPerSecond.ToString(CultureInfo.InvariantCulture);
        return MakeClipAsync($"clip-1080p-grain-{rate}bps.mp4", "testsrc2=size=1920x1080:rate=25,noise=alls=16:allf=t+u",
            ["-b:v", rate, "-minrate", rate, "-maxrate", rate, "-bufsize", rate], cancellationToken);
    }

    /// <summary>A <c>--bitrate</c> the clips can be made at: bits per second, 100 kbit/s or more.</summary>
    /// <exception cref="FormatException">When it is below that (a rate given in kbit/s or Mbit/s, most likely).</exception>
    public static long CheckBitrate(long bitsPerSecond) => bitsPerSecond >= 100_000
        ? bitsPerSecond : throw new FormatException($"--bitrate {bitsPerSecond} is bits per second: use 100000 or more");

    private static async Task<string> MakeClipAsync(string name, string source, string[] rateControl, CancellationToken cancellationToken)
    {
        string dir = Path.Combine(Path.GetTempPath(), "cctv-edge-cpu");
        Directory.CreateDirectory(dir);
        string clip = Path.Combine(dir, name);
        if (File.Exists(clip))
        {
            return clip;
        }
        Console.Error.WriteLine($"Making the clip (once): {clip}");
        using Process p = Start("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", source, "-t", "20",
            "-c:v", "libx264", "-preset", "veryfast", .. rateControl, "-g", "50", "-pix_fmt", "yuv420p",
            clip + ".tmp.mp4"]);
        await p.WaitForExitAsync(cancellationToken);
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"ffmpeg could not make the clip (exit {p.ExitCode})");
        }
        File.Move(clip + ".tmp.mp4", clip);
        return clip;
    }

    public async Task StartAsync(string clip, int cameras, CancellationToken cancellationToken)
    {
        // rtsp-server-perl takes its publishers' RTP ports from 20000 up: another run on the same machine (a test, another
        // benchmark) makes every publisher fail with 404. Its --rtp_start_port is undone by its housekeeping, which resets
        // the next port to the module's $RTP_START_PORT whenever no stream is mounted (at start), so the script runs with
        // that variable set to a free block of our own.
        int rtpStart = FreeUdpBlock(4 * cameras + 8);
        string script = (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(':').Select(d => Path.Combine(d, "rtsp-server-perl")).FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("rtsp-server-perl is not on PATH; install it: apt-get install -y rtsp-server-perl");
        _processes.Add(Start("perl", ["-e", $"require RTSP::Server; $RTSP::Server::RTP_START_PORT = {Str(rtpStart)}; do '{script}'; die $@ if $@;", "--",
            "--clientport", Str(_clientPort), "--serverport", Str(_sourcePort),
            "--client_listen_address", "127.0.0.1", "--source_listen_address", "127.0.0.1", "--rtp_start_port", Str(rtpStart)]));
        await WaitForPortAsync(_sourcePort, cancellationToken);
        for (int i = 1; i <= cameras; i++)
        {
            _processes.Add(Start("ffmpeg", ["-hide_banner", "-nostats", "-loglevel", "error", "-re", "-stream_loop", "-1", "-i", clip,
                "-c", "copy", "-f", "rtsp", $"rtsp://127.0.0.1:{_sourcePort}/cam{i}"]));
        }
        Count = cameras;
        await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken); // the publishers announce their streams
        if (_processes.FirstOrDefault(p => p.HasExited) is { } failed)
        {
            throw new InvalidOperationException($"{failed.StartInfo.FileName} exited with {failed.ExitCode} (its error is above): the cameras are not being served");
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (Process p in Enumerable.Reverse(_processes))
        {
            try
            {
                p.Kill(entireProcessTree: true);
                await p.WaitForExitAsync();
            }
            catch (InvalidOperationException)
            {
            }
            p.Dispose();
        }
    }

    /// <summary>
    /// The agent (<c>run --config</c>) as a process of its own, as the systemd unit starts it: the shell execs it, so the
    /// pid is the agent's; its log goes to <paramref name="log"/> as journald would take it; its environment has the unit's
    /// <c>Environment=</c> settings (<see cref="UnitEnvironment"/>: the GC's budget among them), then <paramref name="environment"/>.
    /// </summary>
    public static Process StartAgent(string config, string log, IReadOnlyDictionary<string, string>? environment = null, CpuPinning? pinning = null)
    {
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        string agentDll = Path.Combine(AppContext.BaseDirectory, "Cctv.EdgeRecorder.dll");
        string onCores = pinning is null ? "" : $"taskset -c {pinning.RecordingCpus} "; // taskset execs too: the pid stays the agent's
        foreach (string a in (string[])["-c", $"exec {onCores}dotnet '{agentDll}' run --config '{config}' >> '{log}' 2>&1"])
        {
            start.ArgumentList.Add(a);
        }
        foreach ((string name, string value) in UnitEnvironment.Value.Concat(environment ?? new Dictionary<string, string>()))
        {
            start.Environment[name] = value;
        }
        return Process.Start(start) ?? throw new InvalidOperationException("the agent did not start");
    }

    /// <summary>
    /// The variables the deployed unit (edge-recorder/deploy/cctv-edge.service) sets with <c>Environment=</c>, read from the
    /// repository this benchmark was built from: the agent measured is the agent as installed, not as a bare <c>dotnet</c> runs it.
    /// </summary>
    public static readonly Lazy<IReadOnlyDictionary<string, string>> UnitEnvironment = new(() => ReadUnitEnvironment());

    private static Dictionary<string, string> ReadUnitEnvironment()
    {
        DirectoryInfo? root = new(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "CctvServerless.sln")))
        {
            root = root.Parent;
        }
        string unit = root is null
            ? throw new InvalidOperationException($"edge-cpu: no CctvServerless.sln above {AppContext.BaseDirectory}, so no systemd unit to start the agent as")
            : Path.Combine(root.FullName, "edge-recorder", "deploy", "cctv-edge.service");
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in File.ReadLines(unit).Select(l => l.Trim()).Where(l => l.StartsWith("Environment=", StringComparison.Ordinal)))
        {
            foreach (string assignment in line["Environment=".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                int equals = assignment.IndexOf('=', StringComparison.Ordinal);
                if (equals > 0)
                {
                    variables[assignment[..equals]] = assignment[(equals + 1)..];
                }
            }
        }
        return variables;
    }

    /// <summary>Stops the agent as an operator does (SIGTERM), and kills its tree if it is still running a minute later.</summary>
    public static async Task StopAgentAsync(Process agent)
    {
        using (Process term = Start("kill", ["-TERM", agent.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await term.WaitForExitAsync(CancellationToken.None);
        }
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await agent.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            agent.Kill(entireProcessTree: true);
        }
    }

    public static Process Start(string file, IEnumerable<string> args, bool redirectStdin = false, bool redirectStderr = false, bool redirectStdout = false)
    {
        var psi = new ProcessStartInfo(file)
        {
            UseShellExecute = false, RedirectStandardInput = redirectStdin, RedirectStandardError = redirectStderr, RedirectStandardOutput = redirectStdout,
        };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        try
        {
            return Process.Start(psi) ?? throw new InvalidOperationException($"{file} did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"{file} could not be started ({e.Message}); install it: apt-get install -y ffmpeg rtsp-server-perl", e);
        }
    }

    private static string Str(int port) => port.ToString(CultureInfo.InvariantCulture);

    /// <summary>The first of <paramref name="count"/> consecutive UDP ports on 127.0.0.1, even, all free when looked at.</summary>
    private static int FreeUdpBlock(int count)
    {
        for (int attempt = 0; attempt < 50; attempt++)
        {
            int start = 30000 + (2 * Random.Shared.Next(0, 12000));
            var held = new List<UdpClient>();
            try
            {
                for (int port = start; port < start + count; port++)
                {
                    held.Add(new UdpClient(new IPEndPoint(IPAddress.Loopback, port)));
                }
                return start;
            }
            catch (SocketException)
            {
            }
            finally
            {
                held.ForEach(u => u.Dispose());
            }
        }
        throw new InvalidOperationException($"no block of {count} free UDP ports found for rtsp-server-perl");
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static async Task WaitForPortAsync(int port, CancellationToken cancellationToken)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            try
            {
                using var c = new TcpClient();
                await c.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100, cancellationToken);
            }
        }
    }
}
