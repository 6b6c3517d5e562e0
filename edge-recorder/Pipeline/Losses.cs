using Cctv.EdgeRecorder.Outbox;
using Cctv.Shared.Domain;
using Microsoft.Extensions.Logging;

namespace Cctv.EdgeRecorder.Pipeline;

/// <summary>
/// A segment that can no longer reach the bucket is recorded as lost with its reason, in the outbox at once and in
/// the catalog by the catalog sync (which keeps trying until the catalog has it): a loss is never silent.
/// </summary>
public static class Losses
{
    /// <summary>
    /// Records the loss only while the row is still in one of <paramref name="expected"/> (the state the caller saw).
    /// False when another writer changed it meanwhile (an upload claimed it, or it reached the bucket): the race is
    /// reported and the row is left as the winner made it.
    /// </summary>
    public static bool Record(OutboxStore outbox, OutboxSegment segment, string reason, ILogger log, params EdgeState[] expected)
    {
        if (!outbox.MarkLost(segment.Id, reason, expected))
        {
            log.LogWarning("Recording {RecordingId} was not recorded lost ({Reason}): it is no longer {Expected} but {State}",
                segment.Id, reason, string.Join("/", expected.Select(s => s.ToWire())), outbox.Get(segment.Id)?.State.ToWire() ?? "gone");
            return false;
        }
        log.LogError("Recording {RecordingId} ({CameraId}, {Start:O}) is lost: {Reason}", segment.Id, segment.CameraId, segment.StartTime, reason);
        return true;
    }
}
