using Cctv.Shared.Domain;
using Cctv.Shared.Hashing;

namespace Cctv.EdgeRecorder.Outbox;

/// <summary>
/// Builds a new outbox row from a sealed file's digest: its recording ID and staging object name follow from the
/// recorder, camera, run and sequence, its state is sealed and nothing has been tried yet. The one place that spells out
/// an <see cref="OutboxSegment"/> field by field for a new segment (the sealer, migrate, the benchmarks and test rigs use it).
/// </summary>
public static class OutboxRows
{
    public static OutboxSegment Sealed(string recorderId, string cameraId, long run, long sequence, string path,
        DateTimeOffset start, DateTimeOffset end, SegmentDigest digest, DateTimeOffset sealedAt)
    {
        string id = RecordingId.For(recorderId, cameraId, run, sequence);
        return new OutboxSegment(id, cameraId, run, sequence, path, start, end, digest.Size, digest.Sha256, digest.Crc32CBase64, digest.Md5,
            ObjectNames.Staging(recorderId, cameraId, id), EdgeState.Sealed, Attempts: 0, LastError: null, NextAttemptAt: null,
            Generation: null, Announced: false, CreatedAt: sealedAt);
    }
}
