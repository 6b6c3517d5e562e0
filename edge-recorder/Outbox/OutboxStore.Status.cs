using Cctv.Shared.Domain;
using Cctv.Shared.Sqlite;
using Microsoft.Data.Sqlite;

namespace Cctv.EdgeRecorder.Outbox;

public sealed partial class OutboxStore
{
    /// <summary>Per camera: segments, the end of the newest, the backlog not yet uploaded, its oldest, the newest error, and whether a run is open.</summary>
    public IReadOnlyList<CameraSummary> CameraSummaries()
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("""
            SELECT s.camera_id,
                   COUNT(*),
                   MAX(s.end_ms),
                   SUM(CASE WHEN s.state IN ('sealed', 'failed', 'uploading') THEN 1 ELSE 0 END),
                   SUM(CASE WHEN s.state IN ('sealed', 'failed', 'uploading') THEN s.size ELSE 0 END),
                   MIN(CASE WHEN s.state NOT IN ('verified', 'evicted', 'lost', 'expired') THEN s.created_ms END),
                   SUM(CASE WHEN s.state = 'lost' THEN 1 ELSE 0 END),
                   (SELECT e.last_error FROM segments e WHERE e.camera_id = s.camera_id AND e.last_error IS NOT NULL ORDER BY e.updated_ms DESC LIMIT 1),
                   EXISTS (SELECT 1 FROM runs r WHERE r.camera_id = s.camera_id AND r.ended_ms IS NULL)
            FROM segments s GROUP BY s.camera_id ORDER BY s.camera_id
            """);
        using SqliteDataReader r = q.ExecuteReader();
        var result = new List<CameraSummary>();
        while (r.Read())
        {
            result.Add(new CameraSummary(r.GetString(0), r.GetInt64(1), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(2)), r.GetInt64(3), r.GetInt64(4),
                r.IsDBNull(5) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(5)), r.GetInt64(6), r.IsDBNull(7) ? null : r.GetString(7), r.GetInt64(8) == 1));
        }
        return result;
    }

    /// <summary>Segments and bytes uploaded since a moment (for the upload rate).</summary>
    public (long Count, long Bytes) UploadedSince(DateTimeOffset since)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM segments WHERE uploaded_ms >= $since",
            ("$since", since.ToUnixTimeMilliseconds()));
        using SqliteDataReader r = q.ExecuteReader();
        r.Read();
        return (r.GetInt64(0), r.GetInt64(1));
    }

    /// <summary>The newest distinct errors of segments still failing or lost, newest first.</summary>
    public IReadOnlyList<(DateTimeOffset At, string State, string Error, long Count)> RecentErrors(int limit)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("""
            SELECT MAX(updated_ms), state, last_error, COUNT(*) FROM segments
            WHERE state IN ('failed', 'lost') AND last_error IS NOT NULL
            GROUP BY state, last_error ORDER BY MAX(updated_ms) DESC LIMIT $limit
            """, ("$limit", limit));
        using SqliteDataReader r = q.ExecuteReader();
        var result = new List<(DateTimeOffset, string, string, long)>();
        while (r.Read())
        {
            result.Add((DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(0)), r.GetString(1), r.GetString(2), r.GetInt64(3)));
        }
        return result;
    }

    /// <summary>How many segments are not yet in the bucket, their size, and when the oldest was sealed (one query).</summary>
    public (long Segments, long Bytes, DateTimeOffset? OldestSealedAt) Backlog()
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("""
            SELECT COUNT(*), COALESCE(SUM(size), 0), MIN(created_ms) FROM segments WHERE state IN ('sealed', 'failed', 'uploading')
            """);
        using SqliteDataReader r = q.ExecuteReader();
        r.Read();
        return (r.GetInt64(0), r.GetInt64(1), r.IsDBNull(2) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(2)));
    }

    public IReadOnlyDictionary<EdgeState, long> CountByState()
    {
        using SqliteConnection c = _db.Open();
        return c.CountByState("segments", StateNames.ParseEdge);
    }

    /// <summary>When the oldest segment that is not verified, evicted, lost or expired was sealed; null when there is none.</summary>
    public DateTimeOffset? OldestPendingSealedAt()
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("SELECT MIN(created_ms) FROM segments WHERE state NOT IN ('verified', 'evicted', 'lost', 'expired')");
        return q.ExecuteScalar() is long ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
    }
}
