using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Cctv.EdgeRecorder.Cameras;
using Cctv.EdgeRecorder.Configuration;
using Cctv.Shared.Gcp;
using Cctv.Shared.Gcp.Firestore;
using Cctv.Shared.Gcp.Storage;
using Cctv.Shared.Local;
using Cctv.Shared.Ports;
using Cctv.Testing.Gcs;
using Cctv.TestSupport.Gcp;

namespace Cctv.Benchmarks.EdgeCpu;

/// <summary>
/// <c>edge-cpu</c>: the CPU of the recording side at N cameras (issue 15). Serves N RTSP streams of a 1080p clip that really has
/// the bitrate asked for (<c>--bitrate</c>, 4 Mbit/s as in the issue: <see cref="RtspStreams.ClipAtAsync"/>; <c>--plain-clip</c>
/// serves the plain <c>testsrc</c> clip of the sessions before the fourteenth, asked for 4 Mbit/s but about 1), then, in alternation, (a) N FFmpegs alone with the
/// agent's exact arguments (<see cref="FfmpegArguments.ForRecording"/>) and (b) the real agent (<c>run</c> with a generated
/// configuration, uploading to the embedded backend, or with <c>--backend gcp</c> to the test GCS server and announcing to the
/// Firestore emulator, as a deployed recorder does to the services), each measured
/// over the same window as utime+stime of its process tree from /proc (children included), after a warm-up: the agent's
/// 180 s by default, as its JIT settles only after two minutes or more (dotnet-counters at 16 cameras, 15 s intervals: 0.22 s
/// of compiling in the first minute's last quarter, a burst of 0.24 s at about two minutes, then 0.001 to 0.03 s); FFmpeg's
/// at most 30 s, past the RTSP sessions' start. Prints the cores each used, the ratio, the agent's own share per camera and
/// its peak RSS (VmHWM).
/// <c>--minutes M</c> runs the agent alone for M minutes and prints its CPU per minute (a creep check). <c>--pin</c> keeps the
/// stand-ins for cameras and services off the recording side's cores (<see cref="CpuPinning"/>). <c>--agent-env NAME=VALUE</c>
/// (repeatable) gives the agent a runtime setting on top of the unit's, to measure one before the unit takes it.
/// </summary>
internal static class EdgeCpuCommand
{
    private const string GcsBucket = "bench-edge-staging";
    private const string FirestoreProject = "cctv-edge-bench";

    /// <summary>What the gcp backend sets in the agent's environment (the test GCS server, the Firestore emulator): no <c>--agent-env</c> may.</summary>
    private static readonly string[] StandInVariables = ["STORAGE_EMULATOR_HOST", "FIRESTORE_EMULATOR_HOST"];

    private sealed record Options(int Cameras, int Seconds, int Rounds, int SegmentSeconds, bool Lagging, int? Minutes, bool Uploads, bool LiveTail, bool Gcp, TimeSpan WarmUp,
        long Bitrate, bool PlainClip, bool Pin, IReadOnlyDictionary<string, string> AgentEnvironment, bool Idle)
    {
        /// <summary>FFmpeg alone has no JIT to settle: its warm-up only has to pass the RTSP sessions' start.</summary>
        public TimeSpan FfmpegWarmUp => WarmUp < TimeSpan.FromSeconds(30) ? WarmUp : TimeSpan.FromSeconds(30);
    }

    private sealed record Sample(double TreeCores, double OwnCores, double? PeakRssMb);

    public static async Task<int> RunAsync(string[] args)
    {
        Options o;
        try
        {
            o = Parse(args);
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            Console.Error.WriteLine($"edge-cpu: {e.Message}");
            return 2;
        }
        using var cancel = new StopSignal();
        CpuPinning? pinning = o.Pin ? await CpuPinning.PinStandInsAsync(cancel.Token) : null; // before anything is started
        string clip = o.PlainClip ? await RtspStreams.ClipAsync(cancel.Token) : await RtspStreams.ClipAtAsync(o.Bitrate, cancel.Token);
        await using var streams = new RtspStreams();
        await streams.StartAsync(clip, o.Cameras, cancel.Token);
        // gcp: the services are Google's side, not counted: Cloud Storage is the test GCS server in this process, Firestore
        // the Google Cloud CLI's emulator in its own, started once for every round.
        await using GcloudEmulator? firestore = o.Gcp ? await GcloudEmulator.StartFirestoreAsync() : null;
        string stream = o.PlainClip ? "the plain testsrc clip (asked for 4 Mbit/s, about 1)" : $"{o.Bitrate / 1e6:F1} Mbit/s";
        Console.WriteLine($"edge-cpu: {o.Cameras} cameras of 1080p H.264 at {stream} over RTSP, {o.SegmentSeconds} s segments, " +
            (o.Gcp ? "gcp backend (the test GCS server in the benchmark's process, the Firestore emulator)" : "embedded backend") +
            $", verification {(o.Lagging ? "held back (nothing is verified during the run)" : "keeping up")}" +
            $", live tails {(o.LiveTail ? "on" : "off")}, {Environment.ProcessorCount} cores" + (o.Idle ? "; idle: every camera scheduled off" : "") + (pinning is null ? "" : $"; {pinning}"));
        Console.WriteLine("  the agent runs with the systemd unit's environment: " +
            string.Join(" ", RtspStreams.UnitEnvironment.Value.Select(v => $"{v.Key}={v.Value}"))
            + (o.AgentEnvironment.Count == 0 ? "" : "; and --agent-env " + string.Join(" ", o.AgentEnvironment.Select(v => $"{v.Key}={v.Value}"))));

        if (o.Minutes is { } minutes)
        {
            await CreepAsync(o, streams, firestore?.HostPort, pinning, minutes, cancel.Token);
            return 0;
        }
        var ffmpeg = new List<Sample>();
        var agent = new List<Sample>();
        for (int round = 1; round <= o.Rounds; round++)
        {
            Sample f = await FfmpegAloneAsync(o, streams, pinning, cancel.Token);
            Console.WriteLine($"  round {round}: FFmpeg alone     {f.TreeCores:F3} cores");
            ffmpeg.Add(f);
            Sample a = await AgentAsync(o, streams, firestore?.HostPort, pinning, TimeSpan.FromSeconds(o.Seconds), null, cancel.Token);
            Console.WriteLine($"  round {round}: agent + children {a.TreeCores:F3} cores (agent itself {a.OwnCores:F3}, peak RSS {a.PeakRssMb:F0} MB)");
            agent.Add(a);
        }
        double fCores = ffmpeg.Average(s => s.TreeCores);
        double aCores = agent.Average(s => s.TreeCores);
        double own = agent.Average(s => s.OwnCores);
        double rss = agent.Max(s => s.PeakRssMb ?? 0);
        Console.WriteLine();
        Console.WriteLine("| cameras | FFmpeg alone | agent + its FFmpeg children | ratio | agent's own per camera | agent peak RSS |");
        Console.WriteLine("| --- | --- | --- | --- | --- | --- |");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {o.Cameras} | {fCores:F3} cores | {aCores:F3} cores | {aCores / fCores:F2}x | {own / o.Cameras * 100:F2}% of a core | {rss:F0} MB |"));
        Console.WriteLine($"({o.Rounds} rounds of {o.Seconds} s each, alternated, after warm-ups of {o.FfmpegWarmUp.TotalSeconds:F0} s for FFmpeg alone and {o.WarmUp.TotalSeconds:F0} s for the agent (its JIT settles after two minutes or more); the mean of the rounds, the highest RSS)");
        return 0;
    }

    private static Options Parse(string[] args)
    {
        int cameras = 16, seconds = 90, rounds = 2, segment = 4, warmUp = 180;
        int? minutes = null;
        bool lagging = false, uploads = true, liveTail = true, gcp = false, plainClip = false, pin = false, idle = false;
        long? bitrate = null; // the issue's 4 Mbit/s unless given
        var agentEnvironment = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < args.Length; i++)
        {
            int Next() => i + 1 < args.Length && int.TryParse(args[++i], NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v > 0
                ? v : throw new FormatException($"{args[i]} needs a positive whole number");
            switch (args[i])
            {
                case "--cameras": cameras = Next(); break;
                case "--seconds": seconds = Next(); break;
                case "--rounds": rounds = Next(); break;
                case "--segment-seconds": segment = Next(); break;
                case "--minutes": minutes = Next(); break;
                case "--warm-up": warmUp = Next(); break;
                case "--lagging-verification": lagging = true; break;
                case "--no-uploads": uploads = false; break;
                case "--no-live-tail": liveTail = false; break;
                case "--bitrate": bitrate = RtspStreams.CheckBitrate(Next()); break;
                case "--plain-clip": plainClip = true; break;
                case "--pin": pin = true; break;
                case "--idle": idle = true; break;
                case "--agent-env":
                    (string name, string value) = AgentSetting(i + 1 < args.Length ? args[++i] : throw new ArgumentException("--agent-env needs NAME=VALUE"));
                    agentEnvironment[name] = value;
                    break;
                case "--backend":
                    gcp = i + 1 < args.Length ? args[++i] switch
                    {
                        "local" => false,
                        "gcp" => true,
                        var other => throw new ArgumentException($"--backend {other}: use local or gcp"),
                    } : throw new ArgumentException("--backend needs local or gcp");
                    break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }
        if (plainClip && bitrate is not null)
        {
            throw new ArgumentException("--plain-clip serves the plain clip at whatever rate it came out at: give it or --bitrate, not both");
        }
        if (gcp && agentEnvironment.Keys.FirstOrDefault(StandInVariables.Contains) is { } taken)
        {
            throw new ArgumentException($"--agent-env {taken}: the gcp backend points the agent at the benchmark's stand-ins with it; it cannot be set");
        }
        if (pin && Environment.ProcessorCount < 2)
        {
            throw new ArgumentException($"--pin needs two cores or more (one for the stand-ins); this machine has {Environment.ProcessorCount}");
        }
        if (idle && minutes is null)
        {
            throw new ArgumentException("--idle measures the agent alone, a minute at a time (FFmpeg alone records nothing to compare with): give --minutes");
        }
        return new Options(cameras, seconds, rounds, segment, lagging, minutes, uploads, liveTail, gcp, TimeSpan.FromSeconds(warmUp), bitrate ?? 4_000_000, plainClip, pin,
            agentEnvironment, idle);
    }

    /// <summary>
    /// One <c>--agent-env</c>: a variable name as a shell and systemd's <c>Environment=</c> take it, and a value without
    /// spaces (the unit's lines split at them), so what was measured can be written into the unit as it is.
    /// </summary>
    private static (string Name, string Value) AgentSetting(string setting)
    {
        int equals = setting.IndexOf('=', StringComparison.Ordinal);
        string name = equals < 0 ? setting : setting[..equals];
        string value = equals < 0 ? "" : setting[(equals + 1)..];
        if (name.Length == 0 || !(char.IsAsciiLetter(name[0]) || name[0] == '_') || !name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
        {
            throw new ArgumentException($"--agent-env {setting}: give NAME=VALUE, a name of letters, digits and '_' (e.g. DOTNET_ReadyToRun=0)");
        }
        if (value.Length == 0 || value.Any(char.IsWhiteSpace))
        {
            throw new ArgumentException($"--agent-env {setting}: give a value, without spaces (the unit's Environment= lines split at them)");
        }
        return (name, value);
    }

    private static CameraOptions Camera(RtspStreams streams, int i) =>
        new() { Id = $"cam{i}", Name = $"Camera {i}", Url = streams.UrlOf(i), RtspTransport = "udp" };

    /// <summary>N FFmpegs with the agent's exact arguments, measured over the window after the warm-up.</summary>
    private static async Task<Sample> FfmpegAloneAsync(Options o, RtspStreams streams, CpuPinning? pinning, CancellationToken cancellationToken)
    {
        string dir = Directory.CreateTempSubdirectory("cctv-edge-cpu-ffmpeg-").FullName;
        var processes = new List<Process>();
        try
        {
            for (int i = 1; i <= o.Cameras; i++)
            {
                string runDir = Path.Combine(dir, $"cam{i}");
                Directory.CreateDirectory(runDir);
                string[] arguments = [.. FfmpegArguments.ForRecording(Camera(streams, i), o.SegmentSeconds, runDir)];
                (string file, string[] args) = pinning?.OnRecordingCores("ffmpeg", arguments) ?? ("ffmpeg", arguments);
                Process p = RtspStreams.Start(file, args, redirectStdin: true, redirectStderr: true);
                _ = p.StandardError.BaseStream.CopyToAsync(Stream.Null, cancellationToken); // read, as the agent reads it
                processes.Add(p);
            }
            await Task.Delay(o.FfmpegWarmUp, cancellationToken);
            double before = processes.Sum(p => ProcessCpu.Read(p.Id)?.Self ?? 0);
            var clock = Stopwatch.StartNew();
            await Task.Delay(TimeSpan.FromSeconds(o.Seconds), cancellationToken);
            double after = processes.Sum(p => ProcessCpu.Read(p.Id)?.Self ?? 0);
            double cores = (after - before) / clock.Elapsed.TotalSeconds;
            return new Sample(cores, cores, null);
        }
        finally
        {
            foreach (Process p in processes)
            {
                try
                {
                    await p.StandardInput.WriteAsync('q');
                    await p.StandardInput.FlushAsync(cancellationToken);
                }
                catch (IOException)
                {
                }
            }
            foreach (Process p in processes)
            {
                using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                try
                {
                    await p.WaitForExitAsync(wait.Token);
                }
                catch (OperationCanceledException)
                {
                    p.Kill();
                }
                p.Dispose();
            }
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>The agent (<c>run</c>) on a fresh data directory, measured over the window after the warm-up; then SIGTERM.</summary>
    private static async Task<Sample> AgentAsync(Options o, RtspStreams streams, string? firestore, CpuPinning? pinning, TimeSpan window, Action<int, Sample>? perMinute,
        CancellationToken cancellationToken)
    {
        string dir = Directory.CreateTempSubdirectory("cctv-edge-cpu-agent-").FullName;
        string config = Path.Combine(dir, "config.json");
        // gcp: what a deployed recorder talks to, with the emulators standing for the services: its uploads go to the test
        // GCS server (in this process), its announcements, verification queries and live sessions' reports to Firestore.
        await using GcsTestServer? gcs = o.Gcp ? await GcsTestServer.StartAsync(new GcsTestServerOptions { Buckets = [GcsBucket] }, cancellationToken) : null;
        var recorder = new
        {
            Recorder = new
            {
                // Its own ID each time: on the gcp backend an ID belongs to the installation that claimed it first in the
                // catalog, which every round shares, and a fresh data directory is another installation.
                Id = $"bench-edge-{Path.GetFileName(dir)[^6..].ToLowerInvariant()}",
                DataDir = Path.Combine(dir, "data"),
                Backend = o.Gcp ? "gcp" : "local",
                SegmentSeconds = o.SegmentSeconds,
                CleanupLocal = true,
                AutoUpload = o.Uploads,
                LiveTail = new { Enabled = o.LiveTail },
                Gcp = new { StagingBucket = GcsBucket, ProjectId = FirestoreProject, Catalog = "firestore" },
                // --idle: every camera scheduled off (one-time recordings only, and none asked for), what a site has at night.
                Cameras = Enumerable.Range(1, o.Cameras).Select(i => Camera(streams, i))
                    .Select(c => new { c.Id, c.Name, c.Url, c.RtspTransport, Schedule = new { Mode = o.Idle ? "off" : "continuous" } }).ToList(),
            },
        };
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(recorder), cancellationToken);
        string log = Path.Combine(dir, "agent.log");
        var environment = new Dictionary<string, string>(o.AgentEnvironment, StringComparer.Ordinal);
        if (gcs is not null)
        {
            environment[StandInVariables[0]] = gcs.Endpoint.ToString();
            environment[StandInVariables[1]] = firestore ?? throw new ArgumentNullException(nameof(firestore));
        }
        using Process agent = RtspStreams.StartAgent(config, log, environment, pinning);
        using var verifierStop = new CancellationTokenSource();
        await using CloudSide cloud = await CloudSide.OpenAsync(gcs, firestore, Path.Combine(dir, "data"), cancellationToken);
        Task verifier = o.Lagging ? Task.CompletedTask : CloudVerifier.RunAsync(cloud.Catalog, cloud.Store, cloud.StagingBucket, verifierStop.Token);
        try
        {
            await Task.Delay(o.WarmUp, cancellationToken);
            if (agent.HasExited)
            {
                throw new InvalidOperationException($"the agent exited with {agent.ExitCode}; see {log}");
            }
            (double tree0, double own0) = ProcessCpu.Tree(agent.Id);
            Dictionary<string, double> threads0 = ProcessCpu.ByThreadName(agent.Id);
            Dictionary<string, long> switches0 = ProcessCpu.ContextSwitchesByThreadName(agent.Id);
            var clock = Stopwatch.StartNew();
            if (perMinute is not null)
            {
                (double treeM, double ownM) = (tree0, own0);
                for (int minute = 1; clock.Elapsed < window; minute++)
                {
                    TimeSpan start = clock.Elapsed;
                    await Task.Delay(TimeSpan.FromMinutes(1), cancellationToken);
                    (double t, double w) = ProcessCpu.Tree(agent.Id);
                    double seconds = (clock.Elapsed - start).TotalSeconds;
                    perMinute(minute, new Sample((t - treeM) / seconds, (w - ownM) / seconds, ProcessCpu.PeakRssMb(agent.Id)));
                    (treeM, ownM) = (t, w);
                }
            }
            else
            {
                await Task.Delay(window, cancellationToken);
            }
            (double tree1, double own1) = ProcessCpu.Tree(agent.Id);
            double elapsed = clock.Elapsed.TotalSeconds;
            Dictionary<string, double> threads1 = ProcessCpu.ByThreadName(agent.Id);
            Dictionary<string, long> switches1 = ProcessCpu.ContextSwitchesByThreadName(agent.Id);
            if (ProcessCpu.Read(agent.Id) is { } split)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    agent's own time so far: user {split.User:F1} s, system {split.System:F1} s"));
            }
            Console.WriteLine("    agent's own time by thread (threads alive at the end): " + string.Join(", ", threads1
                .Select(t => (t.Key, Cores: (t.Value - threads0.GetValueOrDefault(t.Key)) / elapsed)).Where(t => t.Cores >= 0.0005)
                .OrderByDescending(t => t.Cores).Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Key} {t.Cores:F4}"))));
            var switched = switches1.Select(t => (t.Key, PerSecond: (t.Value - switches0.GetValueOrDefault(t.Key)) / elapsed)).Where(t => t.PerSecond >= 0.5)
                .OrderByDescending(t => t.PerSecond).ToList();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    agent's context switches a second (threads alive at the end): {switched.Sum(t => t.PerSecond):F0}; ") +
                string.Join(", ", switched.Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Key} {t.PerSecond:F1}"))));
            return new Sample((tree1 - tree0) / elapsed, (own1 - own0) / elapsed, ProcessCpu.PeakRssMb(agent.Id));
        }
        finally
        {
            if (!agent.HasExited)
            {
                await RtspStreams.StopAgentAsync(agent);
            }
            await verifierStop.CancelAsync();
            await verifier;
            Summarise(log);
            if (Environment.GetEnvironmentVariable("EDGE_CPU_KEEP") is null)
            {
                Directory.Delete(dir, recursive: true);
            }
            else
            {
                Console.WriteLine($"  kept {dir}");
            }
        }
    }

    /// <summary>What the agent logged, in one line: how many lines, warnings and errors.</summary>
    private static void Summarise(string log)
    {
        if (!File.Exists(log))
        {
            return;
        }
        string[] lines = File.ReadAllLines(log);
        Console.WriteLine($"    agent log: {lines.Length} lines, {lines.Count(l => l.Contains("warn", StringComparison.OrdinalIgnoreCase))} warnings, " +
            $"{lines.Count(l => l.Contains("fail", StringComparison.OrdinalIgnoreCase) || l.Contains("error", StringComparison.OrdinalIgnoreCase))} with 'fail'/'error'");
    }

    private static async Task CreepAsync(Options o, RtspStreams streams, string? firestore, CpuPinning? pinning, int minutes, CancellationToken cancellationToken)
    {
        // Idle, the agent takes under a thousandth of a core: a fourth decimal says more than 0.001 (/proc counts 10 ms ticks,
        // 0.0002 cores over a minute).
        string f = o.Idle ? "F4" : "F3";
        string Cores(double cores) => cores.ToString(f, CultureInfo.InvariantCulture) + " cores";
        Console.WriteLine("| minute | agent + children | agent itself | peak RSS |");
        Console.WriteLine("| --- | --- | --- | --- |");
        Sample all = await AgentAsync(o, streams, firestore, pinning, TimeSpan.FromMinutes(minutes), (minute, s) =>
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {minute} | {Cores(s.TreeCores)} | {Cores(s.OwnCores)} | {s.PeakRssMb:F0} MB |")),
            cancellationToken);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"over {minutes} minutes: agent + children {Cores(all.TreeCores)}, agent itself {Cores(all.OwnCores)}, peak RSS {all.PeakRssMb:F0} MB"));
    }

    /// <summary>The catalog and store the benchmark's verifier works on: the agent's own embedded ones, or the emulated services.</summary>
    private sealed class CloudSide(ICatalog catalog, IObjectStore store, string stagingBucket, params IDisposable[] owned) : IAsyncDisposable
    {
        public ICatalog Catalog { get; } = catalog;
        public IObjectStore Store { get; } = store;
        public string StagingBucket { get; } = stagingBucket;

        public static async Task<CloudSide> OpenAsync(GcsTestServer? gcs, string? firestore, string dataDir, CancellationToken cancellationToken)
        {
            if (gcs is null)
            {
                var local = new LocalBackend(dataDir, TimeProvider.System);
                return new CloudSide(local.Catalog, local.Store, LocalBackend.StagingBucket);
            }
            GcsObjectStore store = await GcsObjectStore.CreateAsync(new GcsSettings { Endpoint = gcs.Endpoint, Anonymous = true }, cancellationToken);
            GcpEndpoint endpoint = GcloudEmulator.Endpoint(GcpService.Firestore, firestore!);
            var catalog = new FirestoreCatalog(new FirestoreClient(endpoint, FirestoreProject), TimeProvider.System);
            return new CloudSide(catalog, store, GcsBucket, store, endpoint);
        }

        public ValueTask DisposeAsync()
        {
            foreach (IDisposable d in owned)
            {
                d.Dispose();
            }
            return ValueTask.CompletedTask;
        }
    }
}
