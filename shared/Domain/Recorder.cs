namespace Cctv.Shared.Domain;

/// <summary>
/// What an edge recorder tells the catalog about itself every so often: that it is alive, and how much it
/// still has to upload. A late heartbeat (an older <see cref="SentAt"/> than the one stored) changes nothing.
/// </summary>
/// <param name="SentAt">The recorder's clock when it sent this heartbeat (orders heartbeats; offline detection uses the catalog's clock).</param>
/// <param name="BacklogSegments">Sealed segments not yet uploaded (sealed, uploading, failed).</param>
/// <param name="BacklogBytes">Their size.</param>
/// <param name="OldestBacklogSealedAt">When the oldest of them was sealed; null when there is no backlog.</param>
/// <param name="AgentVersion">The agent's version, for the operator.</param>
public sealed record RecorderHeartbeat(
    string RecorderId,
    DateTimeOffset SentAt,
    long BacklogSegments,
    long BacklogBytes,
    DateTimeOffset? OldestBacklogSealedAt,
    string? AgentVersion = null);

/// <summary>A recorder's latest heartbeat and when the catalog received it (by the catalog's clock).</summary>
public sealed record RecorderStatus(RecorderHeartbeat Heartbeat, DateTimeOffset ReceivedAt)
{
    public string RecorderId => Heartbeat.RecorderId;
}

/// <summary>The seed's delivery target: 99.9% of recordings archived within 5 minutes of sealing.</summary>
public static class DeliveryTarget
{
    /// <summary>How soon after a segment ends (it is sealed then) it should be archived.</summary>
    public static readonly TimeSpan ArchiveWithin = TimeSpan.FromMinutes(5);

    /// <summary>The share of recordings that should make it.</summary>
    public const double Objective = 0.999;
}

/// <summary>
/// Recordings whose time to be archived is up (they ended in the window and <see cref="DeliveryTarget.ArchiveWithin"/>
/// has passed), and how many of them were archived in time.
/// </summary>
public sealed record DeliveryStats(long Due, long OnTime)
{
    /// <summary>OnTime / Due, or null when nothing was due.</summary>
    public double? Share => Due == 0 ? null : (double)OnTime / Due;
}

/// <summary>Where a listing by state stopped: the announcement time and ID of the last recording seen.</summary>
public sealed record StateCursor(DateTimeOffset AnnouncedAt, string Id);
