using Cctv.Shared.Domain;
using Cctv.Shared.Ports;

namespace Cctv.Shared.Gcp.Firestore;

/// <summary>
/// The live sessions of the Firestore catalog: <c>live_sessions/{recorder}</c> {sent_at, received_at, session_count,
/// sessions: [{recording_id, camera_id, run, seq, staging_object, session_uri, confirmed_bytes, opened_at,
/// confirmed_up_to}]}, one document per recorder beside (not inside) <c>recorders/{recorder}</c>: the heartbeat replaces
/// its whole document, and a report every few seconds must not contend with it. One report is one read and one commit
/// (guarded by the update time it read, so an older report never overwrites a newer one); at most
/// <see cref="LiveSessionRules.MaxSessions"/> sessions of at most <see cref="LiveSessionRules.MaxUriLength"/>-character
/// URIs keep the document far below Firestore's 1 MiB.
/// </summary>
public sealed partial class FirestoreCatalog
{
    public const string LiveSessionsCollection = "live_sessions";

    private const string SessionCountField = "session_count";
    private const string SessionsField = "sessions";
    private const string LiveRecordingIdField = "recording_id";
    private const string LiveStagingObjectField = "staging_object";
    private const string SessionUriField = "session_uri";
    private const string ConfirmedBytesField = "confirmed_bytes";
    private const string OpenedAtField = "opened_at";
    private const string ConfirmedUpToField = "confirmed_up_to";

    public async Task RecordLiveSessionsAsync(string recorderId, DateTimeOffset sentAt, IReadOnlyList<LiveSession> sessions, CancellationToken cancellationToken)
    {
        LiveSessionRules.Validate(recorderId, sessions);
        string name = _client.DocumentName(LiveSessionsCollection, recorderId);
        await Guarded(name, async ct =>
        {
            FirestoreDocument? existing = await _client.GetAsync(name, ct);
            if (existing is not null && existing.GetTimestamp(CatalogDocuments.SentAt) > sentAt)
            {
                return false;
            }
            var fields = new Dictionary<string, object?>
            {
                [CatalogDocuments.SentAt] = sentAt,
                [CatalogDocuments.ReceivedAt] = _time.GetUtcNow(),
                [SessionCountField] = (long)sessions.Count,
                [SessionsField] = sessions.Select(LiveFields).ToList(),
            };
            await _client.CommitAsync([existing is null ? FirestoreWrite.Create(name, fields) : new FirestoreWrite(name, fields, null, null, existing.UpdateTime)], ct);
            return true;
        }, cancellationToken);
    }

    public async Task<IReadOnlyList<LiveSession>> ListLiveSessionsAsync(string recorderId, CancellationToken cancellationToken)
    {
        string name;
        try
        {
            name = _client.DocumentName(LiveSessionsCollection, recorderId);
        }
        catch (ArgumentException)
        {
            return [];
        }
        return await _client.GetAsync(name, cancellationToken) is { } doc ? SessionsOf(doc) : [];
    }

    /// <summary>Reads the whole collection (one small document per recorder) and keeps the reports that hold sessions.</summary>
    public async Task<IReadOnlyList<LiveSessionReport>> ListLiveSessionReportsAsync(CancellationToken cancellationToken) =>
        [.. (await _client.RunQueryAsync(new FirestoreQuery(LiveSessionsCollection).OrderBy(FirestoreQuery.DocumentNameField), cancellationToken))
            .Where(d => d.GetInt64(SessionCountField) > 0)
            .Select(d => new LiveSessionReport(d.Id, d.GetTimestamp(CatalogDocuments.SentAt), d.GetTimestamp(CatalogDocuments.ReceivedAt), SessionsOf(d)))];

    private static Dictionary<string, object?> LiveFields(LiveSession s) => new()
    {
        [LiveRecordingIdField] = s.RecordingId,
        [CatalogDocuments.CameraId] = s.CameraId,
        [CatalogDocuments.Run] = s.Run,
        [CatalogDocuments.Sequence] = s.Sequence,
        [LiveStagingObjectField] = s.StagingObject,
        [SessionUriField] = s.SessionUri.OriginalString,
        [ConfirmedBytesField] = s.ConfirmedBytes,
        [OpenedAtField] = s.OpenedAt,
        [ConfirmedUpToField] = s.ConfirmedUpTo,
    };

    private static List<LiveSession> SessionsOf(FirestoreDocument d)
    {
        if (d[SessionsField] is not IReadOnlyList<object?> items)
        {
            return [];
        }
        var sessions = new List<LiveSession>(items.Count);
        foreach (object? item in items)
        {
            if (item is not IReadOnlyDictionary<string, object?> m)
            {
                throw new FormatException($"{d.Name}: a live session is not a map.");
            }
            var fields = new FirestoreDocument(d.Name, m, d.UpdateTime);
            sessions.Add(new LiveSession(fields.GetString(LiveRecordingIdField), fields.GetString(CatalogDocuments.CameraId),
                fields.GetInt64(CatalogDocuments.Run), fields.GetInt64(CatalogDocuments.Sequence), fields.GetString(LiveStagingObjectField),
                new Uri(fields.GetString(SessionUriField), UriKind.Absolute), fields.GetInt64(ConfirmedBytesField), fields.GetTimestamp(OpenedAtField),
                fields.GetNullableTimestamp(ConfirmedUpToField)));
        }
        return sessions;
    }
}
