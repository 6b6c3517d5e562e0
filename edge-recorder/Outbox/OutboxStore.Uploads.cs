using Cctv.Shared.Domain;
using Cctv.Shared.Sqlite;
using Microsoft.Data.Sqlite;

namespace Cctv.EdgeRecorder.Outbox;

public sealed partial class OutboxStore
{
    /// <summary>
    /// Segments due for upload, oldest recording first among those tried as often (so a segment that keeps failing
    /// cannot starve the ones behind it); claimed (state uploading) in the same transaction.
    /// </summary>
    /// <remarks>
    /// The claim does not wait for the disk (<see cref="SqliteDatabase.OpenUnflushed"/>): every start releases the claims
    /// it finds (<see cref="ReleaseClaims"/>), so one that a power cut takes back was going to be undone anyway. One fsync
    /// a segment fewer, on the small boxes' SD cards too.
    /// </remarks>
    public IReadOnlyList<OutboxSegment> ClaimDue(int limit, string? onlyId = null)
    {
        using SqliteConnection c = _db.OpenUnflushed();
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

    /// <summary>
    /// The catalog took these announcements: one commit, not waiting for the disk (<see cref="SqliteDatabase.OpenUnflushed"/>).
    /// A power cut that takes the marks back only has them announced again, which the catalog takes as a no-op.
    /// </summary>
    public void MarkAnnounced(IReadOnlyCollection<string> ids)
    {
        using SqliteConnection c = _db.OpenUnflushed();
        using SqliteTransaction tx = c.BeginTransaction();
        foreach (string id in ids)
        {
            using SqliteCommand q = Tx(c, tx, "UPDATE segments SET announced = 1, updated_ms = $now WHERE id = $id", ("$now", Now), ("$id", id));
            if (q.ExecuteNonQuery() != 1)
            {
                throw new InvalidOperationException($"No outbox row {id}.");
            }
        }
        tx.Commit();
    }

    /// <summary>
    /// uploading -> uploaded. False when the row is no longer being uploaded (another writer changed it): the caller reports it.
    /// With <paramref name="endingLiveTail"/>, the segment's live tail row goes in the same commit.
    /// </summary>
    /// <remarks>
    /// Committed without waiting for the disk (<see cref="SqliteDatabase.OpenUnflushed"/>; the next ordinary commit makes it
    /// durable, the seal pass's within seconds). A power cut that takes it back leaves the row uploading, which the next start
    /// makes due again: the segment goes again, create-only, and the bucket's object is taken as it is when its CRC32C is the
    /// file's (a finished live tail's session answers with the object). What deletes the files of uploaded rows flushes
    /// first (<see cref="FlushCommits"/> in the disk budget), so a row taken back always still has its file. One fsync a
    /// segment fewer: four a second at 16 cameras.
    /// </remarks>
    public bool MarkUploaded(string id, long generation, bool endingLiveTail = false)
    {
        using SqliteConnection c = _db.OpenUnflushed();
        using SqliteTransaction tx = c.BeginTransaction();
        if (!Transition(c, tx, id, [EdgeState.Uploading], EdgeState.Uploaded,
            "generation = $gen, last_error = NULL, next_attempt_ms = NULL, session_uri = NULL, uploaded_ms = $at", ("$gen", generation), ("$at", Now)))
        {
            return false;
        }
        if (endingLiveTail)
        {
            using SqliteCommand q = c.Command("DELETE FROM live_tails WHERE recording_id = $id", ("$id", id));
            q.Transaction = tx;
            q.ExecuteNonQuery();
        }
        tx.Commit();
        return true;
    }

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
}
