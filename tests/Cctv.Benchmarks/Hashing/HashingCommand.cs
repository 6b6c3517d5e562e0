using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Cctv.Benchmarks.Uploads;
using Cctv.Shared.Hashing;

namespace Cctv.Benchmarks.Hashing;

/// <summary>
/// <c>hashing</c>: BenchmarkDotNet over <see cref="HashingBenchmarks"/>, with a GB/s column, and <c>openssl speed</c>'s
/// SHA-256 run just before and just after, then one table side by side: the one-pass hasher, SHA-256, CRC32C and MD5
/// alone, openssl, and the ratios. On a shared machine the load moves between those minutes, so the ratio the issue
/// asks about (the hasher at least 0.9x openssl) is also measured interleaved: rounds of openssl, the hasher and SHA-256
/// alone one second each, a ratio per round, the median of the rounds. <c>hashing --interleaved-only</c> runs just that.
/// </summary>
internal static class HashingCommand
{
    private const int Rounds = 9;
    private const int InterleavedBytes = 4 * 1024 * 1024;

    public static async Task<int> RunAsync(string[] args)
    {
        Console.WriteLine($"{Environment.ProcessorCount} cores, {MachineInfo.CpuModel()}; CRC32C: System.IO.Hashing, Crc32ParameterSet.Crc32C");
        bool interleavedOnly = args.Contains("--interleaved-only");
        int exit = interleavedOnly ? 0 : await BenchmarkDotNetAsync(args);
        await InterleavedAsync();
        return exit;
    }

    private static async Task<int> BenchmarkDotNetAsync(string[] args)
    {
        string loadBefore = MachineInfo.LoadAverage();
        Console.WriteLine($"{OpensslSpeed.Command(3)} ...");
        (double? opensslBefore, string? problem) = await OpensslSpeed.MeasureAsync(3);

        // In process: no second project generated and built on a machine others share; the benchmark code is single-threaded either way.
        IConfig config = ManualConfig.Create(DefaultConfig.Instance)
            .AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance))
            .AddColumn(new ThroughputColumn())
            .WithArtifactsPath(Path.Combine(AppContext.BaseDirectory, "BenchmarkDotNet.Artifacts"));
        // BenchmarkSwitcher asks on the console when no filter is given; the default is every benchmark.
        string[] switcherArgs = args.Contains("--filter") ? args : ["--filter", "*", .. args];
        Summary[] summaries = [.. BenchmarkSwitcher.FromTypes([typeof(HashingBenchmarks)]).Run(switcherArgs, config)];

        (double? opensslAfter, string? problemAfter) = await OpensslSpeed.MeasureAsync(3);
        string loadAfter = MachineInfo.LoadAverage();
        double?[] figures = [.. new[] { opensslBefore, opensslAfter }.Where(f => f is not null)];
        double? openssl = figures.Length == 0 ? null : figures.Average();

        Console.WriteLine();
        Console.WriteLine($"BenchmarkDotNet, one thread, GB/s = 10^9 bytes/s (BenchmarkDotNet's median); openssl: `{OpensslSpeed.Command(3)}`, " +
            $"{F(opensslBefore)} before and {F(opensslAfter)} after, their mean below; load average {loadBefore} before, {loadAfter} after.");
        if ((problem ?? problemAfter) is { } why)
        {
            Console.WriteLine(why);
        }
        Console.WriteLine();
        Console.WriteLine("| buffer | one-pass hasher (SHA-256+CRC32C) | SHA-256 alone | CRC32C alone | MD5 alone | openssl SHA-256 | hasher / openssl | SHA-256 / openssl |");
        Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- | --- |");
        BenchmarkReport[] reports = [.. summaries.SelectMany(s => s.Reports)];
        foreach (int bytes in reports.Select(BytesOf).Where(b => b > 0).Distinct().Order())
        {
            double? Of(string method) => reports
                .Where(r => BytesOf(r) == bytes && r.BenchmarkCase.Descriptor.WorkloadMethod.Name == method)
                .Select(r => r.ResultStatistics?.Median is > 0 and var median ? bytes / median : (double?)null)
                .FirstOrDefault();
            double? onePass = Of(nameof(HashingBenchmarks.OnePass)), sha = Of(nameof(HashingBenchmarks.Sha256Only));
            Console.WriteLine($"| {bytes / (1024 * 1024)} MiB | {F(onePass)} | {F(sha)} | {F(Of(nameof(HashingBenchmarks.Crc32COnly)))} | " +
                $"{F(Of(nameof(HashingBenchmarks.Md5Only)))} | {F(openssl)} | {Ratio(onePass, openssl)} | {Ratio(sha, openssl)} |");
        }
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }

    /// <summary>Rounds of openssl, the hasher and SHA-256 alone, one second each, on a 4 MiB buffer (a segment's size).</summary>
    private static async Task InterleavedAsync()
    {
        byte[] buffer = new byte[InterleavedBytes];
        new Random(1).NextBytes(buffer);
        byte[] sha = new byte[32];
        Console.WriteLine();
        Console.WriteLine($"Interleaved, {Rounds} rounds on a {InterleavedBytes / (1024 * 1024)} MiB buffer: `{OpensslSpeed.Command(1)}`, " +
            $"then the one-pass hasher for 1 s, then SHA-256 alone for 1 s; load average {MachineInfo.LoadAverage()} before.");
        Console.WriteLine();
        Console.WriteLine("| round | openssl SHA-256 | one-pass hasher | SHA-256 alone | hasher / openssl | SHA-256 / openssl |");
        Console.WriteLine("| --- | --- | --- | --- | --- | --- |");
        var hasherRatios = new List<double>();
        var shaRatios = new List<double>();
        for (int round = 1; round <= Rounds; round++)
        {
            (double? openssl, string? problem) = await OpensslSpeed.MeasureAsync(1);
            if (openssl is null)
            {
                Console.WriteLine(problem);
                return;
            }
            double onePass = Throughput(() =>
            {
                using var hasher = new SegmentHasher();
                hasher.Append(buffer);
                hasher.Finish();
            });
            double shaAlone = Throughput(() => SHA256.HashData(buffer, sha));
            hasherRatios.Add(onePass / openssl.Value);
            shaRatios.Add(shaAlone / openssl.Value);
            Console.WriteLine($"| {round} | {F(openssl)} | {F(onePass)} | {F(shaAlone)} | {Ratio(onePass, openssl)} | {Ratio(shaAlone, openssl)} |");
        }
        Console.WriteLine();
        Console.WriteLine($"Median of the rounds: hasher / openssl {Median(hasherRatios):0.00}x (from {hasherRatios.Min():0.00} to {hasherRatios.Max():0.00}), " +
            $"SHA-256 / openssl {Median(shaRatios):0.00}x; load average {MachineInfo.LoadAverage()} after.");

        double Throughput(Action hashOnce)
        {
            hashOnce(); // warm
            long operations = 0;
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < TimeSpan.FromSeconds(1))
            {
                hashOnce();
                operations++;
            }
            return operations * (double)buffer.Length / clock.Elapsed.TotalSeconds / 1e9;
        }
    }

    private static double Median(List<double> values)
    {
        double[] sorted = [.. values.Order()];
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static int BytesOf(BenchmarkReport report) => report.BenchmarkCase.Parameters["Bytes"] is int b ? b : 0;

    private static string F(double? gbps) => gbps is { } v ? v.ToString("0.00", CultureInfo.InvariantCulture) : "-";

    private static string Ratio(double? ours, double? theirs) =>
        ours is { } a && theirs is > 0 and var b ? (a / b).ToString("0.00", CultureInfo.InvariantCulture) + "x" : "-";
}
