namespace Cctv.Shared.Domain;

/// <summary>What the edge tells the catalog about a sealed segment before it uploads it.</summary>
/// <param name="Md5">Null since segments are hashed without MD5 (Cloud Storage verifies the CRC32C; see
/// <see cref="Hashing.SegmentHasher"/>); recordings announced by older recorders keep theirs.</param>
public sealed record RecordingAnnouncement(
    string Id,
    string RecorderId,
    string CameraId,
    string CameraName,
    long Run,
    long Sequence,
    DateTimeOffset StartTime,
    DateTimeOffset EndTime,
    long FileSize,
    string Sha256,
    string Crc32C,
    string? Md5,
    string ContentType,
    string StagingObject,
    ClockState? Clock = null)
{
    public double DurationSeconds => (EndTime - StartTime).TotalSeconds;

    /// <summary>The camera by its identity: recorder and camera.</summary>
    public CameraKey Camera => new(RecorderId, CameraId);
}

/// <summary>A recording as the cloud catalog holds it.</summary>
/// <param name="LegalHold">While set, the retention policy never deletes the recording.</param>
/// <param name="RecorderAnnouncement">For a salvaging or salvaged recording: the recorder's own announcement, when it came
/// back with the file (finalize replaces the salvaged copy with its full upload if the salvaged bytes are a prefix of it).</param>
/// <param name="ReplacementRefused">Why the recorder's full upload did not replace the salvaged copy (null: not refused).</param>
public sealed record Recording(
    RecordingAnnouncement Announcement,
    CloudState State,
    string? Reason,
    long? StagingGeneration,
    string? ArchiveObject,
    long? ArchiveGeneration,
    DateTimeOffset AnnouncedAt,
    DateTimeOffset? StagedAt,
    DateTimeOffset? ArchivedAt,
    DateTimeOffset UpdatedAt,
    long Version,
    bool LegalHold = false,
    string? LegalHoldReason = null,
    RecordingAnnouncement? RecorderAnnouncement = null,
    string? ReplacementRefused = null)
{
    public string Id => Announcement.Id;
    public string CameraId => Announcement.CameraId;

    /// <summary>The camera by its identity: recorder and camera.</summary>
    public CameraKey Camera => new(Announcement.RecorderId, Announcement.CameraId);
}

/// <summary>
/// A stretch of time with no footage from a camera, and why: the camera went offline, the recorder was
/// down, a segment was lost. Recorded by the edge so that the catalog can answer "where is the footage?".
/// </summary>
public sealed record RecordingGap(
    string Id,
    string RecorderId,
    string CameraId,
    DateTimeOffset StartTime,
    DateTimeOffset? EndTime,
    string Reason)
{
    public CameraKey Camera => new(RecorderId, CameraId);
}

/// <summary>A camera the catalog knows about: one per recorder and camera ID (<see cref="Key"/>).</summary>
public sealed record CameraInfo(string Id, string Name, string RecorderId)
{
    public CameraKey Key => new(RecorderId, Id);
}
