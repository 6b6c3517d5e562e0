using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Cctv.Benchmarks.Playback;

/// <summary>Operations per second on one core: 10^9 / the mean time per operation in nanoseconds (benchmarks run on one thread).</summary>
internal sealed class PerSecondColumn : IColumn
{
    public string Id => nameof(PerSecondColumn);
    public string ColumnName => "ops/s/core";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "Operations per second on one core: 1 s / mean time per operation";

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public bool IsAvailable(Summary summary) => true;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) =>
        summary[benchmarkCase]?.ResultStatistics?.Mean is > 0 and var mean ? (1e9 / mean).ToString("N0", CultureInfo.InvariantCulture) : "?";

    public override string ToString() => ColumnName;
}
