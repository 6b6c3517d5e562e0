using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Cctv.Benchmarks.EdgeCpu;
using Cctv.Benchmarks.Uploads;
using Cctv.Testing.Gcs;

namespace Cctv.Benchmarks.FootageAtRisk;

/// <summary>
/// <c>footage-at-risk</c> (issue 12): how much footage a recorder destroyed at a random instant would take with it, with
/// live tails on and off, at N cameras, and what live tails cost in requests. See <see cref="Help"/>.
/// </summary>
internal static class FootageAtRiskCommand
{
    private const string Bucket = "cctv-staging";
    private const string RecorderId = "bench-site";
    private static readonly TimeSpan SampleEvery = TimeSpan.FromMilliseconds(250);

    public const string Help = """
        footage-at-risk [--cameras 4,16] [--seconds 120] [--segment-seconds 60] [--bitrate 2000000]   (needs ffmpeg, rtsp-server-perl)

        For each camera count: serves N RTSP cameras (one 1080p25 H.264 clip at --bitrate, a keyframe every 2 s, published in a
        loop by stream copy), then runs the agent twice as its own process (`run`, gcp backend, Catalog none, default upload
        settings) against the in-process test GCS server: once with Recorder:LiveTail:Enabled true (FlushInterval 2 s, the
        default), once false. Each run: one segment length of warm-up, then --seconds measured, then SIGTERM.

        Footage at risk is measured from outside the agent (not from its outbox or its status): every 250 ms the benchmark
        (1) stats each camera's newest spool file (the segment FFmpeg has open) and appends (time, object name, size) to that
        camera's timeline (the object name is the staging name the recording ID fixes: incoming/RECORDER/CAMERA/ID.mp4), and
        (2) for each camera takes t - c, where c is the latest sampled time whose segment the bucket holds up to at least the
        size it had at c (GcsTestServer.HeldBytes: a completed object's size, or an open session's persisted bytes).
        That is what a recorder destroyed at t would lose, counted from when the bytes were on disk. Pooled over cameras and
        samples of the measured window: p50, p99, max.
        Not included: FFmpeg's part before the bytes reach the file (the open fragment, at most 0.25 s, plus ~0.07 s, docs/live-tail.md),
        so true capture-to-durable is up to ~0.57 s more; the 250 ms sampling adds up to 0.25 s either way.
        Requests per camera-hour: the server's counters over the measured window / cameras / hours. Session starts =
        resumable initiations; finishes = sessions completed (their last chunk); chunks = the other session PUTs with data;
        other = everything else (status queries before a finish or a resume, simple uploads such as evidence manifests,
        metadata). Objects per camera-hour: object generations committed in the window (segments and manifests).
        """;

    private sealed record Options(int[] Cameras, int Seconds, int SegmentSeconds, long Bitrate);

    private sealed record Row(int Cameras, bool Live, double P50, double P99, double Max, double Requests, double Starts, double Chunks,
        double Finishes, double Other, double Objects, string OtherDetail, double MeasuredMbps, int Warnings, int Samples, int Over5);

    /// <summary>One camera's spool timeline: per sample, the open segment's object name and size.</summary>
    private sealed class Timeline
    {
        public List<(double At, string Object, long Size)> Samples { get; } = [];
    }

    public static async Task<int> RunAsync(string[] args)
    {
        Options o;
        try
        {
            if (args is ["--help"] or ["-h"])
            {
                Console.WriteLine(Help);
                return 0;
            }
            o = Parse(args);
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            Console.Error.WriteLine($"footage-at-risk: {e.Message}\n\n{Help}");
            return 2;
        }
        using var cancel = new StopSignal();
        string clip = await RtspStreams.ClipAtAsync(o.Bitrate, cancel.Token);
        Console.WriteLine($"footage-at-risk: cameras {string.Join(",", o.Cameras)}, {o.SegmentSeconds} s segments, {o.Seconds} s measured after a " +
            $"{o.SegmentSeconds} s warm-up, clip at {o.Bitrate / 1e6:F1} Mbit/s; {Environment.ProcessorCount} cores, {MachineInfo.CpuModel()}, load {MachineInfo.LoadAverage()}");
        var rows = new List<Row>();
        foreach (int cameras in o.Cameras)
        {
            await using var streams = new RtspStreams();
            await streams.StartAsync(clip, cameras, cancel.Token);
            foreach (bool live in (bool[])[true, false])
            {
                Row row = await RunOnceAsync(o, streams, cameras, live, cancel.Token);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {cameras} cameras, live tails {(live ? "on" : "off")}: p50 {row.P50:F2} s, p99 {row.P99:F2} s, max {row.Max:F2} s over {row.Samples} samples ({row.Over5} over 5 s); " +
                    $"{row.MeasuredMbps:F2} Mbit/s per camera on disk; other requests: {row.OtherDetail}; agent log warnings (clock ones aside) {row.Warnings}; load {MachineInfo.LoadAverage()}"));
                rows.Add(row);
            }
        }
        Console.WriteLine();
        Console.WriteLine("| cameras | live tails | footage at risk p50 | p99 | max | requests per camera-hour | session starts | chunks | finishes | other | objects per camera-hour |");
        Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (Row r in rows)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Cameras} | {(r.Live ? "on" : "off")} | {r.P50:F2} s | {r.P99:F2} s | {r.Max:F2} s | {r.Requests:F0} | {r.Starts:F0} | {r.Chunks:F0} | {r.Finishes:F0} | {r.Other:F0} | {r.Objects:F0} |"));
        }
        Console.WriteLine($"({o.Seconds} s measured per row after a {o.SegmentSeconds} s warm-up, {o.SegmentSeconds} s segments, samples every 250 ms; " +
            $"{Environment.ProcessorCount} cores, {MachineInfo.CpuModel()}, load at the end {MachineInfo.LoadAverage()})");
        return 0;
    }

    private static Options Parse(string[] args)
    {
        int[] cameras = [4, 16];
        int seconds = 120, segment = 60;
        long bitrate = 2_000_000;
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new FormatException($"{args[i]} needs a value");
            long Positive(string v, string name) => long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out long n) && n > 0
                ? n : throw new FormatException($"{name} needs a positive whole number, not '{v}'");
            switch (args[i])
            {
                case "--cameras":
                    cameras = Value().Split(',').Select(v => checked((int)Positive(v.Trim(), "--cameras"))).ToArray();
                    break;
                case "--seconds": seconds = checked((int)Positive(Value(), "--seconds")); break;
                case "--segment-seconds": segment = checked((int)Positive(Value(), "--segment-seconds")); break;
                case "--bitrate": bitrate = RtspStreams.CheckBitrate(Positive(Value(), "--bitrate")); break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }
        return new Options(cameras, seconds, segment, bitrate);
    }

    private static async Task<Row> RunOnceAsync(Options o, RtspStreams streams, int cameras, bool live, CancellationToken cancellationToken)
    {
        string dir = Directory.CreateTempSubdirectory("cctv-footage-at-risk-").FullName;
        string dataDir = Path.Combine(dir, "data");
        string log = Path.Combine(dir, "agent.log");
        await using GcsTestServer server = await GcsTestServer.StartAsync(new GcsTestServerOptions { Buckets = [Bucket] }, cancellationToken);
        string config = Path.Combine(dir, "recorder.json");
        var recorder = new
        {
            Recorder = new
            {
                Id = RecorderId,
                DataDir = dataDir,
                Backend = "gcp",
                SegmentSeconds = o.SegmentSeconds,
                Cameras = Enumerable.Range(1, cameras).Select(i => new { Id = $"cam{i}", Name = $"cam{i}", Url = streams.UrlOf(i), RtspTransport = "udp" }).ToArray(),
                LiveTail = new { Enabled = live },
                Gcp = new { StagingBucket = Bucket, Catalog = "none" },
            },
        };
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(recorder), cancellationToken);

        using Process agent = RtspStreams.StartAgent(config, log, new Dictionary<string, string>
        {
            ["STORAGE_EMULATOR_HOST"] = server.Endpoint.ToString(),
            ["CCTV_LOG_LEVEL"] = "Warning",
        });

        var timelines = Enumerable.Range(1, cameras).ToDictionary(i => $"cam{i}", _ => new Timeline());
        var atRisk = new List<double>();
        var clock = Stopwatch.StartNew();
        double warmUp = o.SegmentSeconds, end = o.SegmentSeconds + o.Seconds;
        GcsServerCounters? before = null;
        bool done = false;
        try
        {
            using var timer = new PeriodicTimer(SampleEvery);
            while (clock.Elapsed.TotalSeconds < end && await timer.WaitForNextTickAsync(cancellationToken))
            {
                if (agent.HasExited)
                {
                    throw new InvalidOperationException($"the agent exited with {agent.ExitCode}; see {log}");
                }
                double now = clock.Elapsed.TotalSeconds;
                bool measuring = now >= warmUp;
                if (measuring && before is null)
                {
                    before = server.Counters;
                }
                foreach ((string camera, Timeline timeline) in timelines)
                {
                    if (OpenSegment(dataDir, camera) is { } open)
                    {
                        timeline.Samples.Add((now, open.Object, open.Size));
                    }
                    if (measuring && AtRisk(server, timeline, now) is { } seconds)
                    {
                        atRisk.Add(seconds);
                    }
                }
            }
            if (atRisk.Count == 0 || timelines.Values.Any(t => !t.Samples.Exists(s => s.Size > 0)))
            {
                throw new InvalidOperationException($"not every camera recorded anything (cameras with bytes: {timelines.Count(t => t.Value.Samples.Exists(s => s.Size > 0))} of {cameras}); see {log}");
            }
            GcsServerCounters after = server.Counters;
            before ??= after;
            double measured = clock.Elapsed.TotalSeconds - warmUp;
            double cameraHours = cameras * measured / 3600;
            long Delta(GcsRequestKinds kind) => after.RequestsByKind[kind] - before.RequestsByKind[kind];
            long requests = after.Requests - before.Requests;
            long starts = Delta(GcsRequestKinds.ResumableInitiation);
            long finishes = after.SessionsCompleted - before.SessionsCompleted;
            long chunks = Delta(GcsRequestKinds.ResumableChunk) - finishes;
            long other = requests - starts - chunks - finishes;
            string otherDetail = string.Create(CultureInfo.InvariantCulture,
                $"status queries {Delta(GcsRequestKinds.ResumableStatusQuery) / cameraHours:F0}, simple uploads {Delta(GcsRequestKinds.SimpleUpload) / cameraHours:F0}, " +
                $"metadata {Delta(GcsRequestKinds.Metadata) / cameraHours:F0}, downloads {Delta(GcsRequestKinds.Download) / cameraHours:F0} per camera-hour");
            atRisk.Sort();
            double mbps = timelines.Values.Average(t => BitsPerSecond(t, warmUp)) / 1e6;
            done = true;
            return new Row(cameras, live, Percentile(atRisk, 0.50), Percentile(atRisk, 0.99), atRisk.Count == 0 ? double.NaN : atRisk[^1],
                requests / cameraHours, starts / cameraHours, chunks / cameraHours, finishes / cameraHours, other / cameraHours,
                (after.ObjectsCommitted - before.ObjectsCommitted) / cameraHours, otherDetail, mbps, 0, atRisk.Count, atRisk.Count(v => v > 5)) with
            { Warnings = await StopAsync(agent, log) };
        }
        finally
        {
            if (!agent.HasExited)
            {
                agent.Kill(entireProcessTree: true);
                await agent.WaitForExitAsync(CancellationToken.None);
            }
            if (done && Environment.GetEnvironmentVariable("FOOTAGE_AT_RISK_KEEP") is null)
            {
                Directory.Delete(dir, recursive: true);
            }
            else
            {
                Console.WriteLine($"  kept {dir}");
            }
        }
    }

    /// <summary>
    /// Now minus the latest sampled time whose open segment the bucket holds up to at least the size sampled then; when
    /// the bucket holds nothing of this camera yet, now minus its first sample with bytes. Null before any bytes.
    /// </summary>
    private static double? AtRisk(GcsTestServer server, Timeline timeline, double now)
    {
        var held = new Dictionary<string, long>(StringComparer.Ordinal);
        List<(double At, string Object, long Size)> samples = timeline.Samples;
        for (int i = samples.Count - 1; i >= 0; i--)
        {
            (double at, string name, long size) = samples[i];
            if (size == 0)
            {
                continue; // an empty file holds no footage yet: it is no capture point
            }
            if (!held.TryGetValue(name, out long bytes))
            {
                held[name] = bytes = server.HeldBytes(Bucket, name);
            }
            if (bytes >= size)
            {
                return now - at;
            }
        }
        int first = samples.FindIndex(s => s.Size > 0);
        return first < 0 ? null : now - samples[first].At;
    }

    /// <summary>The camera's open segment: the newest <c>seg_*.mp4</c> of its newest run, as its staging object name and its size now.</summary>
    private static (string Object, long Size)? OpenSegment(string dataDir, string camera)
    {
        string cameraDir = Path.Combine(dataDir, "spool", camera);
        if (!Directory.Exists(cameraDir))
        {
            return null;
        }
        long run = -1;
        foreach (string d in Directory.EnumerateDirectories(cameraDir))
        {
            if (long.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out long r) && r > run)
            {
                run = r;
            }
        }
        if (run < 0)
        {
            return null;
        }
        string runDir = Path.Combine(cameraDir, run.ToString("D6", CultureInfo.InvariantCulture));
        long seq = -1;
        string? path = null;
        foreach (string f in Directory.EnumerateFiles(runDir, "seg_*.mp4"))
        {
            string stem = Path.GetFileNameWithoutExtension(f)["seg_".Length..];
            if (long.TryParse(stem, NumberStyles.None, CultureInfo.InvariantCulture, out long s) && s > seq)
            {
                (seq, path) = (s, f);
            }
        }
        if (path is null)
        {
            return null;
        }
        try
        {
            long size = new FileInfo(path).Length;
            string id = Cctv.Shared.Domain.RecordingId.For(RecorderId, camera, run, seq);
            return (Cctv.Shared.Domain.ObjectNames.Staging(RecorderId, camera, id), size);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    /// <summary>What the camera wrote to disk per second over the measured window (from its timeline: each segment's last size seen).</summary>
    private static double BitsPerSecond(Timeline timeline, double from)
    {
        var window = timeline.Samples.Where(s => s.At >= from).ToList();
        if (window.Count < 2)
        {
            return 0;
        }
        long bytes = 0;
        foreach (var segment in window.GroupBy(s => s.Object))
        {
            bytes += segment.Max(s => s.Size) - (segment.Key == window[0].Object ? window[0].Size : 0);
        }
        return bytes * 8 / (window[^1].At - window[0].At);
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    /// <summary>SIGTERM, as an operator stops it; its log's warnings are counted (an odd row should say why).</summary>
    private static async Task<int> StopAsync(Process agent, string log)
    {
        await RtspStreams.StopAgentAsync(agent);
        if (!File.Exists(log))
        {
            return 0;
        }
        string[] lines = await File.ReadAllLinesAsync(log, CancellationToken.None);
        // This machine's clock is not synchronised, which the agent says once per camera: not about uploads.
        var warnings = lines.Where(l => (l.Contains("warn", StringComparison.OrdinalIgnoreCase) || l.Contains("fail", StringComparison.OrdinalIgnoreCase))
            && !l.Contains("clock is not synchronised", StringComparison.Ordinal)).ToList();
        foreach (string line in warnings.Take(10))
        {
            Console.WriteLine($"    agent log: {(line.Length > 300 ? line[..300] : line)}");
        }
        return warnings.Count;
    }
}
