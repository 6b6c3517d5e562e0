using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Cctv.Benchmarks.Uploads;

/// <summary>
/// <c>rclone copy</c> of the set's folder to the test server: the gcs backend, anonymous, the server as its endpoint,
/// uniform bucket-level access (no per-object ACL parameter), <c>--transfers</c> and <c>--checkers</c> equal to the
/// agent's parallelism, everything else at rclone's defaults (<c>--retries 3</c>: the whole copy is run again for files
/// that failed; <c>--low-level-retries 10</c>: per HTTP call, but rclone's GCS upload is not retried at that level).
/// </summary>
internal static class RcloneRun
{
    public const string Remote = "gcsbench";

    public static string WriteConfig(string directory, Uri endpoint)
    {
        string path = Path.Combine(directory, "rclone.conf");
        File.WriteAllText(path, Config(endpoint));
        return path;
    }

    public static string Config(Uri endpoint) => $"""
        [{Remote}]
        type = google cloud storage
        anonymous = true
        endpoint = {endpoint.AbsoluteUri}storage/v1/
        bucket_policy_only = true

        """;

    public static IReadOnlyList<string> Arguments(string source, string configPath, string bucket, string prefix, int parallelism) =>
    [
        "copy", source, $"{Remote}:{bucket}/{prefix}",
        "--config", configPath,
        "--cache-dir", Path.Combine(Path.GetDirectoryName(configPath)!, "rclone-cache"),
        "--transfers", parallelism.ToString(CultureInfo.InvariantCulture),
        "--checkers", parallelism.ToString(CultureInfo.InvariantCulture),
        "--stats", "0",
        "--log-level", "ERROR",
    ];

    public static async Task<(TimeSpan Elapsed, string? Failure, string Note)> UploadAsync(
        UploadBenchmarkOptions options, SegmentSet set, string configPath, string bucket, string prefix, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(options.Rclone)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in Arguments(set.Directory, configPath, bucket, prefix, options.Parallelism))
        {
            start.ArgumentList.Add(arg);
        }
        // Only the command line and the config file above configure it: no RCLONE_* from the caller's environment.
        foreach (string key in start.Environment.Keys.Where(k => k.StartsWith("RCLONE_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(key);
        }
        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        var clock = Stopwatch.StartNew();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.RunTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            return (clock.Elapsed, $"not done after {options.RunTimeout.TotalSeconds:0} s", Summary(output));
        }
        TimeSpan elapsed = clock.Elapsed;
        process.WaitForExit(); // flushes the redirected output
        string note = Summary(output);
        return process.ExitCode == 0
            ? (elapsed, null, note)
            : (elapsed, $"rclone exited with {process.ExitCode}", note);
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (output)
        {
            output.AppendLine(line);
        }
    }

    /// <summary>rclone at ERROR level prints one line per failed attempt of a file; the count and the last line are enough.</summary>
    private static string Summary(StringBuilder output)
    {
        string[] lines;
        lock (output)
        {
            lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        }
        int failedAttempts = lines.Count(l => l.Contains("Failed to copy", StringComparison.Ordinal));
        string last = lines.Length > 0 ? lines[^1] : "";
        return $"{failedAttempts} failed file attempts reported" + (last.Length > 0 ? $"; last line: {(last.Length > 200 ? last[..200] : last)}" : "");
    }
}
