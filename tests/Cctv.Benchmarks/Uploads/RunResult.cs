namespace Cctv.Benchmarks.Uploads;

/// <summary>One timed upload of the whole set by one tool.</summary>
/// <param name="Failure">Why the run does not count (something missing or corrupt, the tool gave up, the time ran out); null when every object arrived intact.</param>
/// <param name="Note">What the tool reported besides the time (retries, back-off waits).</param>
internal sealed record RunResult(
    string Tool,
    bool Faults,
    int Round,
    int Files,
    long Bytes,
    TimeSpan Elapsed,
    long Requests,
    long FaultsInjected,
    IReadOnlyDictionary<string, long> FaultsByKind,
    string? Failure,
    string Note)
{
    public bool Ok => Failure is null;

    public double MegabytesPerSecond => Bytes / 1e6 / Elapsed.TotalSeconds;
}
