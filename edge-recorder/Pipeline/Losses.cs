using Cctv.EdgeRecorder.Outbox;
using Microsoft.Extensions.Logging;

namespace Cctv.EdgeRecorder.Pipeline;

/// <summary>
/// A segment that can no longer reach the bucket is recorded as lost with its reason, in the outbox at once and in
/// the catalog by the catalog sync (which keeps trying until the catalog has it): a loss is never silent.
/// </summary>
public static class Losses
{
    public static void Record(EdgeContext context, OutboxSegment segment, string reason, ILogger log)
    {
        context.Outbox.MarkLost(segment.Id, reason);
        log.LogError("Recording {RecordingId} ({CameraId}, {Start:O}) is lost: {Reason}", segment.Id, segment.CameraId, segment.StartTime, reason);
    }
}
