using Cctv.Shared.Domain;
using Cctv.Shared.Sqlite;
using Microsoft.Data.Sqlite;

namespace Cctv.EdgeRecorder.Outbox;

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
            clock_state TEXT,
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
        _db = new SqliteDatabase(path, Schema + ChainSchema + LiveTailSchema);
        _time = time;
        AddColumnIfMissing("segments", "resumes", "INTEGER NOT NULL DEFAULT 0");
        AddColumnIfMissing("segments", "loss_synced", "INTEGER NOT NULL DEFAULT 0");
        AddColumnIfMissing("segments", "retries", "INTEGER NOT NULL DEFAULT 0");
        AddColumnIfMissing("segments", "uploaded_ms", "INTEGER");
        AddColumnIfMissing("runs", "clock_state", "TEXT");
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

    /// <summary>
    /// A compare-and-set state change: applied only while the row is in one of <paramref name="expected"/>; false when it
    /// is not (another writer got there first). A lost race is never overwritten; the caller reports it.
    /// </summary>
    private bool Transition(string id, IReadOnlyList<EdgeState> expected, EdgeState target, string? set, params (string, object?)[] parameters)
    {
        using SqliteConnection c = _db.Open();
        return Transition(c, null, id, expected, target, set, parameters);
    }

    private bool Transition(SqliteConnection c, SqliteTransaction? tx, string id, IReadOnlyList<EdgeState> expected, EdgeState target, string? set,
        params (string, object?)[] parameters)
    {
        var states = expected.Select((state, i) => ($"$s{i}", (object?)state.ToWire())).ToList();
        using SqliteCommand q = c.Command(
            $"UPDATE segments SET state = $target{(set is null ? "" : ", " + set)}, updated_ms = $now WHERE id = $id AND state IN ({string.Join(", ", states.Select(p => p.Item1))})",
            [("$target", target.ToWire()), ("$now", Now), ("$id", id), .. states, .. parameters]);
        q.Transaction = tx;
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
                r.GetNullableString("end_reason"), r.GetNullableInt64("anchor_ms"), r.GetInt64(r.GetOrdinal("sealed")) == 1,
                ClockStateJson.Parse(r.GetNullableString("clock_state"))));
        }
        return runs;
    }
}
