using Cctv.Shared.Domain;
using Cctv.Shared.Sqlite;
using Microsoft.Data.Sqlite;

namespace Cctv.EdgeRecorder.Outbox;

public sealed partial class OutboxStore
{
    public void UpsertGap(RecordingGap gap)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("""
            INSERT INTO gaps (id, camera_id, start_ms, end_ms, reason, synced) VALUES ($id, $cam, $start, $end, $reason, 0)
            ON CONFLICT (id) DO UPDATE SET end_ms = COALESCE(excluded.end_ms, gaps.end_ms), reason = excluded.reason, synced = 0
            """, ("$id", gap.Id), ("$cam", gap.CameraId), ("$start", gap.StartTime.ToUnixTimeMilliseconds()),
            ("$end", gap.EndTime?.ToUnixTimeMilliseconds()), ("$reason", gap.Reason));
        q.ExecuteNonQuery();
    }

    public IReadOnlyList<(RecordingGap Gap, bool Synced)> Gaps(bool unsyncedOnly, string recorderId)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("SELECT * FROM gaps" + (unsyncedOnly ? " WHERE synced = 0" : "") + " ORDER BY start_ms");
        using SqliteDataReader r = q.ExecuteReader();
        var gaps = new List<(RecordingGap, bool)>();
        while (r.Read())
        {
            long? end = r.GetNullableInt64("end_ms");
            gaps.Add((new RecordingGap(r.GetString(r.GetOrdinal("id")), recorderId, r.GetString(r.GetOrdinal("camera_id")),
                DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(r.GetOrdinal("start_ms"))),
                end is { } e ? DateTimeOffset.FromUnixTimeMilliseconds(e) : null, r.GetString(r.GetOrdinal("reason"))),
                r.GetInt64(r.GetOrdinal("synced")) == 1));
        }
        return gaps;
    }

    /// <summary>Marks a gap synced, unless it changed since it was read.</summary>
    public void MarkGapSynced(RecordingGap gap)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("UPDATE gaps SET synced = 1 WHERE id = $id AND reason = $reason AND end_ms IS $end",
            ("$id", gap.Id), ("$reason", gap.Reason), ("$end", gap.EndTime?.ToUnixTimeMilliseconds()));
        q.ExecuteNonQuery();
    }
}
