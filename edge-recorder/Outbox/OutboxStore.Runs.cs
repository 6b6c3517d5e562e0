using Cctv.Shared.Domain;
using Cctv.Shared.Sqlite;
using Microsoft.Data.Sqlite;

namespace Cctv.EdgeRecorder.Outbox;

public sealed partial class OutboxStore
{
    /// <summary>Records the camera's next run, with the state of the clock its segments will be timed by.</summary>
    public CameraRun StartRun(string cameraId, ClockState? clock = null)
    {
        long now = Now;
        long run = InsertNextRun(cameraId, "($cam, $run, $now, NULL, NULL, 0, $clock)", ("$now", now), ("$clock", ClockStateJson.Write(clock)));
        Interlocked.Increment(ref _runsChanged);
        return new CameraRun(cameraId, run, DateTimeOffset.FromUnixTimeMilliseconds(now), null, null, null, false, clock);
    }

    /// <summary>Inserts the camera's next run (one more than its last) in one transaction; <paramref name="values"/> uses $cam and $run.</summary>
    private long InsertNextRun(string cameraId, string values, params (string, object?)[] parameters)
    {
        using SqliteConnection c = _db.Open();
        using SqliteTransaction tx = c.BeginTransaction();
        using SqliteCommand next = c.Command("SELECT COALESCE(MAX(run), 0) + 1 FROM runs WHERE camera_id = $cam", ("$cam", cameraId));
        next.Transaction = tx;
        long run = (long)next.ExecuteScalar()!;
        using SqliteCommand insert = c.Command($"INSERT INTO runs (camera_id, run, started_ms, ended_ms, end_reason, sealed, clock_state) VALUES {values}",
            [("$cam", cameraId), ("$run", run), .. parameters]);
        insert.Transaction = tx;
        insert.ExecuteNonQuery();
        tx.Commit();
        return run;
    }

    public void EndRun(string cameraId, long run, string reason)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("UPDATE runs SET ended_ms = $now, end_reason = $reason WHERE camera_id = $cam AND run = $run AND ended_ms IS NULL",
            ("$now", Now), ("$reason", reason), ("$cam", cameraId), ("$run", run));
        q.ExecuteNonQuery();
        Interlocked.Increment(ref _runsChanged);
    }

    /// <summary>At start: runs a previous instance never ended (it was killed or lost power) are ended now.</summary>
    public int EndOpenRuns(string reason)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("UPDATE runs SET ended_ms = $now, end_reason = $reason WHERE ended_ms IS NULL", ("$now", Now), ("$reason", reason));
        int ended = q.ExecuteNonQuery();
        Interlocked.Increment(ref _runsChanged);
        return ended;
    }

    private long _runsChanged;
    private RunsRead? _openRuns;
    private RunsRead? _unsealedRuns;

    /// <summary>Grows with every change this process makes to a run (start, end, anchor, seal, adoption).</summary>
    public long RunsVersion => Interlocked.Read(ref _runsChanged);

    /// <summary>
    /// Whether what was read of the runs at version <paramref name="readVersion"/> and time <paramref name="readAt"/> still
    /// holds at <paramref name="version"/> and <paramref name="now"/>: this process changed no run since, and the read is younger
    /// than <see cref="OpenRunsMaxAge"/> (a run another process changed) by a clock that has not stepped back.
    /// </summary>
    internal static bool RunsReadHolds(long readVersion, DateTimeOffset readAt, long version, DateTimeOffset now) =>
        readVersion == version && now - readAt < OpenRunsMaxAge && now >= readAt;

    private sealed record RunsRead(long Version, DateTimeOffset ReadAt, IReadOnlyList<CameraRun> Runs);

    /// <summary>How long <see cref="OpenRuns"/> and <see cref="UnsealedRuns"/> keep what they read when nothing in this process changed a run.</summary>
    public static readonly TimeSpan OpenRunsMaxAge = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The runs not ended (the cameras recording now). Read from the table only when this process changed a run since the
    /// last read, or the last read is older than <see cref="OpenRunsMaxAge"/> (a run another process changed): the live
    /// tailer asks four times a second, and the answer changes when a camera starts or stops.
    /// </summary>
    public IReadOnlyList<CameraRun> OpenRuns() => CachedRuns(ref _openRuns, "SELECT * FROM runs WHERE ended_ms IS NULL ORDER BY camera_id, run");

    /// <summary>
    /// The runs with segments still to seal, cached as <see cref="OpenRuns"/> is: the sealer asks on every pass (each a
    /// query and every run's clock state parsed again, a few times a second at 16 cameras), and a run changes a few times a day.
    /// </summary>
    public IReadOnlyList<CameraRun> UnsealedRuns() => CachedRuns(ref _unsealedRuns, "SELECT * FROM runs WHERE sealed = 0 ORDER BY camera_id, run");

    private IReadOnlyList<CameraRun> CachedRuns(ref RunsRead? cache, string sql)
    {
        long version = Interlocked.Read(ref _runsChanged);
        DateTimeOffset now = _time.GetUtcNow();
        if (cache is { } cached && RunsReadHolds(cached.Version, cached.ReadAt, version, now))
        {
            return cached.Runs;
        }
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command(sql);
        IReadOnlyList<CameraRun> runs = ReadRuns(q);
        cache = new RunsRead(version, now, runs);
        return runs;
    }

    public CameraRun? GetRun(string cameraId, long run)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("SELECT * FROM runs WHERE camera_id = $cam AND run = $run", ("$cam", cameraId), ("$run", run));
        return ReadRuns(q).FirstOrDefault();
    }

    public void SetAnchor(string cameraId, long run, long anchorMs)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("UPDATE runs SET anchor_ms = $a WHERE camera_id = $cam AND run = $run AND anchor_ms IS NULL",
            ("$a", anchorMs), ("$cam", cameraId), ("$run", run));
        q.ExecuteNonQuery();
        Interlocked.Increment(ref _runsChanged);
    }

    public void MarkRunSealed(string cameraId, long run)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("UPDATE runs SET sealed = 1 WHERE camera_id = $cam AND run = $run", ("$cam", cameraId), ("$run", run));
        q.ExecuteNonQuery();
        Interlocked.Increment(ref _runsChanged);
    }

    /// <summary>The latest run before <paramref name="run"/> that produced footage, with the end of its last segment.</summary>
    public (CameraRun Run, DateTimeOffset LastEnd)? LastFootageBefore(string cameraId, long run)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("""
            SELECT s.run, MAX(s.end_ms) FROM segments s WHERE s.camera_id = $cam AND s.run < $run
            GROUP BY s.run ORDER BY s.run DESC LIMIT 1
            """, ("$cam", cameraId), ("$run", run));
        using SqliteDataReader r = q.ExecuteReader();
        if (!r.Read())
        {
            return null;
        }
        long previous = r.GetInt64(0);
        long end = r.GetInt64(1);
        return GetRun(cameraId, previous) is { } prevRun ? (prevRun, DateTimeOffset.FromUnixTimeMilliseconds(end)) : null;
    }

    /// <summary>A spool directory the runs table does not know (an outbox restored from backup, files copied in): recorded as an ended run so its files are adopted and its number never reused.</summary>
    public bool AdoptRun(string cameraId, long run, DateTimeOffset startedAt, string reason)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("""
            INSERT INTO runs (camera_id, run, started_ms, ended_ms, end_reason) VALUES ($cam, $run, $start, $now, $reason)
            ON CONFLICT DO NOTHING
            """, ("$cam", cameraId), ("$run", run), ("$start", startedAt.ToUnixTimeMilliseconds()), ("$now", Now), ("$reason", reason));
        bool adopted = q.ExecuteNonQuery() == 1;
        Interlocked.Increment(ref _runsChanged);
        return adopted;
    }

    /// <summary>A sealed run holds a file with no row: the sealer looks at the run again.</summary>
    public void ReopenRun(string cameraId, long run)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("UPDATE runs SET sealed = 0 WHERE camera_id = $cam AND run = $run AND ended_ms IS NOT NULL", ("$cam", cameraId), ("$run", run));
        q.ExecuteNonQuery();
        Interlocked.Increment(ref _runsChanged);
    }

    public IReadOnlyList<CameraRun> AllRuns()
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("SELECT * FROM runs ORDER BY camera_id, run");
        return ReadRuns(q);
    }
}
