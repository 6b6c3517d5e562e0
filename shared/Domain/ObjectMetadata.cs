namespace Cctv.Shared.Domain;

/// <summary>
/// The custom metadata of a staging object (<c>x-goog-meta-*</c> on Cloud Storage), written by the edge with each
/// upload and read by the finalize function: the keys are stated here once for both sides.
/// </summary>
public static class ObjectMetadata
{
    /// <summary>The recording the object holds (its ID is also the end of the object's name).</summary>
    public const string RecordingId = "recording-id";

    /// <summary>The recorder (site) that uploaded it.</summary>
    public const string RecorderId = "recorder-id";

    /// <summary>The camera that recorded it.</summary>
    public const string CameraId = "camera-id";

    /// <summary>The segment's SHA-256 (hex) as sealed on the edge; finalize quarantines an object whose value differs from the announcement's.</summary>
    public const string Sha256 = "sha256";

    /// <summary>The metadata of a segment's staging object.</summary>
    public static Dictionary<string, string> ForSegment(string recordingId, string recorderId, string cameraId, string sha256) => new()
    {
        [RecordingId] = recordingId,
        [RecorderId] = recorderId,
        [CameraId] = cameraId,
        [Sha256] = sha256,
    };
}
