using System.Globalization;
using Cctv.Shared.Gcp.Storage;
using Cctv.Testing.Gcs;

namespace Cctv.Benchmarks.Uploads;

/// <summary>
/// <c>uploads</c>: the same segment set to the test GCS server over loopback, by the agent and by <c>rclone copy</c>
/// in alternation (which goes first swaps every round), without and with injected faults, each run into a fresh
/// prefix. After each run every object must be there with its CRC32C; a run that loses or corrupts anything is a
/// failure, not a number. Prints one line per run and a Markdown table of medians.
/// </summary>
internal static class UploadCommand
{
    private const string Bucket = "bench";
    private const string Agent = "agent";
    private const string Rclone = "rclone";

    public static async Task<int> RunAsync(string[] args)
    {
        UploadBenchmarkOptions options;
        try
        {
            options = UploadBenchmarkOptions.Parse(args);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }
        using var stop = new StopSignal();
        CancellationToken ct = stop.Token;

        string rcloneVersion = await MachineInfo.RcloneVersionAsync(options.Rclone);
        Console.WriteLine($"date: {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC");
        Console.WriteLine($"machine: {MachineInfo.Describe(rcloneVersion)}");
        Console.WriteLine($"load average at start: {MachineInfo.LoadAverage()}");

        using SegmentSet set = await SegmentSet.CreateAsync(options.Files, options.MinBytes, options.MaxBytes, options.Seed, ct);
        Console.WriteLine($"segments: {set.Files.Count} files, {set.TotalBytes / 1e6:0.0} MB ({options.MinBytes / 1e6:0.#}-{options.MaxBytes / 1e6:0.#} MB each, seed {options.Seed}) in {set.Directory}");

        await using GcsTestServer server = await GcsTestServer.StartAsync(new GcsTestServerOptions { Buckets = [Bucket] }, ct);
        string work = Path.Combine(Path.GetDirectoryName(set.Directory)!, "work");
        Directory.CreateDirectory(work);
        string rcloneConfig = RcloneRun.WriteConfig(work, server.Endpoint);
        using GcsObjectStore cleaner = await GcsObjectStore.CreateAsync(new GcsSettings { Endpoint = server.Endpoint, Anonymous = true }, ct);
        GcsFaultOptions faultPlan = FaultPlan(options);

        Console.WriteLine($"agent: Uploader + GcsObjectStore, Parallelism {options.Parallelism}, ChunkBytes {options.ChunkBytes}, RetryAttempts 3, " +
            $"RetryDelay {options.RetryDelay.TotalMilliseconds:0} ms, MaxBackoff {options.MaxBackoff.TotalSeconds:0.#} s, RequestTimeout 60 s (default)");
        Console.WriteLine($"rclone: {options.Rclone} {string.Join(' ', RcloneRun.Arguments(set.Directory, rcloneConfig, Bucket, "PREFIX", options.Parallelism))}");
        Console.WriteLine(RcloneRun.Config(server.Endpoint).TrimEnd().Replace("\n", "\n    ", StringComparison.Ordinal).Insert(0, "    "));
        Console.WriteLine($"faults: rate {faultPlan.Rate:0.##} of upload requests (resumable initiations, chunks, status queries; multipart uploads), " +
            $"seed {faultPlan.Seed}, weights {string.Join(", ", faultPlan.Weights!.Select(w => $"{w.Key} {w.Value}"))}, " +
            $"stalls {faultPlan.StallDuration.TotalSeconds:0} s then 503, 429 with Retry-After {faultPlan.RetryAfter?.TotalSeconds:0} s");

        int runs = 0;
        async Task<RunResult> RunOnceAsync(string tool, SegmentSet files, bool faults, int round, Breakdown.Variant? variant = null, bool verify = true)
        {
            string prefix = $"run{++runs:D3}-{(variant is null ? tool : "piece")}-r{round}-{(faults ? "faults" : "clean")}";
            GcsServerCounters before = server.Counters;
            server.Faults = faults ? faultPlan : GcsFaultOptions.None;
            TimeSpan elapsed;
            string? failure;
            string note;
            try
            {
                (elapsed, failure, note) = variant is not null ? await variant(files, prefix, ct)
                    : tool == Agent ? await AgentRun.UploadAsync(options, files, server.Endpoint, Bucket, prefix, Path.Combine(work, prefix), ct)
                    : await RcloneRun.UploadAsync(options, files, rcloneConfig, Bucket, prefix, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                (elapsed, failure, note) = (TimeSpan.Zero, $"{e.GetType().Name}: {e.Message}", "");
            }
            finally
            {
                server.Faults = GcsFaultOptions.None;
            }
            GcsServerCounters after = server.Counters;
            if (verify)
            {
                failure ??= Verify(server, files, prefix);
            }
            await DeleteAsync(server, cleaner, prefix, ct);
            TryDelete(Path.Combine(work, prefix));
            var byKind = after.FaultsInjected.ToDictionary(k => k.Key.ToString(), k => k.Value - before.FaultsInjected[k.Key]);
            var result = new RunResult(tool, faults, round, files.Files.Count, files.TotalBytes, elapsed,
                after.Requests - before.Requests, after.TotalFaults - before.TotalFaults, byKind, failure, note);
            Console.WriteLine(Line(result));
            return result;
        }

        // Warm-up, not counted: the agent's code is JIT-compiled and its connections opened, as in a running agent.
        using (SegmentSet warm = set.Take(Math.Min(8, set.Files.Count), Path.Combine(work, "warmup")))
        {
            await RunOnceAsync(Agent, warm, faults: false, round: 0);
            await RunOnceAsync(Rclone, warm, faults: false, round: 0);
        }

        var results = new List<RunResult>();
        if (options.Breakdown)
        {
            Console.WriteLine(await Breakdown.SqliteBusyProbeAsync(work));
            var pieces = Breakdown.Variants(options, server.Endpoint, Bucket, work);
            for (int round = 1; round <= options.Rounds; round++)
            {
                foreach ((string name, bool stores, Breakdown.Variant run) in pieces)
                {
                    results.Add(await RunOnceAsync(name, set, faults: false, round, run, verify: stores));
                }
            }
            Console.WriteLine();
            Console.WriteLine("| piece (no faults) | median s | MB/s |");
            Console.WriteLine("| --- | ---: | ---: |");
            foreach ((string name, _, _) in pieces)
            {
                double seconds = Median(results.Where(r => r.Tool == name).Select(r => r.Elapsed.TotalSeconds));
                Console.WriteLine($"| {name} | {seconds:0.00} | {set.TotalBytes / 1e6 / seconds:0.0} |");
            }
            return results.All(r => r.Ok) ? 0 : 1;
        }

        for (int round = 1; round <= options.Rounds; round++)
        {
            foreach (bool faults in new[] { false, true })
            {
                string[] order = round % 2 == 1 ? [Agent, Rclone] : [Rclone, Agent];
                foreach (string tool in order)
                {
                    results.Add(await RunOnceAsync(tool, set, faults, round));
                }
            }
        }

        Console.WriteLine();
        Console.WriteLine($"load average at end: {MachineInfo.LoadAverage()}");
        Console.WriteLine();
        Console.WriteLine(Table(results, set, options.FaultRate));
        return results.All(r => r.Ok) ? 0 : 1;
    }

    /// <summary>A realistic mix: server errors, throttling, broken connections, short accepts, lost answers, and a few short stalls.</summary>
    private static GcsFaultOptions FaultPlan(UploadBenchmarkOptions options) => new()
    {
        Rate = options.FaultRate,
        Seed = options.Seed,
        AppliesTo = GcsRequestKinds.AnyUpload,
        Weights = new Dictionary<GcsFaultKind, double>
        {
            [GcsFaultKind.Http500] = 1,
            [GcsFaultKind.Http503] = 1,
            [GcsFaultKind.Http429] = 1,
            [GcsFaultKind.ResetMidChunk] = 1,
            [GcsFaultKind.PartialAccept] = 1,
            [GcsFaultKind.DropResponse] = 1,
            [GcsFaultKind.Stall] = 0.5,
        },
        StallDuration = TimeSpan.FromSeconds(2),
        RetryAfter = TimeSpan.FromSeconds(1),
    };

    private static string? Verify(GcsTestServer server, SegmentSet set, string prefix)
    {
        int missing = 0, corrupt = 0;
        string? first = null;
        foreach (SegmentFile file in set.Files)
        {
            TestObject? stored = server.Find(Bucket, $"{prefix}/{file.Name}");
            if (stored is null)
            {
                missing++;
                first ??= $"{file.Name} missing";
            }
            else if (stored.Crc32C != file.Digest.Crc32CBase64 || stored.Size != file.Size)
            {
                corrupt++;
                first ??= $"{file.Name} stored with CRC32C {stored.Crc32C} and {stored.Size} bytes, not {file.Digest.Crc32CBase64} and {file.Size}";
            }
        }
        return missing + corrupt == 0 ? null : $"{missing} missing, {corrupt} corrupt (first: {first})";
    }

    private static async Task DeleteAsync(GcsTestServer server, GcsObjectStore store, string prefix, CancellationToken ct)
    {
        // The server keeps objects in memory: each run's objects go before the next run.
        foreach (TestObject o in server.Objects(Bucket).Where(o => o.Name.StartsWith(prefix + "/", StringComparison.Ordinal)))
        {
            await store.DeleteAsync(Bucket, o.Name, null, ct);
        }
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    private static void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (IOException)
        {
        }
    }

    private static string Line(RunResult r) =>
        $"{(r.Round == 0 ? "warm-up" : $"round {r.Round}"),-8} {r.Tool,-6} {(r.Faults ? "faults" : "clean"),-6} {r.Files} files " +
        (r.Elapsed > TimeSpan.Zero ? $"{r.Elapsed.TotalSeconds,7:0.00} s {r.MegabytesPerSecond,7:0.0} MB/s  " : "      - s       - MB/s  ") +
        $"{r.Requests} requests, {r.FaultsInjected} faults" +
        (r.FaultsInjected > 0 ? $" ({string.Join(", ", r.FaultsByKind.Where(k => k.Value > 0).Select(k => $"{k.Key} {k.Value}"))})" : "") +
        (r.Note.Length > 0 ? $"; {r.Note}" : "") +
        (r.Ok ? "" : $"  FAILED: {r.Failure}");

    private static string Table(IReadOnlyList<RunResult> results, SegmentSet set, double faultRate)
    {
        var rows = new List<string>
        {
            "| tool | faults | files | MB | runs ok | median s | MB/s | agent/rclone (throughput) | faults injected (median) |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        };
        foreach (bool faults in new[] { false, true })
        {
            double? agentRate = MedianRate(results, Agent, faults);
            double? rcloneRate = MedianRate(results, Rclone, faults);
            foreach (string tool in new[] { Agent, Rclone })
            {
                List<RunResult> runs = results.Where(r => r.Tool == tool && r.Faults == faults).ToList();
                List<RunResult> ok = runs.Where(r => r.Ok).ToList();
                double? seconds = ok.Count > 0 ? Median(ok.Select(r => r.Elapsed.TotalSeconds)) : null;
                string ratio = tool == Agent && agentRate is { } a && rcloneRate is { } b ? (a / b).ToString("0.00", CultureInfo.InvariantCulture) : "";
                rows.Add($"| {tool} | {(faults ? $"{faultRate * 100:0.#} % of upload requests" : "none")} | {set.Files.Count} | {set.TotalBytes / 1e6:0} | {ok.Count}/{runs.Count} | " +
                    $"{(seconds is { } s ? s.ToString("0.00", CultureInfo.InvariantCulture) : "failed")} | " +
                    $"{(seconds is { } s2 ? (set.TotalBytes / 1e6 / s2).ToString("0.0", CultureInfo.InvariantCulture) : "")} | {ratio} | " +
                    $"{(runs.Count > 0 ? Median(runs.Select(r => (double)r.FaultsInjected)).ToString("0", CultureInfo.InvariantCulture) : "")} |");
            }
        }
        return string.Join(Environment.NewLine, rows);
    }

    private static double? MedianRate(IReadOnlyList<RunResult> results, string tool, bool faults)
    {
        List<RunResult> ok = results.Where(r => r.Tool == tool && r.Faults == faults && r.Ok).ToList();
        return ok.Count > 0 ? ok[0].Bytes / 1e6 / Median(ok.Select(r => r.Elapsed.TotalSeconds)) : null;
    }

    private static double Median(IEnumerable<double> values)
    {
        double[] sorted = values.Order().ToArray();
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
