using System.Globalization;

namespace Cctv.Benchmarks.Uploads;

/// <summary>The <c>uploads</c> command's settings; each can be given as <c>--name value</c>.</summary>
internal sealed record UploadBenchmarkOptions
{
    /// <summary>Segments in the set (the issue asks for at least 200).</summary>
    public int Files { get; init; } = 200;

    /// <summary>Uploads at once, for the agent (Upload.Parallelism) and for rclone (--transfers and --checkers).</summary>
    public int Parallelism { get; init; } = 4;

    /// <summary>Probability that an upload request gets an injected fault in the runs with faults.</summary>
    public double FaultRate { get; init; } = 0.10;

    /// <summary>Timed runs per tool and fault setting; the table shows the median.</summary>
    public int Rounds { get; init; } = 3;

    /// <summary>Smallest and largest segment, bytes (drawn uniformly).</summary>
    public int MinBytes { get; init; } = 2_000_000;

    public int MaxBytes { get; init; } = 5_000_000;

    /// <summary>Seed of the segment sizes and bytes and of the fault draws.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>
    /// The agent's resumable chunk (Upload.ChunkBytes). rclone 1.60 has no flag for it and uses the Go client's
    /// 16 MiB default, so 16 MiB here: both send each 2-5 MB segment's bytes in one request.
    /// </summary>
    public int ChunkBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>The agent's first retry delay (Upload.RetryDelay, 5 s in production): short, so that the benchmark measures uploading, not sleeping.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The cap of the agent's background back-off (Upload.MaxBackoff, 30 min in production).</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long one run may take before it counts as failed.</summary>
    public TimeSpan RunTimeout { get; init; } = TimeSpan.FromMinutes(10);

    public string Rclone { get; init; } = "rclone";

    /// <summary>Instead of the comparison: time the agent's upload path piece by piece, to see where its time goes.</summary>
    public bool Breakdown { get; init; }

    public static UploadBenchmarkOptions Parse(IReadOnlyList<string> args)
    {
        var options = new UploadBenchmarkOptions();
        for (int i = 0; i < args.Count; i += 2)
        {
            string key = args[i];
            if (key == "--breakdown")
            {
                options = options with { Breakdown = true };
                i--;
                continue;
            }
            string value = i + 1 < args.Count ? args[i + 1] : throw new ArgumentException($"{key} needs a value.");
            options = key switch
            {
                "--files" => options with { Files = Int(key, value, 1) },
                "--parallelism" => options with { Parallelism = Int(key, value, 1) },
                "--fault-rate" => options with { FaultRate = Rate(key, value) },
                "--rounds" => options with { Rounds = Int(key, value, 1) },
                "--min-bytes" => options with { MinBytes = Int(key, value, 1) },
                "--max-bytes" => options with { MaxBytes = Int(key, value, 1) },
                "--seed" => options with { Seed = Int(key, value, 0) },
                "--chunk-bytes" => options with { ChunkBytes = Int(key, value, 256 * 1024) },
                "--retry-delay-ms" => options with { RetryDelay = TimeSpan.FromMilliseconds(Int(key, value, 0)) },
                "--max-backoff-ms" => options with { MaxBackoff = TimeSpan.FromMilliseconds(Int(key, value, 1)) },
                "--run-timeout-s" => options with { RunTimeout = TimeSpan.FromSeconds(Int(key, value, 1)) },
                "--rclone" => options with { Rclone = value },
                _ => throw new ArgumentException($"Unknown option {key}."),
            };
        }
        if (options.MaxBytes < options.MinBytes)
        {
            throw new ArgumentException($"--max-bytes ({options.MaxBytes}) is below --min-bytes ({options.MinBytes}).");
        }
        if (options.ChunkBytes % (256 * 1024) != 0)
        {
            throw new ArgumentException($"--chunk-bytes must be a multiple of 256 KiB; it is {options.ChunkBytes}.");
        }
        return options;
    }

    private static int Int(string key, string value, int min) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n >= min
            ? n
            : throw new ArgumentException($"{key} must be a whole number >= {min}; it is '{value}'.");

    private static double Rate(string key, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double r) && r is >= 0 and <= 1
            ? r
            : throw new ArgumentException($"{key} must be a probability in [0, 1]; it is '{value}'.");
}
