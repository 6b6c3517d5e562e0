namespace Cctv.Functions.Reconcile;

/// <summary>What the sweep considers late, and the retention it applies.</summary>
public sealed record SweepOptions
{
    /// <summary>
    /// Announced this long ago and still not staged (or quarantined and not uploaded again): reported, with the
    /// recorder's heartbeat to tell an offline site from a stuck upload. A staging object with no announcement this
    /// old is reported as an orphan.
    /// </summary>
    public TimeSpan StagingSla { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// A staged object (or a staged recording) older than this is processed again: its finalize event was lost, or
    /// its processing failed. Younger ones are left to the event in flight.
    /// </summary>
    public TimeSpan RedriveAfter { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>A recorder whose last heartbeat arrived longer ago than this is reported offline.</summary>
    public TimeSpan RecorderOfflineAfter { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// A recorder whose last heartbeat or live-session report arrived longer ago than this (the catalog's clock) is taken
    /// for dead: the sweep finishes the uploads of its live sessions at the bytes the store holds (a salvage, issue 12).
    /// </summary>
    public TimeSpan SalvageAfter { get; init; } = TimeSpan.FromMinutes(2);

    public RetentionPolicy Retention { get; init; } = RetentionPolicy.KeepForever;
}
