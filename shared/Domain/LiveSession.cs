namespace Cctv.Shared.Domain;

/// <summary>
/// A segment being uploaded while FFmpeg writes it (a live tail), as its recorder reports it to the catalog every few
/// seconds: enough for the cloud to finish the upload itself if the recorder goes silent (docs/live-tail.md).
/// </summary>
/// <param name="RecordingId">The recording the segment becomes (<see cref="RecordingId.For"/>, known before it is sealed).</param>
/// <param name="StagingObject">The staging object the session creates.</param>
/// <param name="SessionUri">The append session: a capability to write that one object; only the cloud side reads it.</param>
/// <param name="ConfirmedBytes">Bytes the store confirmed when the recorder last looked.</param>
/// <param name="OpenedAt">When FFmpeg opened the segment (the recorder's estimate of its first frame's time).</param>
/// <param name="ConfirmedUpTo">Capture time up to which footage was confirmed in the store (the recorder's estimate); null before the first confirmed byte.</param>
public sealed record LiveSession(
    string RecordingId,
    string CameraId,
    long Run,
    long Sequence,
    string StagingObject,
    Uri SessionUri,
    long ConfirmedBytes,
    DateTimeOffset OpenedAt,
    DateTimeOffset? ConfirmedUpTo);
