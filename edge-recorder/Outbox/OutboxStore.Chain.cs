using Cctv.Shared.Domain;
using Cctv.Shared.Evidence;
using Cctv.Shared.Sqlite;
using Microsoft.Data.Sqlite;

namespace Cctv.EdgeRecorder.Outbox;

/// <summary>A manifest the recorder signed, its file's bytes and its upload's bookkeeping.</summary>
public sealed record OutboxManifest(string RecorderId, string CameraId, long Sequence, long First, long Last, string Hash, byte[] File,
    string ObjectName, string State, int Attempts, string? LastError, DateTimeOffset? NextAttemptAt, long? Generation, DateTimeOffset SignedAt);

/// <summary>
/// Each camera's evidence chain (docs/evidence-format.md) and the manifests signed over it. Entries are appended in one
/// transaction from what the outbox holds: every sealed segment and every closed gap that is not in its camera's chain
/// yet, oldest first. So the chain catches up after any crash between a segment's row and its entry, idempotently (an
/// item is chained once: <c>ref</c> is unique), and a segment row never needs to know about the chain.
/// </summary>
public sealed partial class OutboxStore
{
    private const string ChainSchema = """

        CREATE TABLE IF NOT EXISTS chain (
            recorder_id TEXT NOT NULL,
            camera_id TEXT NOT NULL,
            idx INTEGER NOT NULL,
            ref TEXT NOT NULL UNIQUE,
            bytes BLOB NOT NULL,
            hash TEXT NOT NULL,
            appended_ms INTEGER NOT NULL,
            PRIMARY KEY (recorder_id, camera_id, idx)
        );
        CREATE TABLE IF NOT EXISTS manifests (
            recorder_id TEXT NOT NULL,
            camera_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            first_idx INTEGER NOT NULL,
            last_idx INTEGER NOT NULL,
            hash TEXT NOT NULL,
            file BLOB NOT NULL,
            object_name TEXT NOT NULL,
            state TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            next_attempt_ms INTEGER,
            generation INTEGER,
            signed_ms INTEGER NOT NULL,
            PRIMARY KEY (recorder_id, camera_id, seq)
        );
        CREATE INDEX IF NOT EXISTS manifests_by_state ON manifests (state, next_attempt_ms);
        """;

    public const string ManifestPending = "pending";
    public const string ManifestUploaded = "uploaded";

    /// <summary>
    /// Appends to each camera's chain every segment of <paramref name="recorderId"/> and every closed gap not chained yet,
    /// in time order (a gap before the footage that closed it). Returns how many entries it appended.
    /// </summary>
    public int AppendChain(string recorderId)
    {
        using SqliteConnection c = _db.Open();
        using SqliteTransaction tx = c.BeginTransaction();
        var items = new List<(string Camera, long StartMs, int Order, string Ref, Func<CameraKey, ChainEntry?, ChainEntry> Entry)>();
        // Rows never leave the segments table, so asking every row whether it is chained cost a pass more each day (at
        // 4-second segments, 16 cameras add 345,600 rows a day). A new row takes a rowid above every earlier one: the rows
        // above the highest this store saw when it last appended are enough, with a whole look now and then (the first
        // pass, then hourly) in case rowids were renumbered underneath (a VACUUM by another tool).
        DateTimeOffset now = _time.GetUtcNow();
        (long through, DateTimeOffset wholeAt) = _chainLooks.GetValueOrDefault(recorderId, (long.MinValue, DateTimeOffset.MinValue));
        bool whole = now - wholeAt >= ChainWholeLookInterval || now < wholeAt;
        long highest = whole ? long.MinValue : through;
        using (SqliteCommand q = Tx(c, tx, """
            SELECT s.id, s.camera_id, s.run, s.seq, s.start_ms, s.end_ms, s.size, s.sha256 FROM segments s
            WHERE s.rowid > $after AND NOT EXISTS (SELECT 1 FROM chain ch WHERE ch.ref = s.id)
            """, ("$after", highest)))
        using (SqliteDataReader r = q.ExecuteReader())
        {
            while (r.Read())
            {
                (string id, string camera, long run, long seq) = (r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetInt64(3));
                if (RecordingId.For(recorderId, camera, run, seq) != id)
                {
                    continue; // sealed under another recorder ID (the ID was changed): not this recorder's chain
                }
                (long start, long end, long size, string sha) = (r.GetInt64(4), r.GetInt64(5), r.GetInt64(6), r.GetString(7));
                items.Add((camera, start, 1, id, (key, previous) => ChainEntry.NextSegment(key, previous, run, seq,
                    DateTimeOffset.FromUnixTimeMilliseconds(start), DateTimeOffset.FromUnixTimeMilliseconds(end), size, sha)));
            }
        }
        using (SqliteCommand q = Tx(c, tx, """
            SELECT g.id, g.camera_id, g.start_ms, g.end_ms, g.reason FROM gaps g
            WHERE g.end_ms IS NOT NULL AND NOT EXISTS (SELECT 1 FROM chain ch WHERE ch.ref = g.id)
            """))
        using (SqliteDataReader r = q.ExecuteReader())
        {
            while (r.Read())
            {
                (string id, string camera, long start, long end, string reason) = (r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetInt64(3), r.GetString(4));
                if (end < start)
                {
                    // The wall clock went back across the gap: the entry keeps both times' truth in words, never a negative span.
                    reason += $" (recorded end {DateTimeOffset.FromUnixTimeMilliseconds(end):O} is before its start)";
                    end = start;
                }
                items.Add((camera, start, 0, id, (key, previous) => ChainEntry.NextGap(key, previous,
                    DateTimeOffset.FromUnixTimeMilliseconds(start), DateTimeOffset.FromUnixTimeMilliseconds(end), reason)));
            }
        }
        int appended = 0;
        foreach (var camera in items.GroupBy(i => i.Camera))
        {
            var key = new CameraKey(recorderId, camera.Key);
            ChainEntry? previous = ChainHead(c, tx, key);
            foreach (var item in camera.OrderBy(i => i.StartMs).ThenBy(i => i.Order).ThenBy(i => i.Ref, StringComparer.Ordinal))
            {
                ChainEntry entry = item.Entry(key, previous);
                using SqliteCommand insert = Tx(c, tx, """
                    INSERT INTO chain (recorder_id, camera_id, idx, ref, bytes, hash, appended_ms) VALUES ($rec, $cam, $idx, $ref, $bytes, $hash, $now)
                    """, ("$rec", recorderId), ("$cam", camera.Key), ("$idx", entry.Index), ("$ref", item.Ref), ("$bytes", entry.Bytes),
                    ("$hash", entry.Hash), ("$now", Now));
                insert.ExecuteNonQuery();
                previous = entry;
                appended++;
            }
        }
        using (SqliteCommand last = Tx(c, tx, "SELECT COALESCE(MAX(rowid), 0) FROM segments"))
        {
            highest = Math.Max(highest, (long)last.ExecuteScalar()!); // the same snapshot: every row up to it was looked at
        }
        tx.Commit();
        _chainLooks[recorderId] = (highest, whole ? now : wholeAt);
        return appended;
    }

    /// <summary>How often <see cref="AppendChain"/> looks at every segment row, not only the new ones.</summary>
    internal static readonly TimeSpan ChainWholeLookInterval = TimeSpan.FromHours(1);

    /// <summary>
    /// Per recorder ID chained here: every segment row up to <c>Through</c> (a rowid) is in its chain or not its to chain,
    /// as of the last append; and when every row was last looked at. Read and written under the database's gate.
    /// </summary>
    private readonly Dictionary<string, (long Through, DateTimeOffset WholeAt)> _chainLooks = new(StringComparer.Ordinal);

    /// <summary>The last entry of a camera's chain, or null when it has none.</summary>
    public ChainEntry? ChainHead(CameraKey camera)
    {
        using SqliteConnection c = _db.Open();
        return ChainHead(c, null, camera);
    }

    /// <summary>Entries <paramref name="first"/> to <paramref name="last"/> of a camera's chain, in order.</summary>
    public IReadOnlyList<ChainEntry> ChainEntries(CameraKey camera, long first, long last)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("SELECT bytes FROM chain WHERE recorder_id = $rec AND camera_id = $cam AND idx BETWEEN $first AND $last ORDER BY idx",
            ("$rec", camera.RecorderId), ("$cam", camera.CameraId), ("$first", first), ("$last", last));
        return ReadEntries(q);
    }

    /// <summary>The cameras of <paramref name="recorderId"/> whose chain has entries no manifest covers yet.</summary>
    public IReadOnlyList<string> CamerasWithUnsignedEntries(string recorderId)
    {
        using SqliteConnection c = _db.Open();
        // Camera by camera through the chain's key (recorder, camera, idx), each step an index seek: grouping the chain's
        // rows read all of them, a cost that grew with every entry ever appended.
        using SqliteCommand q = c.Command("""
            WITH RECURSIVE cams(cam) AS (
                SELECT MIN(camera_id) FROM chain WHERE recorder_id = $rec
                UNION ALL
                SELECT (SELECT MIN(camera_id) FROM chain WHERE recorder_id = $rec AND camera_id > cams.cam) FROM cams WHERE cams.cam IS NOT NULL)
            SELECT cam FROM cams WHERE cam IS NOT NULL
            AND (SELECT MAX(idx) FROM chain WHERE recorder_id = $rec AND camera_id = cam)
                > COALESCE((SELECT MAX(m.last_idx) FROM manifests m WHERE m.recorder_id = $rec AND m.camera_id = cam), -1)
            ORDER BY cam
            """, ("$rec", recorderId));
        using SqliteDataReader r = q.ExecuteReader();
        var cameras = new List<string>();
        while (r.Read())
        {
            cameras.Add(r.GetString(0));
        }
        return cameras;
    }

    /// <summary>Whether a run of the camera has ended and been sealed with footage that no manifest covers yet (then a manifest is due now).</summary>
    public bool EndedRunUnsigned(CameraKey camera)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("""
            SELECT EXISTS (SELECT 1 FROM chain ch JOIN segments s ON s.id = ch.ref JOIN runs r ON r.camera_id = s.camera_id AND r.run = s.run
                WHERE ch.recorder_id = $rec AND ch.camera_id = $cam AND r.sealed = 1
                AND ch.idx > COALESCE((SELECT MAX(m.last_idx) FROM manifests m WHERE m.recorder_id = $rec AND m.camera_id = $cam), -1))
            """, ("$rec", camera.RecorderId), ("$cam", camera.CameraId));
        return (long)q.ExecuteScalar()! == 1;
    }

    /// <summary>When the camera's latest manifest was signed, or null when it has none.</summary>
    public DateTimeOffset? LastManifestSignedAt(CameraKey camera)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("SELECT signed_ms FROM manifests WHERE recorder_id = $rec AND camera_id = $cam ORDER BY seq DESC LIMIT 1",
            ("$rec", camera.RecorderId), ("$cam", camera.CameraId));
        return q.ExecuteScalar() is long ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
    }

    /// <summary>The camera's latest manifest, or null when it has none.</summary>
    public OutboxManifest? LastManifest(CameraKey camera)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("SELECT * FROM manifests WHERE recorder_id = $rec AND camera_id = $cam ORDER BY seq DESC LIMIT 1",
            ("$rec", camera.RecorderId), ("$cam", camera.CameraId));
        return ReadManifests(q).FirstOrDefault();
    }

    /// <summary>Stores a signed manifest, due for upload now; false when the camera has one with that sequence already (nothing changes).</summary>
    public bool InsertManifest(ChainManifest manifest, byte[] file, string objectName)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("""
            INSERT INTO manifests (recorder_id, camera_id, seq, first_idx, last_idx, hash, file, object_name, state, next_attempt_ms, signed_ms)
            VALUES ($rec, $cam, $seq, $first, $last, $hash, $file, $obj, $state, $now, $signed) ON CONFLICT DO NOTHING
            """, ("$rec", manifest.Camera.RecorderId), ("$cam", manifest.Camera.CameraId), ("$seq", manifest.Sequence), ("$first", manifest.First),
            ("$last", manifest.Last), ("$hash", manifest.Hash), ("$file", file), ("$obj", objectName), ("$state", ManifestPending), ("$now", Now),
            ("$signed", manifest.SignedAt.ToUnixTimeMilliseconds()));
        return q.ExecuteNonQuery() == 1;
    }

    /// <summary>Manifests not uploaded yet whose next attempt is due, oldest first (per camera in sequence order).</summary>
    public IReadOnlyList<OutboxManifest> DueManifests(int limit)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("SELECT * FROM manifests WHERE state = $state AND next_attempt_ms <= $now ORDER BY signed_ms, seq LIMIT $limit",
            ("$state", ManifestPending), ("$now", Now), ("$limit", limit));
        return ReadManifests(q);
    }

    public IReadOnlyList<OutboxManifest> Manifests(CameraKey camera)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("SELECT * FROM manifests WHERE recorder_id = $rec AND camera_id = $cam ORDER BY seq",
            ("$rec", camera.RecorderId), ("$cam", camera.CameraId));
        return ReadManifests(q);
    }

    public void MarkManifestUploaded(OutboxManifest m, long generation) => UpdateManifest(m,
        "state = $state, generation = $gen, last_error = NULL, next_attempt_ms = NULL", ("$state", ManifestUploaded), ("$gen", generation));

    public void MarkManifestFailed(OutboxManifest m, string error, DateTimeOffset nextAttempt) => UpdateManifest(m,
        "attempts = attempts + 1, last_error = $err, next_attempt_ms = $next", ("$err", error), ("$next", nextAttempt.ToUnixTimeMilliseconds()));

    private void UpdateManifest(OutboxManifest m, string set, params (string, object?)[] parameters)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command($"UPDATE manifests SET {set} WHERE recorder_id = $rec AND camera_id = $cam AND seq = $seq",
            [("$rec", m.RecorderId), ("$cam", m.CameraId), ("$seq", m.Sequence), .. parameters]);
        q.ExecuteNonQuery();
    }

    private static ChainEntry? ChainHead(SqliteConnection c, SqliteTransaction? tx, CameraKey camera)
    {
        using SqliteCommand q = Tx(c, tx, "SELECT bytes FROM chain WHERE recorder_id = $rec AND camera_id = $cam ORDER BY idx DESC LIMIT 1",
            ("$rec", camera.RecorderId), ("$cam", camera.CameraId));
        return ReadEntries(q).FirstOrDefault();
    }

    private static List<ChainEntry> ReadEntries(SqliteCommand q)
    {
        using SqliteDataReader r = q.ExecuteReader();
        var entries = new List<ChainEntry>();
        while (r.Read())
        {
            byte[] bytes = (byte[])r.GetValue(0);
            entries.Add(ChainEntry.TryParse(bytes, out string? error)
                ?? throw new InvalidOperationException($"The outbox's chain holds an entry that is not canonical ({error}): the outbox was changed outside the recorder."));
        }
        return entries;
    }

    private static List<OutboxManifest> ReadManifests(SqliteCommand q)
    {
        using SqliteDataReader r = q.ExecuteReader();
        var rows = new List<OutboxManifest>();
        while (r.Read())
        {
            string S(string col) => r.GetString(r.GetOrdinal(col));
            long L(string col) => r.GetInt64(r.GetOrdinal(col));
            rows.Add(new OutboxManifest(S("recorder_id"), S("camera_id"), L("seq"), L("first_idx"), L("last_idx"), S("hash"), (byte[])r.GetValue(r.GetOrdinal("file")),
                S("object_name"), S("state"), (int)L("attempts"), r.GetNullableString("last_error"),
                r.GetNullableInt64("next_attempt_ms") is { } n ? DateTimeOffset.FromUnixTimeMilliseconds(n) : null, r.GetNullableInt64("generation"),
                DateTimeOffset.FromUnixTimeMilliseconds(L("signed_ms"))));
        }
        return rows;
    }

    private static SqliteCommand Tx(SqliteConnection c, SqliteTransaction? tx, string sql, params (string, object?)[] parameters)
    {
        SqliteCommand command = c.Command(sql, parameters);
        command.Transaction = tx;
        return command;
    }
}
