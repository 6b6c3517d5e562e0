namespace Cctv.Benchmarks.Loadgen;
/// <summary>What the load generator runs.</summary>
/// <param name="Recorders">Virtual recorders; they alternate between two sites, and every one has cameras cam1..camM.</param>
/// <param name="Cameras">Cameras per recorder.</param>
/// <param name="Seconds">How long finalize events are delivered.</param>
/// <param name="Rate">Finalize events per second over all cameras; null: one per camera per second.</param>
/// <param name="DuplicateShare">The share of events delivered twice, as Eventarc may (at-least-once).</param>
/// <param name="Concurrency">Events in flight at most (Cloud Run's concurrency of the finalize service, say).</param>
/// <param name="SegmentBytes">Size of each tiny segment.</param>
public sealed record LoadOptions(int Recorders, int Cameras, double Seconds, double? Rate = null, double DuplicateShare = 0.05, int Concurrency = 20,
    int SegmentBytes = 2048)
{
    public double EventsPerSecond => Rate ?? Recorders * Cameras;

    public int Segments => Math.Max(1, (int)Math.Round(EventsPerSecond * Seconds));

    /// <summary>Throws, naming the option, when a value cannot run.</summary>
    public void Validate()
    {
        if (Recorders < 1) throw new ArgumentException("--recorders must be at least 1.");
        if (Cameras < 1) throw new ArgumentException("--cameras must be at least 1.");
        if (Seconds <= 0) throw new ArgumentException("--seconds must be more than 0.");
        if (Rate is <= 0) throw new ArgumentException("--rate must be more than 0.");
        if (DuplicateShare is < 0 or > 1) throw new ArgumentException("--duplicates must be between 0 and 1.");
        if (Concurrency < 1) throw new ArgumentException("--concurrency must be at least 1.");
        if (SegmentBytes < 1) throw new ArgumentException("--segment-bytes must be at least 1.");
    }
}

/// <summary>What a run measured, and what it found wrong (empty: every segment archived exactly once).</summary>
public sealed record LoadResult(
    int Segments,
    int Deliveries,
    int Redeliveries,
    TimeSpan DeliveryWall,
    TimeSpan DeliveryCpu,
    long AnnounceReads,
    long AnnounceWrites,
    long FinalizeReads,
    long FinalizeWrites,
    IReadOnlyList<TimeSpan> Latencies,
    IReadOnlyList<string> Problems)
{
    public double EventsPerSecond => Deliveries / DeliveryWall.TotalSeconds;

    public double CpuMsPerSegment => DeliveryCpu.TotalMilliseconds / Segments;

    public TimeSpan Percentile(double p)
    {
        if (Latencies.Count == 0)
        {
            return TimeSpan.Zero;
        }
        var sorted = Latencies.Order().ToList();
        return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
    }

    public string Report(LoadOptions o) => string.Join(Environment.NewLine,
        $"loadgen: {o.Recorders} recorders x {o.Cameras} cameras (two sites, every recorder has cam1..cam{o.Cameras}), {Segments} segments of {o.SegmentBytes} B, "
            + $"{Deliveries} finalize events ({Deliveries - Segments} duplicates) at {o.EventsPerSecond:0.#}/s asked, concurrency {o.Concurrency}; "
            + $"{Redeliveries} redeliveries after a 5xx (a duplicate racing its twin: the loser answers 503 and Eventarc delivers it again)",
        $"  events/s delivered          {EventsPerSecond,10:0.0}",
        $"  CPU ms per finalized segment{CpuMsPerSegment,10:0.00}   (this process while delivering: the host, the event client, on gcp the test GCS server too, not the emulators; {Environment.ProcessorCount} cores)",
        $"  catalog per segment, edge   {(double)AnnounceReads / Segments,6:0.00} reads {(double)AnnounceWrites / Segments,6:0.00} writes (announce)",
        $"  catalog per segment, cloud  {(double)FinalizeReads / Segments,6:0.00} reads {(double)FinalizeWrites / Segments,6:0.00} writes (finalize, duplicates included)",
        $"  finalize latency p50 / p99  {Percentile(0.50).TotalMilliseconds,8:0.0} / {Percentile(0.99).TotalMilliseconds:0.0} ms (from the event's scheduled time to the 2xx)",
        Problems.Count == 0
            ? $"  exactly once: every one of the {Segments} segments archived once, one archive object each, staging empty"
            : $"  NOT exactly once ({Problems.Count} problems): {string.Join("; ", Problems.Take(10))}");
}
