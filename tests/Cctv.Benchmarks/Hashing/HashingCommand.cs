using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Cctv.Shared.Hashing;

namespace Cctv.Benchmarks.Hashing;

/// <summary><c>hashing</c>: BenchmarkDotNet over <see cref="HashingBenchmarks"/>, with a GB/s column.</summary>
internal static class HashingCommand
{
    public static int Run(string[] args)
    {
        Console.WriteLine($"CRC32C hardware path: {(Crc32C.IsHardwareAccelerated ? "yes" : "no (slicing-by-8 tables)")}");
        // In process: no second project generated and built on a machine others share; the benchmark code is single-threaded either way.
        IConfig config = ManualConfig.Create(DefaultConfig.Instance)
            .AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance))
            .AddColumn(new ThroughputColumn())
            .WithArtifactsPath(Path.Combine(AppContext.BaseDirectory, "BenchmarkDotNet.Artifacts"));
        // BenchmarkSwitcher asks on the console when no filter is given; the default is every benchmark.
        string[] switcherArgs = args.Contains("--filter") ? args : ["--filter", "*", .. args];
        var summaries = BenchmarkSwitcher.FromTypes([typeof(HashingBenchmarks)]).Run(switcherArgs, config);
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }
}
