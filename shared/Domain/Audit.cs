namespace Cctv.Shared.Domain;

/// <summary>What kind of read of footage an audit entry records (its wire name in <see cref="AuditActions"/>).</summary>
public enum AuditAction
{
    /// <summary>A signed URL of one or more recordings (<c>get_url</c>, <c>get_urls</c>).</summary>
    GetUrl,
    /// <summary>A redirect to a signed URL that downloads a recording (attachment).</summary>
    Download,
    /// <summary>A redirect to a signed URL that plays a recording (inline).</summary>
    Stream,
    /// <summary>An HLS playlist of a camera over a range (its segment links are capabilities until it expires).</summary>
    Playlist,
    /// <summary>A playlist's segment link followed (a redirect to a signed URL of one recording).</summary>
    PlaybackLink,
    /// <summary>An evidence export of a camera over a range.</summary>
    Export,
}

/// <summary>The wire names of <see cref="AuditAction"/>, stated once for both catalogs and the API.</summary>
public static class AuditActions
{
    private static readonly (AuditAction Action, string Wire)[] Table =
    [
        (AuditAction.GetUrl, "get_url"),
        (AuditAction.Download, "download"),
        (AuditAction.Stream, "stream"),
        (AuditAction.Playlist, "playlist"),
        (AuditAction.PlaybackLink, "playback_link"),
        (AuditAction.Export, "export"),
    ];

    public static string ToWire(this AuditAction action) => Table.First(t => t.Action == action).Wire;

    /// <summary>The action of a wire name; a name no version wrote is a <see cref="FormatException"/>, never a guess.</summary>
    public static AuditAction Parse(string wire) =>
        Table.FirstOrDefault(t => t.Wire == wire) is { Wire: not null } hit ? hit.Action : throw new FormatException($"'{wire}' is not an audit action.");
}

/// <summary>
/// One read of footage as the API saw it, before the catalog stamps it: who (the principal and the credential they
/// used), what (one camera, by key, and the recordings or the range read), from where (the client address as the
/// server's connection saw it, and what an X-Forwarded-For header claimed, unverified) and which request. A request
/// that reads several cameras' recordings (<c>get_urls</c>) is one entry per camera, so an entry belongs to exactly one
/// camera, and so to one recorder and one site: an audit query limited to a scope reads only that scope's entries.
/// </summary>
/// <param name="Principal">Who: <c>user:EMAIL</c>, <c>key:NAME</c>, <c>local-token</c>, or <c>playback-link</c> for a segment link (a capability: whoever holds the playlist).</param>
/// <param name="Credential">Which credential: <c>api-key:ID</c>, <c>id-token</c>, <c>local-token</c>, <c>link:EXPIRY</c>; null when unknown.</param>
/// <param name="RecordingIds">The recordings read (at most <see cref="MaxRecordingIds"/>); empty for a range (a playlist, an export).</param>
/// <param name="From">The start of the range read (a playlist, an export); null for recordings by ID.</param>
/// <param name="To">The end of the range read.</param>
/// <param name="ClientAddress">The peer of the connection as the server saw it (behind a proxy: the proxy).</param>
/// <param name="ForwardedFor">X-Forwarded-For as the client sent it: a claim, never trusted, kept for the investigator.</param>
/// <param name="RequestId">The server's ID of the request (its trace identifier), to find it in the logs.</param>
public sealed record AuditRead(
    AuditAction Action,
    string Principal,
    string? Credential,
    CameraKey Camera,
    IReadOnlyList<string> RecordingIds,
    DateTimeOffset? From,
    DateTimeOffset? To,
    string? ClientAddress,
    string? ForwardedFor,
    string? RequestId)
{
    public const int MaxRecordingIds = 500;
    public const int MaxTextLength = 256;

    /// <summary>Throws <see cref="ArgumentException"/> for an entry no catalog should store.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Principal))
        {
            throw new ArgumentException("An audit entry names who read.");
        }
        if (RecordingIds.Count > MaxRecordingIds || RecordingIds.Any(id => !RecordingId.IsValid(id)))
        {
            throw new ArgumentException($"An audit entry holds at most {MaxRecordingIds} recording IDs, each a recording ID.");
        }
        if (RecordingIds.Count == 0 && (From is null || To is null))
        {
            throw new ArgumentException("An audit entry names the recordings read or the range read.");
        }
        if (new[] { Principal, Credential, ClientAddress, ForwardedFor, RequestId }.Any(s => s is { Length: > MaxTextLength }))
        {
            throw new ArgumentException($"An audit entry's texts are at most {MaxTextLength} characters; cut them (see {nameof(Cut)}).");
        }
    }

    /// <summary>
    /// Whether this read reached footage of <paramref name="camera"/> in [<paramref name="from"/>, <paramref name="to"/>):
    /// a range that overlaps it, or one of <paramref name="recordingIds"/> (the recordings of that camera in that range).
    /// What an export's custody record lists from <see cref="Ports.ICatalog.QueryAuditAsync"/> by camera.
    /// </summary>
    public bool Reached(CameraKey camera, DateTimeOffset from, DateTimeOffset to, IReadOnlySet<string> recordingIds) =>
        Camera == camera
        && ((From is { } start && To is { } end && start < to && end > from) || RecordingIds.Any(recordingIds.Contains));

    /// <summary>A text cut to what an entry keeps, or null.</summary>
    public static string? Cut(string? value) => value is { Length: > MaxTextLength } ? value[..MaxTextLength] : value;
}

/// <summary>A stored read: its ID (a time-ordered UUID) and the time the catalog's clock gave it.</summary>
public sealed record AuditEntry(string Id, DateTimeOffset At, AuditRead Read)
{
    /// <summary>
    /// An entry for <paramref name="read"/> at the catalog clock's now, to the millisecond (as both catalogs store it, so
    /// a page cursor made of it matches the stored time exactly), with a time-ordered ID (a version 7 UUID).
    /// </summary>
    public static AuditEntry Stamp(AuditRead read, TimeProvider time)
    {
        DateTimeOffset at = DateTimeOffset.FromUnixTimeMilliseconds(time.GetUtcNow().ToUnixTimeMilliseconds());
        return new AuditEntry(Guid.CreateVersion7(at).ToString("D"), at, read);
    }
}
