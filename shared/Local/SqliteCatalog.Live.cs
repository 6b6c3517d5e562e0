using System.Text.Json;
using Cctv.Shared.Domain;
using Cctv.Shared.Ports;
using Cctv.Shared.Sqlite;
using Microsoft.Data.Sqlite;

namespace Cctv.Shared.Local;

/// <summary>
/// The live sessions of the SQLite catalog: one row per recorder (its last report, the sessions as JSON), replaced by
/// each report unless the stored one was sent later.
/// </summary>
public sealed partial class SqliteCatalog
{
    /// <summary>CREATE IF NOT EXISTS, so a catalog made before live tails gains the table on open.</summary>
    private const string LiveSessionsSchema = """

        CREATE TABLE IF NOT EXISTS live_sessions (
            recorder_id TEXT PRIMARY KEY,
            sent_ms INTEGER NOT NULL,
            received_ms INTEGER NOT NULL,
            session_count INTEGER NOT NULL,
            sessions TEXT NOT NULL
        );
        """;

    private static readonly JsonSerializerOptions LiveJson = new(JsonSerializerDefaults.Web);

    public Task RecordLiveSessionsAsync(string recorderId, DateTimeOffset sentAt, IReadOnlyList<LiveSession> sessions, CancellationToken cancellationToken)
    {
        LiveSessionRules.Validate(recorderId, sessions);
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("""
            INSERT INTO live_sessions (recorder_id, sent_ms, received_ms, session_count, sessions) VALUES ($rec, $sent, $now, $count, $sessions)
            ON CONFLICT (recorder_id) DO UPDATE SET sent_ms = excluded.sent_ms, received_ms = excluded.received_ms,
                session_count = excluded.session_count, sessions = excluded.sessions
            WHERE excluded.sent_ms >= live_sessions.sent_ms
            """, ("$rec", recorderId), ("$sent", sentAt.ToUnixMs()), ("$now", _time.GetUtcNow().ToUnixMs()), ("$count", sessions.Count),
            ("$sessions", JsonSerializer.Serialize(sessions, LiveJson)));
        q.ExecuteNonQuery();
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<LiveSession>> ListLiveSessionsAsync(string recorderId, CancellationToken cancellationToken)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("SELECT sessions FROM live_sessions WHERE recorder_id = $rec", ("$rec", recorderId));
        return Task.FromResult<IReadOnlyList<LiveSession>>(q.ExecuteScalar() is string json ? ParseSessions(json) : []);
    }

    public Task<IReadOnlyList<LiveSessionReport>> ListLiveSessionReportsAsync(CancellationToken cancellationToken)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("SELECT recorder_id, sent_ms, received_ms, sessions FROM live_sessions WHERE session_count > 0 ORDER BY recorder_id");
        using SqliteDataReader r = q.ExecuteReader();
        var reports = new List<LiveSessionReport>();
        while (r.Read())
        {
            reports.Add(new LiveSessionReport(r.GetString(0), SqliteExtensions.FromUnixMs(r.GetInt64(1)), SqliteExtensions.FromUnixMs(r.GetInt64(2)),
                ParseSessions(r.GetString(3))));
        }
        return Task.FromResult<IReadOnlyList<LiveSessionReport>>(reports);
    }

    private static LiveSession[] ParseSessions(string json) =>
        JsonSerializer.Deserialize<LiveSession[]>(json, LiveJson) ?? throw new FormatException("A stored live-session report is not a list.");
}
