using System.Globalization;
using Cctv.Shared.Domain;

namespace Cctv.Functions.Api;

/// <summary>A recording in the list API (snake_case on the wire).</summary>
public sealed record RecordingItem(
    string Id,
    string CameraKey,
    string RecorderId,
    string CameraId,
    string CameraName,
    string StartTime,
    string EndTime,
    double Duration,
    long FileSize,
    string Sha256,
    string State,
    string? Reason,
    string CreatedAt,
    string? Sha256By = null)
{
    /// <summary>
    /// A salvaged recording's size and SHA-256 are the cloud's (of the bytes the store held), not the recorder's, and
    /// <c>sha256_by</c> says so (<c>cloud</c>); no edge checksum is claimed for it. Null for every other recording.
    /// </summary>
    public static RecordingItem From(Recording r) => new(r.Id, r.Camera.ToString(), r.Announcement.RecorderId, r.CameraId, r.Announcement.CameraName,
        Iso(r.Announcement.StartTime), Iso(r.Announcement.EndTime), Math.Round(r.Announcement.DurationSeconds, 3), r.Announcement.FileSize,
        r.Announcement.Sha256, r.State.ToWire(), r.Reason, Iso(r.AnnouncedAt), r.State == CloudState.Salvaged ? "cloud" : null);

    public static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}

public sealed record RecordingList(IReadOnlyList<RecordingItem> Results, string? NextPageToken);

/// <summary>The seed documents' get_url response, field for field.</summary>
public sealed record VideoUrl(
    string Url,
    string StorageType,
    int ExpiresInMinutes,
    string ContentType,
    long FileSize,
    double FileSizeMb,
    string RecordingName,
    string CameraName,
    string CreatedAt,
    double Duration);

public sealed record VideoUrlResult(string Id, VideoUrl? Video, string? Error);

public sealed record ApiError(string Detail, string? State = null);

public sealed record GapItem(string CameraKey, string RecorderId, string CameraId, string StartTime, string? EndTime, string Reason);

/// <summary>A camera in <c>GET /api/cameras/</c>: its key (what the camera routes take), its ID and name, its recorder and that recorder's site.</summary>
public sealed record CameraItem(string Key, string Id, string Name, string RecorderId, string? SiteId);
