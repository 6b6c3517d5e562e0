using Cctv.Shared.Sqlite;
using Microsoft.Data.Sqlite;

namespace Cctv.EdgeRecorder.Outbox;

public sealed partial class OutboxStore
{
    /// <summary>A run that holds imported recordings: numbered after the camera's last run, ended and sealed from the start.</summary>
    public CameraRun StartImportRun(string cameraId, string reason)
    {
        long now = Now;
        long run = InsertNextRun(cameraId, "($cam, $run, $now, $now, $reason, 1, NULL)", ("$now", now), ("$reason", reason));
        return new CameraRun(cameraId, run, DateTimeOffset.FromUnixTimeMilliseconds(now), DateTimeOffset.FromUnixTimeMilliseconds(now), reason, null, true);
    }

    /// <summary>The recording a file with these bytes was imported as, or null.</summary>
    public string? ImportedAs(string sha256)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("SELECT recording_id FROM imports WHERE sha256 = $sha", ("$sha", sha256));
        return q.ExecuteScalar() as string;
    }

    /// <summary>Inserts an imported segment's row and remembers its source, in one transaction; false when these bytes were imported before.</summary>
    public bool InsertImported(OutboxSegment s, string sourcePath)
    {
        using SqliteConnection c = _db.Open();
        using SqliteTransaction tx = c.BeginTransaction();
        using SqliteCommand remember = c.Command("""
            INSERT INTO imports (sha256, source_path, recording_id, imported_ms) VALUES ($sha, $src, $id, $now) ON CONFLICT DO NOTHING
            """, ("$sha", s.Sha256), ("$src", sourcePath), ("$id", s.Id), ("$now", Now));
        remember.Transaction = tx;
        if (remember.ExecuteNonQuery() == 0)
        {
            return false;
        }
        using SqliteCommand insert = c.Command("""
            INSERT INTO segments (id, camera_id, run, seq, path, start_ms, end_ms, size, sha256, crc32c, md5, object_name, state, created_ms, updated_ms)
            VALUES ($id, $cam, $run, $seq, $path, $start, $end, $size, $sha, $crc, $md5, $obj, 'sealed', $now, $now)
            """,
            ("$id", s.Id), ("$cam", s.CameraId), ("$run", s.Run), ("$seq", s.Sequence), ("$path", s.Path),
            ("$start", s.StartTime.ToUnixTimeMilliseconds()), ("$end", s.EndTime.ToUnixTimeMilliseconds()), ("$size", s.Size),
            ("$sha", s.Sha256), ("$crc", s.Crc32C), ("$md5", s.Md5), ("$obj", s.ObjectName), ("$now", Now));
        insert.Transaction = tx;
        insert.ExecuteNonQuery();
        tx.Commit();
        return true;
    }
}
