using Cctv.Shared.Domain;

namespace Cctv.EdgeRecorder.Outbox;

/// <summary>A segment's row in the outbox: its identity, digests, state and upload bookkeeping.</summary>
public sealed record OutboxSegment(
    string Id,
    string CameraId,
    long Run,
    long Sequence,
    string Path,
    DateTimeOffset StartTime,
    DateTimeOffset EndTime,
    long Size,
    string Sha256,
    string Crc32C,
    string? Md5,
    string ObjectName,
    EdgeState State,
    int Attempts,
    string? LastError,
    DateTimeOffset? NextAttemptAt,
    long? Generation,
    bool Announced,
    DateTimeOffset CreatedAt,
    Uri? SessionUri = null,
    int Resumes = 0,
    int Retries = 0);

/// <summary>What the outbox says about one camera.</summary>
public sealed record CameraSummary(string CameraId, long Segments, DateTimeOffset LastSegmentEnd, long Backlog, long BacklogBytes,
    DateTimeOffset? OldestPendingSealedAt, long Lost, string? LastError, bool Recording);

/// <summary>One FFmpeg run of one camera: when it started and ended, why, the wall-clock anchor of its timestamps, and the clock's state at its start.</summary>
public sealed record CameraRun(string CameraId, long Run, DateTimeOffset StartedAt, DateTimeOffset? EndedAt, string? EndReason, long? AnchorMs, bool Sealed,
    ClockState? Clock = null);
