using Cctv.Shared.Domain;
using Cctv.Shared.Sqlite;
using Microsoft.Data.Sqlite;

namespace Cctv.EdgeRecorder.Outbox;

public sealed partial class OutboxStore
{
    /// <summary>Inserts a sealed segment; false when a row with its ID already exists (a repeated seal).</summary>
    /// <remarks>
    /// Committed without waiting for the disk: the sealer seals every camera's closed segment in one pass, whose chain
    /// append (an ordinary commit) or else <see cref="FlushCommits"/> makes them durable together, one fsync for the pass
    /// where each row had its own (sixteen every four seconds at 16 cameras). A power cut before it takes back rows whose
    /// files are on disk, fsynced: the next start seals them again.
    /// </remarks>
    public bool InsertSealed(OutboxSegment s)
    {
        using SqliteConnection c = _db.OpenUnflushed();
        long now = Now;
        using SqliteCommand q = c.Command("""
            INSERT INTO segments (id, camera_id, run, seq, path, start_ms, end_ms, size, sha256, crc32c, md5, object_name, state, created_ms, updated_ms)
            VALUES ($id, $cam, $run, $seq, $path, $start, $end, $size, $sha, $crc, $md5, $obj, 'sealed', $now, $now)
            ON CONFLICT DO NOTHING
            """,
            ("$id", s.Id), ("$cam", s.CameraId), ("$run", s.Run), ("$seq", s.Sequence), ("$path", s.Path),
            ("$start", s.StartTime.ToUnixTimeMilliseconds()), ("$end", s.EndTime.ToUnixTimeMilliseconds()), ("$size", s.Size),
            ("$sha", s.Sha256), ("$crc", s.Crc32C), ("$md5", s.Md5), ("$obj", s.ObjectName), ("$now", now));
        return q.ExecuteNonQuery() == 1;
    }

    /// <summary>The newest segment row's rowid (0 when there is none): a mark for <see cref="BytesSealedAfter"/>.</summary>
    public long NewestSegmentMark()
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("SELECT COALESCE(MAX(rowid), 0) FROM segments");
        return (long)q.ExecuteScalar()!;
    }

    /// <summary>The bytes of the segments sealed (or adopted) since <paramref name="mark"/> (<see cref="NewestSegmentMark"/>): a range of the rowid, whatever the table's size.</summary>
    public long BytesSealedAfter(long mark)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("SELECT COALESCE(SUM(size), 0) FROM segments WHERE rowid > $mark", ("$mark", mark));
        return (long)q.ExecuteScalar()!;
    }

    /// <summary>Makes every commit so far survive a power cut (one fsync of the outbox's write-ahead log).</summary>
    public void FlushCommits() => _db.Flush();

    /// <summary>Whether one segment of a run has its row (it was sealed, whatever happened to it since).</summary>
    public bool HasSegment(string cameraId, long run, long seq)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("SELECT EXISTS (SELECT 1 FROM segments WHERE camera_id = $cam AND run = $run AND seq = $seq)",
            ("$cam", cameraId), ("$run", run), ("$seq", seq));
        return (long)q.ExecuteScalar()! == 1;
    }

    public HashSet<long> SealedSequences(string cameraId, long run)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("SELECT seq FROM segments WHERE camera_id = $cam AND run = $run", ("$cam", cameraId), ("$run", run));
        using SqliteDataReader r = q.ExecuteReader();
        var set = new HashSet<long>();
        while (r.Read())
        {
            set.Add(r.GetInt64(0));
        }
        return set;
    }

    public OutboxSegment? Get(string id)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("SELECT * FROM segments WHERE id = $id", ("$id", id));
        return ReadSegments(q).FirstOrDefault();
    }

    public IReadOnlyList<OutboxSegment> ListByState(EdgeState state, int limit)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("SELECT * FROM segments WHERE state = $state ORDER BY start_ms, id LIMIT $limit",
            ("$state", state.ToWire()), ("$limit", limit));
        return ReadSegments(q);
    }

    public IReadOnlyList<OutboxSegment> Unannounced(int limit)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("SELECT * FROM segments WHERE announced = 0 AND state <> 'lost' ORDER BY start_ms LIMIT $limit", ("$limit", limit));
        return ReadSegments(q);
    }

    public IReadOnlyList<OutboxSegment> All()
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("SELECT * FROM segments ORDER BY camera_id, run, seq");
        return ReadSegments(q);
    }

    /// <summary>Rows whose bytes are only on this disk (not yet in the bucket), oldest recording first.</summary>
    public IReadOnlyList<OutboxSegment> NotYetUploaded(int limit)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("SELECT * FROM segments WHERE state IN ('sealed', 'failed', 'uploading') ORDER BY start_ms, id LIMIT $limit", ("$limit", limit));
        return ReadSegments(q);
    }

    /// <summary>Lost segments whose loss the catalog has not been told of yet.</summary>
    public IReadOnlyList<OutboxSegment> UnsyncedLosses(int limit)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("SELECT * FROM segments WHERE state = 'lost' AND loss_synced = 0 ORDER BY start_ms LIMIT $limit", ("$limit", limit));
        return ReadSegments(q);
    }

    public void MarkLossSynced(string id) => Update(id, "loss_synced = 1");
}
