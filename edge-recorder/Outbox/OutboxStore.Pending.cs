using Cctv.Shared.Domain;
using Cctv.Shared.Sqlite;
using Microsoft.Data.Sqlite;

namespace Cctv.EdgeRecorder.Outbox;

/// <summary>What the event-driven pipeline asks between events: when the next failed upload is due, and a page of what waits for the cloud's word.</summary>
public sealed partial class OutboxStore
{
    /// <summary>When the earliest failed segment may be tried again; null when none waits out a back-off.</summary>
    public DateTimeOffset? NextRetryAt()
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("SELECT MIN(COALESCE(next_attempt_ms, 0)) FROM segments WHERE state = 'failed'");
        return q.ExecuteScalar() is long ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
    }

    /// <summary>
    /// Up to <paramref name="limit"/> uploaded segments (waiting for the cloud to verify them) after <paramref name="after"/>
    /// in upload order (uploaded time, then ID); from the first when <paramref name="after"/> is null. Paging with the last
    /// row seen goes round all of them, so rows the cloud is slow on never hide the ones behind them.
    /// </summary>
    public (IReadOnlyList<OutboxSegment> Rows, UploadedCursor? Next) UploadedPage(UploadedCursor? after, int limit)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("""
            SELECT * FROM segments WHERE state = 'uploaded'
                AND ($ms IS NULL OR COALESCE(uploaded_ms, 0) > $ms OR (COALESCE(uploaded_ms, 0) = $ms AND id > $id))
            ORDER BY COALESCE(uploaded_ms, 0), id LIMIT $limit
            """, ("$ms", after?.UploadedMs), ("$id", after?.Id ?? ""), ("$limit", limit));
        List<OutboxSegment> rows = ReadSegments(q);
        if (rows.Count < limit)
        {
            return (rows, null); // the end of the order: the next page starts from the first again
        }
        using SqliteCommand last = c.Command("SELECT COALESCE(uploaded_ms, 0) FROM segments WHERE id = $id", ("$id", rows[^1].Id));
        return (rows, new UploadedCursor(last.ExecuteScalar() is long ms ? ms : 0, rows[^1].Id));
    }
}

/// <summary>A position in the upload order of the outbox (see <see cref="OutboxStore.UploadedPage"/>).</summary>
public sealed record UploadedCursor(long UploadedMs, string Id);
