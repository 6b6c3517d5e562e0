using Cctv.Shared.Domain;

namespace Cctv.Player.Tests;

/// <summary>
/// One site of the <see cref="FootageRig"/> as it was recorded: its recorder, its <c>cam1</c> and its camera that never
/// answered, cam1's gap, every recording it archived, and the API key granted this site only.
/// </summary>
public sealed record RecordedSite(
    string SiteId,
    string RecorderId,
    string OtherCameraId,
    string OtherCameraName,
    string ApiKey,
    RecordingGap Gap,
    IReadOnlyList<Recording> Recordings)
{
    public const string Cam1Name = "Camera 1";

    public CameraKey Cam1 => new(RecorderId, "cam1");

    public CameraKey Other => new(RecorderId, OtherCameraId);

    /// <summary>What the page shows for where a camera of this site is.</summary>
    public string Where => $"site {SiteId} · recorder {RecorderId}";

    /// <summary>
    /// What of this site must never reach a caller of the other one: its site and recorder IDs (and so its camera
    /// keys), its recordings' IDs, object names and SHA-256s, and cam1's gap's ID.
    /// </summary>
    public IReadOnlyList<string> Secrets =>
    [
        SiteId,
        RecorderId,
        Gap.Id,
        .. Recordings.SelectMany(r => new[] { r.Id, r.Announcement.StagingObject, r.ArchiveObject, r.Announcement.Sha256 }).OfType<string>(),
    ];
}
