using Cctv.Shared.Domain;
using Cctv.Shared.Ports;
using Cctv.Shared.Sqlite;
using Microsoft.Data.Sqlite;

namespace Cctv.Shared.Local;

/// <summary>
/// The embedded backend's catalog: one SQLite file shared by the edge and the functions host.
/// Each state change is one UPDATE guarded by the states it may leave, so it is atomic across
/// processes and repeating it changes nothing.
/// </summary>
public sealed partial class SqliteCatalog : ICatalog
{
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS recordings (
            id TEXT PRIMARY KEY,
            recorder_id TEXT NOT NULL,
            camera_id TEXT NOT NULL,
            camera_name TEXT NOT NULL,
            run INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            start_ms INTEGER NOT NULL,
            end_ms INTEGER NOT NULL,
            file_size INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            crc32c TEXT NOT NULL,
            md5 TEXT,
            content_type TEXT NOT NULL,
            staging_object TEXT NOT NULL,
            state TEXT NOT NULL,
            reason TEXT,
            staging_generation INTEGER,
            archive_object TEXT,
            archive_generation INTEGER,
            announced_ms INTEGER NOT NULL,
            staged_ms INTEGER,
            archived_ms INTEGER,
            updated_ms INTEGER NOT NULL,
            version INTEGER NOT NULL,
            legal_hold INTEGER NOT NULL DEFAULT 0,
            legal_hold_reason TEXT,
            archive_delay_ms INTEGER,
            on_time INTEGER NOT NULL DEFAULT 0,
            clock_state TEXT
        );
        CREATE INDEX IF NOT EXISTS recordings_by_recorder_camera_time ON recordings (recorder_id, camera_id, start_ms DESC, id DESC);
        CREATE INDEX IF NOT EXISTS recordings_by_time ON recordings (start_ms DESC, id DESC);
        CREATE INDEX IF NOT EXISTS recordings_by_state ON recordings (state, announced_ms);
        CREATE TABLE IF NOT EXISTS gaps (
            id TEXT PRIMARY KEY,
            recorder_id TEXT NOT NULL,
            camera_id TEXT NOT NULL,
            start_ms INTEGER NOT NULL,
            end_ms INTEGER,
            reason TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS gaps_by_recorder_camera_time ON gaps (recorder_id, camera_id, start_ms);
        CREATE TABLE IF NOT EXISTS cameras (
            recorder_id TEXT NOT NULL,
            id TEXT NOT NULL,
            name TEXT NOT NULL,
            PRIMARY KEY (recorder_id, id)
        );
        CREATE TABLE IF NOT EXISTS recorders (
            id TEXT PRIMARY KEY,
            sent_ms INTEGER NOT NULL,
            received_ms INTEGER NOT NULL,
            backlog_segments INTEGER NOT NULL,
            backlog_bytes INTEGER NOT NULL,
            oldest_backlog_ms INTEGER,
            agent_version TEXT
        );
        CREATE TABLE IF NOT EXISTS checkpoints (
            name TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            updated_ms INTEGER NOT NULL
        );
        """ + AccessSchema + RecorderClaimsSchema + AuditSchema + EvidenceSchema + LiveSessionsSchema;

    /// <summary>Columns added after the first release, for catalogs created before them (ALTER TABLE ADD COLUMN).</summary>
    private static readonly (string Column, string Definition)[] AddedColumns =
    [
        ("legal_hold", "INTEGER NOT NULL DEFAULT 0"),
        ("legal_hold_reason", "TEXT"),
        ("archive_delay_ms", "INTEGER"),
        ("on_time", "INTEGER NOT NULL DEFAULT 0"),
        ("clock_state", "TEXT"),
        ("recorder_announcement", "TEXT"),
        ("replacement_refused", "TEXT"),
    ];

    /// <summary>Indexes over the added columns: created once the columns exist.</summary>
    private const string AddedIndexes = """
        CREATE INDEX IF NOT EXISTS recordings_for_retention_by_recorder ON recordings (recorder_id, camera_id, state, legal_hold, start_ms);
        CREATE INDEX IF NOT EXISTS recordings_by_end ON recordings (end_ms, on_time);
        CREATE INDEX IF NOT EXISTS recordings_under_legal_hold ON recordings (id) WHERE legal_hold = 1;
        DROP INDEX IF EXISTS recordings_for_retention;
        DROP INDEX IF EXISTS recordings_by_camera_time;
        DROP INDEX IF EXISTS gaps_by_camera_time;
        """;

    /// <summary>
    /// A catalog made when a camera was its bare ID (one <c>cameras</c> row per ID, the last recorder to start won):
    /// the table is rebuilt keyed by recorder and camera, and every camera that has recordings or gaps gets its row
    /// back (the name of its newest recording), so a camera another site's recorder had taken over reappears.
    /// </summary>
    private const string CamerasByRecorder = """
        CREATE TABLE cameras_by_recorder (
            recorder_id TEXT NOT NULL,
            id TEXT NOT NULL,
            name TEXT NOT NULL,
            PRIMARY KEY (recorder_id, id)
        );
        INSERT INTO cameras_by_recorder (recorder_id, id, name) SELECT recorder_id, id, name FROM cameras;
        INSERT OR IGNORE INTO cameras_by_recorder (recorder_id, id, name)
            SELECT recorder_id, camera_id, camera_name FROM (
                SELECT recorder_id, camera_id, camera_name, MAX(start_ms) FROM recordings GROUP BY recorder_id, camera_id);
        INSERT OR IGNORE INTO cameras_by_recorder (recorder_id, id, name) SELECT DISTINCT recorder_id, camera_id, camera_id FROM gaps;
        DROP TABLE cameras;
        ALTER TABLE cameras_by_recorder RENAME TO cameras;
        """;

    private readonly SqliteDatabase _db;
    private readonly TimeProvider _time;

    public SqliteCatalog(string path, TimeProvider time)
    {
        _db = new SqliteDatabase(path, Schema);
        _time = time;
        Migrate();
        // New recordings have no MD5 (see SegmentHasher); an older catalog's md5 column was NOT NULL. Old rows keep theirs.
        using SqliteConnection c = _db.Open();
        c.MakeColumnNullable("recordings", "md5", "TEXT");
    }

    private void Migrate()
    {
        using SqliteConnection c = _db.Open();
        using SqliteTransaction tx = c.BeginTransaction();
        var existing = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        using (SqliteCommand info = c.Command("SELECT name FROM pragma_table_info('recordings')"))
        {
            info.Transaction = tx;
            using SqliteDataReader r = info.ExecuteReader();
            while (r.Read())
            {
                existing.Add(r.GetString(0));
            }
        }
        using (SqliteCommand keyed = c.Command("SELECT pk FROM pragma_table_info('cameras') WHERE name = 'recorder_id'"))
        {
            keyed.Transaction = tx;
            if (keyed.ExecuteScalar() is long pk && pk == 0)
            {
                using SqliteCommand rebuild = c.Command(CamerasByRecorder);
                rebuild.Transaction = tx;
                rebuild.ExecuteNonQuery();
            }
        }
        foreach ((string column, string definition) in AddedColumns.Where(a => !existing.Contains(a.Column)))
        {
            using SqliteCommand add = c.Command($"ALTER TABLE recordings ADD COLUMN {column} {definition}");
            add.Transaction = tx;
            add.ExecuteNonQuery();
        }
        using (SqliteCommand indexes = c.Command(AddedIndexes))
        {
            indexes.Transaction = tx;
            indexes.ExecuteNonQuery();
        }
        tx.Commit();
    }

    /// <summary>One at a time: each is a short local transaction.</summary>
    public async Task AnnounceManyAsync(IReadOnlyList<RecordingAnnouncement> announcements, CancellationToken cancellationToken)
    {
        foreach (RecordingAnnouncement a in announcements)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await AnnounceAsync(a, cancellationToken);
        }
    }

    public Task AnnounceAsync(RecordingAnnouncement announcement, CancellationToken cancellationToken)
    {
        RecordingAnnouncement a = announcement;
        long now = _time.GetUtcNow().ToUnixMs();
        using SqliteConnection c = _db.Open();
        using SqliteCommand insert = c.Command("""
            INSERT INTO recordings (id, recorder_id, camera_id, camera_name, run, seq, start_ms, end_ms, file_size, sha256, crc32c, md5,
                content_type, staging_object, state, announced_ms, updated_ms, version, clock_state)
            VALUES ($id, $rec, $cam, $camName, $run, $seq, $start, $end, $size, $sha, $crc, $md5, $type, $staging, 'announced', $now, $now, 1, $clock)
            ON CONFLICT (id) DO NOTHING
            """,
            ("$id", a.Id), ("$rec", a.RecorderId), ("$cam", a.CameraId), ("$camName", a.CameraName), ("$run", a.Run), ("$seq", a.Sequence),
            ("$start", a.StartTime.ToUnixMs()), ("$end", a.EndTime.ToUnixMs()), ("$size", a.FileSize), ("$sha", a.Sha256),
            ("$crc", a.Crc32C), ("$md5", a.Md5), ("$type", a.ContentType), ("$staging", a.StagingObject), ("$now", now), ("$clock", ClockStateJson.Write(a.Clock)));
        if (insert.ExecuteNonQuery() == 0)
        {
            using SqliteCommand existing = c.Command("SELECT sha256, file_size, state, staging_object, recorder_announcement FROM recordings WHERE id = $id",
                ("$id", a.Id));
            using SqliteDataReader r = existing.ExecuteReader();
            if (!r.Read())
            {
                return Task.CompletedTask;
            }
            if (StateNames.ParseCloud(r.GetString(2)) is CloudState.Salvaging or CloudState.Salvaged)
            {
                AnnounceSalvaged(c, a, r.GetString(3), r.GetNullableString("recorder_announcement"));
            }
            else if (r.GetString(0) != a.Sha256 || r.GetInt64(1) != a.FileSize)
            {
                throw new InvalidOperationException(
                    $"Recording {a.Id} was announced before with SHA-256 {r.GetString(0)} and {r.GetInt64(1)} bytes; now with {a.Sha256} and {a.FileSize} bytes.");
            }
        }
        return Task.CompletedTask;
    }

    public Task<Recording?> GetAsync(string id, CancellationToken cancellationToken)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("SELECT * FROM recordings WHERE id = $id", ("$id", id));
        using SqliteDataReader r = q.ExecuteReader();
        return Task.FromResult(r.Read() ? ReadRecording(r) : null);
    }

    public Task<IReadOnlyList<Recording>> GetManyAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken)
    {
        var result = new List<Recording>();
        using SqliteConnection c = _db.Open();
        foreach (string id in ids.Distinct())
        {
            using SqliteCommand q = c.Command("SELECT * FROM recordings WHERE id = $id", ("$id", id));
            using SqliteDataReader r = q.ExecuteReader();
            if (r.Read())
            {
                result.Add(ReadRecording(r));
            }
        }
        return Task.FromResult<IReadOnlyList<Recording>>(result);
    }

    public Task<TransitionOutcome> MarkStagedAsync(string id, long stagingGeneration, CancellationToken cancellationToken) =>
        Transition(id, CloudState.Staged,
            "staging_generation = $gen, staged_ms = $now, reason = NULL", ("$gen", stagingGeneration));

    public Task<TransitionOutcome> MarkArchivedAsync(string id, string archiveObject, long archiveGeneration, CancellationToken cancellationToken) =>
        Transition(id, CloudState.Archived,
            "archive_object = $obj, archive_generation = $gen, archived_ms = $now, archive_delay_ms = $now - end_ms, on_time = ($now - end_ms <= $onTimeMs)",
            ("$obj", archiveObject), ("$gen", archiveGeneration), ("$onTimeMs", (long)DeliveryTarget.ArchiveWithin.TotalMilliseconds));

    public Task<TransitionOutcome> MarkQuarantinedAsync(string id, string reason, CancellationToken cancellationToken) =>
        Transition(id, CloudState.Quarantined, "reason = $reason", ("$reason", reason));

    public Task<TransitionOutcome> MarkLostAsync(string id, string reason, CancellationToken cancellationToken) =>
        Transition(id, CloudState.Lost, "reason = $reason", ("$reason", reason));

    public Task<TransitionOutcome> MarkExpiredAsync(string id, string reason, CancellationToken cancellationToken) =>
        Transition(id, CloudState.Expired, "reason = $reason", "legal_hold = 0", ("$reason", reason));

    public Task<TransitionOutcome> SetLegalHoldAsync(string id, bool hold, string? reason, CancellationToken cancellationToken)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand update = c.Command("""
            UPDATE recordings SET legal_hold = $hold, legal_hold_reason = $reason, updated_ms = $now, version = version + 1
            WHERE id = $id AND legal_hold != $hold AND state != 'expired'
            """, ("$hold", hold ? 1 : 0), ("$reason", hold ? reason : null), ("$now", _time.GetUtcNow().ToUnixMs()), ("$id", id));
        if (update.ExecuteNonQuery() == 1)
        {
            return Task.FromResult(TransitionOutcome.Applied);
        }
        using SqliteCommand current = c.Command("SELECT legal_hold FROM recordings WHERE id = $id", ("$id", id));
        object? held = current.ExecuteScalar();
        TransitionOutcome outcome = held is null ? TransitionOutcome.NotFound
            : ((long)held != 0) == hold ? TransitionOutcome.AlreadyDone
            : TransitionOutcome.Refused;
        return Task.FromResult(outcome);
    }

    /// <summary>
    /// Recordings overlapping [From, To) of the cameras asked for, within the scope, newest first (start time, then ID).
    /// The scope is a condition of the query itself, so LIMIT counts only rows the caller may see.
    /// </summary>
    public Task<RecordingPage> QueryAsync(RecordingQuery query, CancellationToken cancellationToken)
    {
        CatalogScope scope = query.Scope.Narrow(query.Cameras);
        if (scope.IsEmpty)
        {
            return Task.FromResult(new RecordingPage([], null));
        }
        var where = new List<string>();
        var parameters = new List<(string, object?)>();
        if (!scope.All)
        {
            where.Add(ScopeCondition(scope, parameters));
        }
        if (query.From is { } from)
        {
            where.Add("end_ms > $from");
            parameters.Add(("$from", from.ToUnixMs()));
        }
        if (query.To is { } to)
        {
            where.Add("start_ms < $to");
            parameters.Add(("$to", to.ToUnixMs()));
        }
        if (query.After is { } after)
        {
            where.Add("(start_ms < $cStart OR (start_ms = $cStart AND id < $cId))");
            parameters.Add(("$cStart", after.StartTime.ToUnixMs()));
            parameters.Add(("$cId", after.Id));
        }
        int size = Math.Clamp(query.PageSize, 1, 1000);
        parameters.Add(("$limit", size + 1));
        string sql = "SELECT * FROM recordings" + (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : "")
            + " ORDER BY start_ms DESC, id DESC LIMIT $limit";
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command(sql, [.. parameters]);
        using SqliteDataReader r = q.ExecuteReader();
        var items = new List<Recording>();
        while (r.Read())
        {
            items.Add(ReadRecording(r));
        }
        PageCursor? next = null;
        if (items.Count > size)
        {
            items.RemoveAt(size);
            next = new PageCursor(items[^1].Announcement.StartTime, items[^1].Id);
        }
        return Task.FromResult(new RecordingPage(items, next));
    }

    /// <summary>The SQL condition "recorder in the scope's recorders, or (recorder, camera) one of its cameras", adding its parameters.</summary>
    private static string ScopeCondition(CatalogScope scope, List<(string, object?)> parameters, string cameraColumn = "camera_id")
    {
        var parts = new List<string>();
        if (scope.Recorders.Count > 0)
        {
            var names = scope.Recorders.Select((rec, i) => { parameters.Add(($"$sr{i}", rec)); return $"$sr{i}"; }).ToList();
            parts.Add($"recorder_id IN ({string.Join(", ", names)})");
        }
        if (scope.Cameras.Count > 0)
        {
            var pairs = scope.Cameras.Select((key, i) =>
            {
                parameters.Add(($"$sk{i}r", key.RecorderId));
                parameters.Add(($"$sk{i}c", key.CameraId));
                return $"($sk{i}r, $sk{i}c)";
            }).ToList();
            parts.Add($"(recorder_id, {cameraColumn}) IN (VALUES {string.Join(", ", pairs)})");
        }
        return "(" + string.Join(" OR ", parts) + ")";
    }

    public Task<IReadOnlyList<Recording>> ListByStateAsync(CloudState state, int limit, CancellationToken cancellationToken) =>
        ListByStateAsync(state, null, limit, cancellationToken);

    public Task<IReadOnlyList<Recording>> ListByStateAsync(CloudState state, StateCursor? after, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = after is { } cursor
            ? c.Command("""
                SELECT * FROM recordings WHERE state = $state AND (announced_ms > $at OR (announced_ms = $at AND id > $id))
                ORDER BY announced_ms, id LIMIT $limit
                """, ("$state", state.ToWire()), ("$at", cursor.AnnouncedAt.ToUnixMs()), ("$id", cursor.Id), ("$limit", limit))
            : c.Command("SELECT * FROM recordings WHERE state = $state ORDER BY announced_ms, id LIMIT $limit", ("$state", state.ToWire()), ("$limit", limit));
        return Task.FromResult<IReadOnlyList<Recording>>(ReadAll(q));
    }

    public Task<IReadOnlyList<Recording>> ListArchivedBeforeAsync(CameraKey camera, DateTimeOffset startBefore, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        using SqliteConnection c = _db.Open();
        // The states retention expires, from the one table (archived and salvaged: both hold an archive copy).
        IReadOnlyList<CloudState> expirable = CloudTransitions.From(CloudState.Expired);
        using SqliteCommand q = c.Command($"""
            SELECT * FROM recordings WHERE recorder_id = $rec AND camera_id = $cam AND state IN ({string.Join(", ", expirable.Select((_, i) => $"$s{i}"))})
                AND legal_hold = 0 AND start_ms < $before
            ORDER BY start_ms, id LIMIT $limit
            """, [("$rec", camera.RecorderId), ("$cam", camera.CameraId), ("$before", startBefore.ToUnixMs()), ("$limit", limit),
                .. expirable.Select((state, i) => ($"$s{i}", (object?)state.ToWire()))]);
        return Task.FromResult<IReadOnlyList<Recording>>(ReadAll(q));
    }

    public Task<DeliveryStats> GetDeliveryStatsAsync(DateTimeOffset endedFrom, DateTimeOffset endedBefore, CancellationToken cancellationToken)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("SELECT COUNT(*), COALESCE(SUM(on_time), 0) FROM recordings WHERE end_ms >= $from AND end_ms < $to",
            ("$from", endedFrom.ToUnixMs()), ("$to", endedBefore.ToUnixMs()));
        using SqliteDataReader r = q.ExecuteReader();
        r.Read();
        return Task.FromResult(new DeliveryStats(r.GetInt64(0), r.GetInt64(1)));
    }

    public Task<IReadOnlyDictionary<CloudState, long>> CountByStateAsync(CancellationToken cancellationToken)
    {
        using SqliteConnection c = _db.Open();
        return Task.FromResult<IReadOnlyDictionary<CloudState, long>>(c.CountByState("recordings", StateNames.ParseCloud));
    }

    public Task RecordGapAsync(RecordingGap gap, CancellationToken cancellationToken)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("""
            INSERT INTO gaps (id, recorder_id, camera_id, start_ms, end_ms, reason) VALUES ($id, $rec, $cam, $start, $end, $reason)
            ON CONFLICT (id) DO UPDATE SET end_ms = COALESCE(excluded.end_ms, gaps.end_ms), reason = excluded.reason
            """,
            ("$id", gap.Id), ("$rec", gap.RecorderId), ("$cam", gap.CameraId), ("$start", gap.StartTime.ToUnixMs()),
            ("$end", gap.EndTime?.ToUnixMs()), ("$reason", gap.Reason));
        q.ExecuteNonQuery();
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<RecordingGap>> ListGapsAsync(CameraKey camera, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("""
            SELECT * FROM gaps WHERE recorder_id = $rec AND camera_id = $cam AND start_ms < $to AND (end_ms IS NULL OR end_ms > $from) ORDER BY start_ms
            """, ("$rec", camera.RecorderId), ("$cam", camera.CameraId), ("$from", from.ToUnixMs()), ("$to", to.ToUnixMs()));
        using SqliteDataReader r = q.ExecuteReader();
        var gaps = new List<RecordingGap>();
        while (r.Read())
        {
            long? end = r.GetNullableInt64("end_ms");
            gaps.Add(new RecordingGap(r.GetString(r.GetOrdinal("id")), camera.RecorderId, camera.CameraId,
                SqliteExtensions.FromUnixMs(r.GetInt64(r.GetOrdinal("start_ms"))), end is { } e ? SqliteExtensions.FromUnixMs(e) : null,
                r.GetString(r.GetOrdinal("reason"))));
        }
        return Task.FromResult<IReadOnlyList<RecordingGap>>(gaps);
    }

    public Task UpsertCameraAsync(CameraInfo camera, CancellationToken cancellationToken)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("""
            INSERT INTO cameras (recorder_id, id, name) VALUES ($rec, $id, $name)
            ON CONFLICT (recorder_id, id) DO UPDATE SET name = excluded.name
            """, ("$id", camera.Id), ("$name", camera.Name), ("$rec", camera.RecorderId));
        q.ExecuteNonQuery();
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<CameraInfo>> ListCamerasAsync(CatalogScope scope, CancellationToken cancellationToken)
    {
        if (scope.IsEmpty)
        {
            return Task.FromResult<IReadOnlyList<CameraInfo>>([]);
        }
        var parameters = new List<(string, object?)>();
        string where = scope.All ? "" : " WHERE " + ScopeCondition(scope, parameters, cameraColumn: "id");
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("SELECT id, name, recorder_id FROM cameras" + where + " ORDER BY recorder_id, id", [.. parameters]);
        using SqliteDataReader r = q.ExecuteReader();
        var cameras = new List<CameraInfo>();
        while (r.Read())
        {
            cameras.Add(new CameraInfo(r.GetString(0), r.GetString(1), r.GetString(2)));
        }
        return Task.FromResult<IReadOnlyList<CameraInfo>>(cameras);
    }

    public Task RecordHeartbeatAsync(RecorderHeartbeat heartbeat, CancellationToken cancellationToken)
    {
        RecorderHeartbeat h = heartbeat;
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("""
            INSERT INTO recorders (id, sent_ms, received_ms, backlog_segments, backlog_bytes, oldest_backlog_ms, agent_version)
            VALUES ($id, $sent, $now, $segments, $bytes, $oldest, $version)
            ON CONFLICT (id) DO UPDATE SET sent_ms = excluded.sent_ms, received_ms = excluded.received_ms,
                backlog_segments = excluded.backlog_segments, backlog_bytes = excluded.backlog_bytes,
                oldest_backlog_ms = excluded.oldest_backlog_ms, agent_version = excluded.agent_version
            WHERE excluded.sent_ms >= recorders.sent_ms
            """, ("$id", h.RecorderId), ("$sent", h.SentAt.ToUnixMs()), ("$now", _time.GetUtcNow().ToUnixMs()), ("$segments", h.BacklogSegments),
            ("$bytes", h.BacklogBytes), ("$oldest", h.OldestBacklogSealedAt?.ToUnixMs()), ("$version", h.AgentVersion));
        q.ExecuteNonQuery();
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<RecorderStatus>> ListRecordersAsync(CancellationToken cancellationToken)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("SELECT * FROM recorders ORDER BY id");
        using SqliteDataReader r = q.ExecuteReader();
        var recorders = new List<RecorderStatus>();
        while (r.Read())
        {
            long? oldest = r.GetNullableInt64("oldest_backlog_ms");
            var heartbeat = new RecorderHeartbeat(r.GetString(r.GetOrdinal("id")), SqliteExtensions.FromUnixMs(r.GetInt64(r.GetOrdinal("sent_ms"))),
                r.GetInt64(r.GetOrdinal("backlog_segments")), r.GetInt64(r.GetOrdinal("backlog_bytes")),
                oldest is { } o ? SqliteExtensions.FromUnixMs(o) : null, r.GetNullableString("agent_version"));
            recorders.Add(new RecorderStatus(heartbeat, SqliteExtensions.FromUnixMs(r.GetInt64(r.GetOrdinal("received_ms")))));
        }
        return Task.FromResult<IReadOnlyList<RecorderStatus>>(recorders);
    }

    public Task<string?> GetCheckpointAsync(string name, CancellationToken cancellationToken)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("SELECT value FROM checkpoints WHERE name = $name", ("$name", name));
        return Task.FromResult(q.ExecuteScalar() as string);
    }

    public Task SaveCheckpointAsync(string name, string? value, CancellationToken cancellationToken)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = value is null
            ? c.Command("DELETE FROM checkpoints WHERE name = $name", ("$name", name))
            : c.Command("""
                INSERT INTO checkpoints (name, value, updated_ms) VALUES ($name, $value, $now)
                ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_ms = excluded.updated_ms
                """, ("$name", name), ("$value", value), ("$now", _time.GetUtcNow().ToUnixMs()));
        q.ExecuteNonQuery();
        return Task.CompletedTask;
    }

    /// <summary>A compare-and-set move to <paramref name="target"/>, only from a state <see cref="CloudTransitions"/> allows.</summary>
    private Task<TransitionOutcome> Transition(string id, CloudState target, string set, params (string, object?)[] extra) =>
        Transition(id, target, set, null, extra);

    /// <param name="guard">A condition on the row the change needs besides its state (SQL); when it does not hold, the outcome is Refused.</param>
    private Task<TransitionOutcome> Transition(string id, CloudState target, string set, string? guard, params (string, object?)[] extra)
    {
        using SqliteConnection c = _db.Open();
        string allowed = string.Join(", ", CloudTransitions.From(target).Select(s => $"'{s.ToWire()}'"));
        using SqliteCommand update = c.Command(
            $"UPDATE recordings SET state = $target, {set}, updated_ms = $now, version = version + 1 WHERE id = $id AND state IN ({allowed})"
                + (guard is null ? "" : $" AND {guard}"),
            [("$target", target.ToWire()), ("$now", _time.GetUtcNow().ToUnixMs()), ("$id", id), .. extra]);
        if (update.ExecuteNonQuery() == 1)
        {
            return Task.FromResult(TransitionOutcome.Applied);
        }
        using SqliteCommand current = c.Command("SELECT state FROM recordings WHERE id = $id", ("$id", id));
        object? state = current.ExecuteScalar();
        TransitionOutcome outcome = state is null ? TransitionOutcome.NotFound
            : StateNames.ParseCloud((string)state) == target ? TransitionOutcome.AlreadyDone
            : TransitionOutcome.Refused;
        return Task.FromResult(outcome);
    }

    private static Recording ReadRecording(SqliteDataReader r)
    {
        DateTimeOffset? Time(string column) => r.GetNullableInt64(column) is { } ms ? SqliteExtensions.FromUnixMs(ms) : null;
        string S(string column) => r.GetString(r.GetOrdinal(column));
        long L(string column) => r.GetInt64(r.GetOrdinal(column));
        var announcement = new RecordingAnnouncement(S("id"), S("recorder_id"), S("camera_id"), S("camera_name"), L("run"), L("seq"),
            SqliteExtensions.FromUnixMs(L("start_ms")), SqliteExtensions.FromUnixMs(L("end_ms")), L("file_size"), S("sha256"), S("crc32c"),
            r.GetNullableString("md5"), S("content_type"), S("staging_object"), ClockStateJson.Parse(r.GetNullableString("clock_state")));
        return new Recording(announcement, StateNames.ParseCloud(S("state")), r.GetNullableString("reason"),
            r.GetNullableInt64("staging_generation"), r.GetNullableString("archive_object"), r.GetNullableInt64("archive_generation"),
            SqliteExtensions.FromUnixMs(L("announced_ms")), Time("staged_ms"), Time("archived_ms"), SqliteExtensions.FromUnixMs(L("updated_ms")), L("version"),
            L("legal_hold") != 0, r.GetNullableString("legal_hold_reason"), AnnouncementJson.Parse(r.GetNullableString("recorder_announcement")),
            r.GetNullableString("replacement_refused"));
    }

    private static List<Recording> ReadAll(SqliteCommand query)
    {
        using SqliteDataReader r = query.ExecuteReader();
        var items = new List<Recording>();
        while (r.Read())
        {
            items.Add(ReadRecording(r));
        }
        return items;
    }
}
