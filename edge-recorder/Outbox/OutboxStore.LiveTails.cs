using Cctv.Shared.Sqlite;
using Microsoft.Data.Sqlite;

namespace Cctv.EdgeRecorder.Outbox;

/// <summary>Where a segment's live tail stands: still appending, or stopped appending because the uplink fell behind.</summary>
public enum LiveTailState
{
    Tailing,
    FallenBack,
}

/// <summary>
/// A segment being uploaded while FFmpeg writes it: its append session (stored before the first byte is sent), the bytes
/// the store confirmed, and the capture time those bytes reach (the recorder's estimate; null before the first confirmed byte).
/// </summary>
public sealed record LiveTailRow(
    string RecordingId,
    string CameraId,
    long Run,
    long Sequence,
    string Path,
    string ObjectName,
    Uri SessionUri,
    long ConfirmedBytes,
    DateTimeOffset OpenedAt,
    DateTimeOffset? ConfirmedUpTo,
    LiveTailState State);

public sealed partial class OutboxStore
{
    private const string LiveTailSchema = """
        CREATE TABLE IF NOT EXISTS live_tails (
            recording_id TEXT PRIMARY KEY,
            camera_id TEXT NOT NULL,
            run INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            path TEXT NOT NULL,
            object_name TEXT NOT NULL,
            session_uri TEXT NOT NULL,
            confirmed_bytes INTEGER NOT NULL DEFAULT 0,
            opened_ms INTEGER NOT NULL,
            confirmed_up_to_ms INTEGER,
            state TEXT NOT NULL,
            updated_ms INTEGER NOT NULL,
            UNIQUE (camera_id, run, seq)
        );
        """;

    private static string ToWire(LiveTailState state) => state == LiveTailState.Tailing ? "tailing" : "fallen back";

    private static LiveTailState ParseLiveTailState(string wire) => wire switch
    {
        "tailing" => LiveTailState.Tailing,
        "fallen back" => LiveTailState.FallenBack,
        _ => throw new InvalidOperationException($"Unknown live tail state '{wire}' in the outbox."),
    };

    /// <summary>A live tail's session was started: recorded before its first byte is sent. False when the segment has one already.</summary>
    /// <remarks>
    /// Committed without waiting for the disk (see <see cref="ConfirmLiveTail"/>): a power cut that takes the row back leaves a
    /// session in the store that nobody finishes, which expires unfinished, and the segment, sealed by the next start, goes
    /// up whole. The row only has to exist before the first append, which a commit in this process ensures. Every segment of
    /// every camera starts one, so this was an fsync a segment.
    /// </remarks>
    public bool InsertLiveTail(LiveTailRow row)
    {
        using SqliteConnection c = _db.OpenUnflushed();
        using SqliteCommand q = c.Command("""
            INSERT OR IGNORE INTO live_tails (recording_id, camera_id, run, seq, path, object_name, session_uri, confirmed_bytes, opened_ms,
                confirmed_up_to_ms, state, updated_ms)
            VALUES ($id, $camera, $run, $seq, $path, $object, $uri, $bytes, $opened, $upTo, $state, $now)
            """, ("$id", row.RecordingId), ("$camera", row.CameraId), ("$run", row.Run), ("$seq", row.Sequence), ("$path", row.Path),
            ("$object", row.ObjectName), ("$uri", row.SessionUri.AbsoluteUri), ("$bytes", row.ConfirmedBytes),
            ("$opened", row.OpenedAt.ToUnixTimeMilliseconds()), ("$upTo", row.ConfirmedUpTo?.ToUnixTimeMilliseconds()),
            ("$state", ToWire(row.State)), ("$now", Now));
        return q.ExecuteNonQuery() == 1;
    }

    /// <summary>The store confirmed more bytes (when a resumed session was asked; the tailer's appends go by <see cref="WriteLiveTails"/>). Never moves backwards.</summary>
    /// <remarks>
    /// Written without waiting for the disk (synchronous=NORMAL for this one commit: the WAL reaches the disk with the next
    /// ordinary commit or checkpoint). These offsets only inform (<c>status</c>, the catalog's report): after a power cut the
    /// tailer asks the store where each session stands, and the uploader finishes a session from what the store holds. At
    /// sixteen cameras on the embedded backend the tailer confirmed some sixty appends a second, each of them an fsync before
    /// (strace counted 210 fsyncs a second in all).
    /// </remarks>
    public void ConfirmLiveTail(string recordingId, long confirmedBytes, DateTimeOffset? confirmedUpTo)
    {
        using SqliteConnection c = _db.OpenUnflushed();
        using SqliteCommand q = c.Command("""
            UPDATE live_tails SET confirmed_bytes = $bytes, confirmed_up_to_ms = COALESCE($upTo, confirmed_up_to_ms), updated_ms = $now
            WHERE recording_id = $id AND confirmed_bytes <= $bytes
            """, ("$id", recordingId), ("$bytes", confirmedBytes), ("$upTo", confirmedUpTo?.ToUnixTimeMilliseconds()), ("$now", Now));
        q.ExecuteNonQuery();
    }

    /// <summary>
    /// What the live tailer learned in one pass, written in one commit: per tail, the bytes the store confirmed, the capture
    /// time they reach, and the segment's start (better known once its predecessor is sealed). Never moves a count backwards;
    /// a tail whose row is gone (its segment uploaded meanwhile) is skipped.
    /// </summary>
    /// <remarks>
    /// Unflushed, as <see cref="ConfirmLiveTail"/>. One commit a pass, not one an append: each commit wrote a handful of pages
    /// to the write-ahead log (two system calls a page with the SQLite bundled here) and took and released its locks, and at
    /// 16 cameras the appends made some thirty commits a second. The rows only inform (<c>status</c>, the catalog's
    /// report, each a few seconds apart); the uploader takes the confirmed count from <see cref="Pipeline.LiveTailLocks"/>.
    /// </remarks>
    public void WriteLiveTails(IReadOnlyCollection<LiveTailRow> rows)
    {
        if (rows.Count == 0)
        {
            return;
        }
        using SqliteConnection c = _db.OpenUnflushed();
        using SqliteTransaction tx = c.BeginTransaction();
        foreach (LiveTailRow row in rows)
        {
            using SqliteCommand q = Tx(c, tx, """
                UPDATE live_tails SET confirmed_bytes = MAX(confirmed_bytes, $bytes),
                    confirmed_up_to_ms = CASE WHEN confirmed_bytes <= $bytes THEN COALESCE($upTo, confirmed_up_to_ms) ELSE confirmed_up_to_ms END,
                    opened_ms = $opened, updated_ms = $now
                WHERE recording_id = $id
                """, ("$id", row.RecordingId), ("$bytes", row.ConfirmedBytes), ("$upTo", row.ConfirmedUpTo?.ToUnixTimeMilliseconds()),
                ("$opened", row.OpenedAt.ToUnixTimeMilliseconds()), ("$now", Now));
            q.ExecuteNonQuery();
        }
        tx.Commit();
    }

    /// <summary>Whether the segment may still be appended to: it has a live tail and is not sealed (one query where two were).</summary>
    public bool IsStillTailed(string recordingId)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("""
            SELECT EXISTS (SELECT 1 FROM live_tails WHERE recording_id = $id) AND NOT EXISTS (SELECT 1 FROM segments WHERE id = $id)
            """, ("$id", recordingId));
        return q.ExecuteScalar() is long yes && yes == 1;
    }

    /// <summary>The tail stopped appending (the uplink fell behind): its session is finished after sealing, with what is left.</summary>
    public void MarkLiveTailFallenBack(string recordingId)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("UPDATE live_tails SET state = 'fallen back', updated_ms = $now WHERE recording_id = $id",
            ("$id", recordingId), ("$now", Now));
        q.ExecuteNonQuery();
    }

    /// <summary>The segment's object is in the bucket (or its session is gone): the live tail is over.</summary>
    public void RemoveLiveTail(string recordingId)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("DELETE FROM live_tails WHERE recording_id = $id", ("$id", recordingId));
        q.ExecuteNonQuery();
    }

    public LiveTailRow? GetLiveTail(string recordingId)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("SELECT * FROM live_tails WHERE recording_id = $id", ("$id", recordingId));
        return ReadLiveTails(q).SingleOrDefault();
    }

    /// <summary>Every live tail, oldest segment first.</summary>
    public IReadOnlyList<LiveTailRow> LiveTails()
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("SELECT * FROM live_tails ORDER BY opened_ms, recording_id");
        return ReadLiveTails(q);
    }

    /// <summary>Per camera, the end of its newest segment in the bucket (uploaded, verified or evicted since): its footage confirmed in the cloud without a live tail.</summary>
    public IReadOnlyDictionary<string, DateTimeOffset> NewestUploadedEnds()
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("""
            SELECT camera_id, MAX(end_ms) FROM segments WHERE state IN ('uploaded', 'verified', 'evicted', 'expired') GROUP BY camera_id
            """);
        using SqliteDataReader r = q.ExecuteReader();
        var result = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        while (r.Read())
        {
            result[r.GetString(0)] = DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(1));
        }
        return result;
    }

    private static List<LiveTailRow> ReadLiveTails(SqliteCommand q)
    {
        using SqliteDataReader r = q.ExecuteReader();
        var rows = new List<LiveTailRow>();
        while (r.Read())
        {
            string S(string col) => r.GetString(r.GetOrdinal(col));
            long L(string col) => r.GetInt64(r.GetOrdinal(col));
            rows.Add(new LiveTailRow(S("recording_id"), S("camera_id"), L("run"), L("seq"), S("path"), S("object_name"), new Uri(S("session_uri")),
                L("confirmed_bytes"), DateTimeOffset.FromUnixTimeMilliseconds(L("opened_ms")),
                r.GetNullableInt64("confirmed_up_to_ms") is { } upTo ? DateTimeOffset.FromUnixTimeMilliseconds(upTo) : null,
                ParseLiveTailState(S("state"))));
        }
        return rows;
    }
}
