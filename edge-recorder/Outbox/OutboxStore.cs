using Cctv.Shared.Domain;
using Cctv.Shared.Sqlite;
using Microsoft.Data.Sqlite;

namespace Cctv.EdgeRecorder.Outbox;

/// <summary>A segment's row in the outbox: its identity, digests, state and upload bookkeeping.</summary>
public sealed record OutboxSegment(
    string Id,
    string CameraId,
    long Run,
    long Sequence,
    string Path,
    DateTimeOffset StartTime,
    DateTimeOffset EndTime,
    long Size,
    string Sha256,
    string Crc32C,
    string? Md5,
    string ObjectName,
    EdgeState State,
    int Attempts,
    string? LastError,
    DateTimeOffset? NextAttemptAt,
    long? Generation,
    bool Announced,
    DateTimeOffset CreatedAt,
    Uri? SessionUri = null,
    int Resumes = 0,
    int Retries = 0);

/// <summary>What the outbox says about one camera.</summary>
public sealed record CameraSummary(string CameraId, long Segments, DateTimeOffset LastSegmentEnd, long Backlog, long BacklogBytes,
    DateTimeOffset? OldestPendingSealedAt, long Lost, string? LastError, bool Recording);

/// <summary>One FFmpeg run of one camera: when it started and ended, why, and the wall-clock anchor of its timestamps.</summary>
public sealed record CameraRun(string CameraId, long Run, DateTimeOffset StartedAt, DateTimeOffset? EndedAt, string? EndReason, long? AnchorMs, bool Sealed);

/// <summary>
/// The durable outbox of the edge (SQLite, WAL, synchronous=FULL): every sealed segment has a row before
/// anything else happens to it, and each step of its life is a committed state change.
/// </summary>
public sealed partial class OutboxStore
{
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS segments (
            id TEXT PRIMARY KEY,
            camera_id TEXT NOT NULL,
            run INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            path TEXT NOT NULL,
            start_ms INTEGER NOT NULL,
            end_ms INTEGER NOT NULL,
            size INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            crc32c TEXT NOT NULL,
            md5 TEXT,
            object_name TEXT NOT NULL,
            state TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            next_attempt_ms INTEGER,
            session_uri TEXT,
            resumes INTEGER NOT NULL DEFAULT 0,
            loss_synced INTEGER NOT NULL DEFAULT 0,
            retries INTEGER NOT NULL DEFAULT 0,
            uploaded_ms INTEGER,
            generation INTEGER,
            announced INTEGER NOT NULL DEFAULT 0,
            created_ms INTEGER NOT NULL,
            updated_ms INTEGER NOT NULL,
            UNIQUE (camera_id, run, seq)
        );
        CREATE INDEX IF NOT EXISTS segments_by_state ON segments (state, start_ms);
        CREATE TABLE IF NOT EXISTS runs (
            camera_id TEXT NOT NULL,
            run INTEGER NOT NULL,
            started_ms INTEGER NOT NULL,
            ended_ms INTEGER,
            end_reason TEXT,
            anchor_ms INTEGER,
            sealed INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (camera_id, run)
        );
        CREATE TABLE IF NOT EXISTS imports (
            sha256 TEXT PRIMARY KEY,
            source_path TEXT NOT NULL,
            recording_id TEXT NOT NULL,
            imported_ms INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS gaps (
            id TEXT PRIMARY KEY,
            camera_id TEXT NOT NULL,
            start_ms INTEGER NOT NULL,
            end_ms INTEGER,
            reason TEXT NOT NULL,
            synced INTEGER NOT NULL DEFAULT 0
        );
        """;

    private readonly SqliteDatabase _db;
    private readonly TimeProvider _time;

    public OutboxStore(string path, TimeProvider time)
    {
        _db = new SqliteDatabase(path, Schema);
        _time = time;
        AddColumnIfMissing("segments", "resumes", "INTEGER NOT NULL DEFAULT 0");
        AddColumnIfMissing("segments", "loss_synced", "INTEGER NOT NULL DEFAULT 0");
        AddColumnIfMissing("segments", "retries", "INTEGER NOT NULL DEFAULT 0");
        AddColumnIfMissing("segments", "uploaded_ms", "INTEGER");
        // Segments are hashed without MD5 now (see SegmentHasher); an older outbox's md5 column was NOT NULL.
        using SqliteConnection c = _db.Open();
        c.MakeColumnNullable("segments", "md5", "TEXT");
    }

    /// <summary>Outboxes written by an earlier version lack the newer columns; SQLite adds a column in place.</summary>
    private void AddColumnIfMissing(string table, string column, string definition)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand info = c.Command($"SELECT COUNT(*) FROM pragma_table_info('{table}') WHERE name = $col", ("$col", column));
        if ((long)info.ExecuteScalar()! == 0)
        {
            using SqliteCommand alter = c.Command($"ALTER TABLE {table} ADD COLUMN {column} {definition}");
            alter.ExecuteNonQuery();
        }
    }

    private long Now => _time.GetUtcNow().ToUnixTimeMilliseconds();

    // ---- runs ----

    public CameraRun StartRun(string cameraId)
    {
        long now = Now;
        long run = InsertNextRun(cameraId, "($cam, $run, $now, NULL, NULL, 0)", ("$now", now));
        return new CameraRun(cameraId, run, DateTimeOffset.FromUnixTimeMilliseconds(now), null, null, null, false);
    }

    /// <summary>Inserts the camera's next run (one more than its last) in one transaction; <paramref name="values"/> uses $cam and $run.</summary>
    private long InsertNextRun(string cameraId, string values, params (string, object?)[] parameters)
    {
        using SqliteConnection c = _db.Open();
        using SqliteTransaction tx = c.BeginTransaction();
        using SqliteCommand next = c.Command("SELECT COALESCE(MAX(run), 0) + 1 FROM runs WHERE camera_id = $cam", ("$cam", cameraId));
        next.Transaction = tx;
        long run = (long)next.ExecuteScalar()!;
        using SqliteCommand insert = c.Command($"INSERT INTO runs (camera_id, run, started_ms, ended_ms, end_reason, sealed) VALUES {values}",
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
    }

    /// <summary>At start: runs a previous instance never ended (it was killed or lost power) are ended now.</summary>
    public int EndOpenRuns(string reason)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("UPDATE runs SET ended_ms = $now, end_reason = $reason WHERE ended_ms IS NULL", ("$now", Now), ("$reason", reason));
        return q.ExecuteNonQuery();
    }

    public IReadOnlyList<CameraRun> UnsealedRuns()
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("SELECT * FROM runs WHERE sealed = 0 ORDER BY camera_id, run");
        return ReadRuns(q);
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
    }

    public void MarkRunSealed(string cameraId, long run)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("UPDATE runs SET sealed = 1 WHERE camera_id = $cam AND run = $run", ("$cam", cameraId), ("$run", run));
        q.ExecuteNonQuery();
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

    // ---- segments ----

    /// <summary>Inserts a sealed segment; false when a row with its ID already exists (a repeated seal).</summary>
    public bool InsertSealed(OutboxSegment s)
    {
        using SqliteConnection c = _db.Open();
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

    /// <summary>
    /// Segments due for upload, oldest recording first among those tried as often (so a segment that keeps failing
    /// cannot starve the ones behind it); claimed (state uploading) in the same transaction.
    /// </summary>
    public IReadOnlyList<OutboxSegment> ClaimDue(int limit, string? onlyId = null)
    {
        using SqliteConnection c = _db.Open();
        using SqliteTransaction tx = c.BeginTransaction();
        using SqliteCommand q = c.Command("""
            SELECT * FROM segments WHERE (state = 'sealed' OR (state = 'failed' AND COALESCE(next_attempt_ms, 0) <= $now))
                AND ($id IS NULL OR id = $id)
            ORDER BY attempts, start_ms, id LIMIT $limit
            """, ("$now", Now), ("$limit", limit), ("$id", onlyId));
        q.Transaction = tx;
        var due = new List<OutboxSegment>();
        foreach (OutboxSegment s in ReadSegments(q))
        {
            using SqliteCommand claim = c.Command("UPDATE segments SET state = 'uploading', updated_ms = $now WHERE id = $id AND state = $expected",
                ("$now", Now), ("$id", s.Id), ("$expected", s.State.ToWire()));
            claim.Transaction = tx;
            if (claim.ExecuteNonQuery() == 1)
            {
                due.Add(s with { State = EdgeState.Uploading });
            }
        }
        tx.Commit();
        return due;
    }

    /// <summary>At start: uploads a previous instance had under way are due again.</summary>
    public int ReleaseClaims()
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("UPDATE segments SET state = 'sealed', updated_ms = $now WHERE state = 'uploading'", ("$now", Now));
        return q.ExecuteNonQuery();
    }

    public void MarkAnnounced(string id) => Update(id, "announced = 1");

    /// <summary>uploading -> uploaded. False when the row is no longer being uploaded (another writer changed it): the caller reports it.</summary>
    public bool MarkUploaded(string id, long generation) =>
        Transition(id, [EdgeState.Uploading], EdgeState.Uploaded,
            "generation = $gen, last_error = NULL, next_attempt_ms = NULL, session_uri = NULL, uploaded_ms = $at", ("$gen", generation), ("$at", Now));

    /// <summary>A resumable session was started for the segment: stored before its first byte goes out.</summary>
    public void SetSession(string id, Uri session) => Update(id, "session_uri = $uri", ("$uri", session.AbsoluteUri));

    /// <summary>An upload attempt failed and was retried in place (the per-upload retry layer).</summary>
    public void AddRetry(string id) => Update(id, "retries = retries + 1");

    /// <summary>An upload continues the stored session instead of starting over.</summary>
    public void MarkResumed(string id) => Update(id, "resumes = resumes + 1");

    /// <summary>The stored session cannot finish (the object exists already, or it was refused): the next attempt starts a new one.</summary>
    public void ClearSession(string id) => Update(id, "session_uri = NULL");

    /// <summary>uploading -> failed, due again at <paramref name="nextAttempt"/>. False when the row is no longer being uploaded.</summary>
    public bool MarkFailed(string id, string error, DateTimeOffset nextAttempt) =>
        Transition(id, [EdgeState.Uploading], EdgeState.Failed, "attempts = attempts + 1, last_error = $err, next_attempt_ms = $next",
            ("$err", error), ("$next", nextAttempt.ToUnixTimeMilliseconds()));

    /// <summary>
    /// -> lost, only from one of the <paramref name="expected"/> states (the state the caller saw). False when the row moved
    /// on meanwhile (an upload claimed it, or it reached the bucket): nothing is changed and the caller must not act on the loss.
    /// </summary>
    public bool MarkLost(string id, string reason, IReadOnlyList<EdgeState> expected) =>
        Transition(id, expected, EdgeState.Lost, "last_error = $err, loss_synced = 0", ("$err", reason));

    /// <summary>For a manual sync: failed segments (or the one given) are due now instead of after their back-off. Returns how many.</summary>
    public int MakeDueNow(string? id)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("UPDATE segments SET next_attempt_ms = NULL, updated_ms = $now WHERE state = 'failed' AND ($id IS NULL OR id = $id)",
            ("$now", Now), ("$id", id));
        return q.ExecuteNonQuery();
    }

    /// <summary>
    /// For a forced sync: segments already uploaded (or verified) whose file is still here go again (create-only, so an
    /// intact object is merely confirmed). A row whose file is gone stays as it is: its object reached the bucket, and
    /// re-queueing it would only make it lost. Expired and evicted rows are final and never go again.
    /// </summary>
    public int RequeueUploaded(string? id)
    {
        int requeued = 0;
        foreach (OutboxSegment s in ListByState(EdgeState.Uploaded, int.MaxValue).Concat(ListByState(EdgeState.Verified, int.MaxValue)))
        {
            if ((id is null || s.Id == id) && File.Exists(s.Path)
                && Transition(s.Id, [s.State], EdgeState.Sealed, "next_attempt_ms = NULL, session_uri = NULL"))
            {
                requeued++;
            }
        }
        return requeued;
    }

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

    /// <summary>A run that holds imported recordings: numbered after the camera's last run, ended and sealed from the start.</summary>
    public CameraRun StartImportRun(string cameraId, string reason)
    {
        long now = Now;
        long run = InsertNextRun(cameraId, "($cam, $run, $now, $now, $reason, 1)", ("$now", now), ("$reason", reason));
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

    /// <summary>Lost segments whose loss the catalog has not been told of yet.</summary>
    public IReadOnlyList<OutboxSegment> UnsyncedLosses(int limit)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("SELECT * FROM segments WHERE state = 'lost' AND loss_synced = 0 ORDER BY start_ms LIMIT $limit", ("$limit", limit));
        return ReadSegments(q);
    }

    public void MarkLossSynced(string id) => Update(id, "loss_synced = 1");

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

    /// <summary>Rows whose bytes are only on this disk (not yet in the bucket), oldest recording first.</summary>
    public IReadOnlyList<OutboxSegment> NotYetUploaded(int limit)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("SELECT * FROM segments WHERE state IN ('sealed', 'failed', 'uploading') ORDER BY start_ms, id LIMIT $limit", ("$limit", limit));
        return ReadSegments(q);
    }

    /// <summary>A spool directory the runs table does not know (an outbox restored from backup, files copied in): recorded as an ended run so its files are adopted and its number never reused.</summary>
    public bool AdoptRun(string cameraId, long run, DateTimeOffset startedAt, string reason)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("""
            INSERT INTO runs (camera_id, run, started_ms, ended_ms, end_reason) VALUES ($cam, $run, $start, $now, $reason)
            ON CONFLICT DO NOTHING
            """, ("$cam", cameraId), ("$run", run), ("$start", startedAt.ToUnixTimeMilliseconds()), ("$now", Now), ("$reason", reason));
        return q.ExecuteNonQuery() == 1;
    }

    /// <summary>A sealed run holds a file with no row: the sealer looks at the run again.</summary>
    public void ReopenRun(string cameraId, long run)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("UPDATE runs SET sealed = 0 WHERE camera_id = $cam AND run = $run AND ended_ms IS NOT NULL", ("$cam", cameraId), ("$run", run));
        q.ExecuteNonQuery();
    }

    public IReadOnlyList<CameraRun> AllRuns()
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("SELECT * FROM runs ORDER BY camera_id, run");
        return ReadRuns(q);
    }

    /// <summary>
    /// Back to uploaded, from the state the caller saw, for a row the bucket confirmed before (its generation is known) and a
    /// forced sync sent again: when its local copy goes, it is not lost. False when the row moved on or was never confirmed.
    /// </summary>
    public bool RestoreUploaded(string id, EdgeState expected)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("""
            UPDATE segments SET state = 'uploaded', next_attempt_ms = NULL, session_uri = NULL, updated_ms = $now
            WHERE id = $id AND state = $expected AND generation IS NOT NULL
            """, ("$now", Now), ("$id", id), ("$expected", expected.ToWire()));
        return q.ExecuteNonQuery() == 1;
    }

    /// <summary>uploaded -> verified (the catalog says archived).</summary>
    public bool MarkVerified(string id) => Transition(id, [EdgeState.Uploaded], EdgeState.Verified, null);

    /// <summary>verified -> evicted (the local copy was removed).</summary>
    public bool MarkEvicted(string id) => Transition(id, [EdgeState.Verified], EdgeState.Evicted, null);

    /// <summary>uploaded -> expired: the catalog says retention deleted it from the archive. Final: never uploaded again.</summary>
    public bool MarkExpired(string id, string reason) => Transition(id, [EdgeState.Uploaded], EdgeState.Expired, "last_error = $err", ("$err", reason));

    /// <summary>Back to sealed from the state the caller saw (the cloud quarantined the upload; it is not in the bucket; the upload was interrupted).</summary>
    /// <param name="keepSession">True when the upload was only interrupted: the next attempt resumes its session.</param>
    public bool RequeueForUpload(string id, EdgeState expected, string reason, bool keepSession = false) =>
        Transition(id, [expected], EdgeState.Sealed,
            "attempts = attempts + 1, last_error = $err, generation = NULL" + (keepSession ? "" : ", session_uri = NULL"), ("$err", reason));

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

    public IReadOnlyDictionary<EdgeState, long> CountByState()
    {
        var counts = Enum.GetValues<EdgeState>().ToDictionary(s => s, _ => 0L);
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("SELECT state, COUNT(*) FROM segments GROUP BY state");
        using SqliteDataReader r = q.ExecuteReader();
        while (r.Read())
        {
            counts[StateNames.ParseEdge(r.GetString(0))] = r.GetInt64(1);
        }
        return counts;
    }

    /// <summary>When the oldest segment that is not verified, evicted, lost or expired was sealed; null when there is none.</summary>
    public DateTimeOffset? OldestPendingSealedAt()
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("SELECT MIN(created_ms) FROM segments WHERE state NOT IN ('verified', 'evicted', 'lost', 'expired')");
        return q.ExecuteScalar() is long ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
    }

    // ---- gaps ----

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

    // ---- helpers ----

    /// <summary>
    /// A compare-and-set state change: applied only while the row is in one of <paramref name="expected"/>; false when it
    /// is not (another writer got there first). A lost race is never overwritten; the caller reports it.
    /// </summary>
    private bool Transition(string id, IReadOnlyList<EdgeState> expected, EdgeState target, string? set, params (string, object?)[] parameters)
    {
        using SqliteConnection c = _db.Open();
        var states = expected.Select((state, i) => ($"$s{i}", (object?)state.ToWire())).ToList();
        using SqliteCommand q = c.Command(
            $"UPDATE segments SET state = $target{(set is null ? "" : ", " + set)}, updated_ms = $now WHERE id = $id AND state IN ({string.Join(", ", states.Select(p => p.Item1))})",
            [("$target", target.ToWire()), ("$now", Now), ("$id", id), .. states, .. parameters]);
        return q.ExecuteNonQuery() == 1;
    }

    private void Update(string id, string set, params (string, object?)[] parameters)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command($"UPDATE segments SET {set}, updated_ms = $now WHERE id = $id", [("$now", Now), ("$id", id), .. parameters]);
        if (q.ExecuteNonQuery() != 1)
        {
            throw new InvalidOperationException($"No outbox row {id}.");
        }
    }

    private static List<OutboxSegment> ReadSegments(SqliteCommand q)
    {
        using SqliteDataReader r = q.ExecuteReader();
        var rows = new List<OutboxSegment>();
        while (r.Read())
        {
            string S(string col) => r.GetString(r.GetOrdinal(col));
            long L(string col) => r.GetInt64(r.GetOrdinal(col));
            rows.Add(new OutboxSegment(S("id"), S("camera_id"), L("run"), L("seq"), S("path"),
                DateTimeOffset.FromUnixTimeMilliseconds(L("start_ms")), DateTimeOffset.FromUnixTimeMilliseconds(L("end_ms")),
                L("size"), S("sha256"), S("crc32c"), r.GetNullableString("md5"), S("object_name"), StateNames.ParseEdge(S("state")), (int)L("attempts"),
                r.GetNullableString("last_error"),
                r.GetNullableInt64("next_attempt_ms") is { } n ? DateTimeOffset.FromUnixTimeMilliseconds(n) : null,
                r.GetNullableInt64("generation"), L("announced") == 1, DateTimeOffset.FromUnixTimeMilliseconds(L("created_ms")),
                r.GetNullableString("session_uri") is { } uri ? new Uri(uri) : null, (int)L("resumes"), (int)L("retries")));
        }
        return rows;
    }

    private static List<CameraRun> ReadRuns(SqliteCommand q)
    {
        using SqliteDataReader r = q.ExecuteReader();
        var runs = new List<CameraRun>();
        while (r.Read())
        {
            runs.Add(new CameraRun(r.GetString(r.GetOrdinal("camera_id")), r.GetInt64(r.GetOrdinal("run")),
                DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(r.GetOrdinal("started_ms"))),
                r.GetNullableInt64("ended_ms") is { } e ? DateTimeOffset.FromUnixTimeMilliseconds(e) : null,
                r.GetNullableString("end_reason"), r.GetNullableInt64("anchor_ms"), r.GetInt64(r.GetOrdinal("sealed")) == 1));
        }
        return runs;
    }
}
