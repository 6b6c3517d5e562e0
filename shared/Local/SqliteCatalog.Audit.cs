using System.Text.Json;
using Cctv.Shared.Domain;
using Cctv.Shared.Ports;
using Cctv.Shared.Sqlite;
using Microsoft.Data.Sqlite;

namespace Cctv.Shared.Local;

/// <summary>
/// The audit of reads in the SQLite catalog: one append-only row per read of one camera's footage, stamped with the
/// catalog's clock. Queried newest first (time, then ID) with the caller's scope as a condition of the query itself,
/// as recordings are.
/// </summary>
public sealed partial class SqliteCatalog
{
    private const string AuditSchema = """

        CREATE TABLE IF NOT EXISTS audit (
            id TEXT PRIMARY KEY,
            at_ms INTEGER NOT NULL,
            action TEXT NOT NULL,
            principal TEXT NOT NULL,
            credential TEXT,
            recorder_id TEXT NOT NULL,
            camera_id TEXT NOT NULL,
            recording_ids TEXT NOT NULL,
            range_from_ms INTEGER,
            range_to_ms INTEGER,
            client_address TEXT,
            forwarded_for TEXT,
            request_id TEXT
        );
        CREATE INDEX IF NOT EXISTS audit_by_time ON audit (at_ms DESC, id DESC);
        CREATE INDEX IF NOT EXISTS audit_by_recorder_camera_time ON audit (recorder_id, camera_id, at_ms DESC, id DESC);
        CREATE INDEX IF NOT EXISTS audit_by_principal_time ON audit (principal, at_ms DESC, id DESC);
        """;

    public Task<AuditEntry> RecordReadAsync(AuditRead read, CancellationToken cancellationToken)
    {
        read.Validate();
        AuditEntry entry = AuditEntry.Stamp(read, _time);
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("""
            INSERT INTO audit (id, at_ms, action, principal, credential, recorder_id, camera_id, recording_ids, range_from_ms, range_to_ms,
                client_address, forwarded_for, request_id)
            VALUES ($id, $at, $action, $p, $cred, $rec, $cam, $ids, $from, $to, $addr, $fwd, $req)
            """, ("$id", entry.Id), ("$at", entry.At.ToUnixMs()), ("$action", read.Action.ToWire()), ("$p", read.Principal), ("$cred", read.Credential),
            ("$rec", read.Camera.RecorderId), ("$cam", read.Camera.CameraId), ("$ids", JsonSerializer.Serialize(read.RecordingIds)),
            ("$from", read.From?.ToUnixMs()), ("$to", read.To?.ToUnixMs()), ("$addr", read.ClientAddress), ("$fwd", read.ForwardedFor), ("$req", read.RequestId));
        q.ExecuteNonQuery();
        return Task.FromResult(entry);
    }

    public Task<AuditPage> QueryAuditAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(query.PageSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(query.PageSize, AuditQuery.MaxPageSize);
        CatalogScope scope = query.Scope.Narrow(query.Camera is { } camera ? [camera] : null);
        if (scope.IsEmpty || (query.RecorderId is { } r && !scope.All && !scope.Recorders.Contains(r) && !scope.Cameras.Any(k => k.RecorderId == r)))
        {
            return Task.FromResult(new AuditPage([], null));
        }
        var where = new List<string>();
        var parameters = new List<(string, object?)>();
        if (!scope.All)
        {
            where.Add(ScopeCondition(scope, parameters));
        }
        if (query.RecorderId is { } recorder)
        {
            where.Add("recorder_id = $rec");
            parameters.Add(("$rec", recorder));
        }
        if (query.Principal is { } principal)
        {
            where.Add("principal = $p");
            parameters.Add(("$p", principal));
        }
        if (query.From is { } from)
        {
            where.Add("at_ms >= $from");
            parameters.Add(("$from", from.ToUnixMs()));
        }
        if (query.To is { } to)
        {
            where.Add("at_ms < $to");
            parameters.Add(("$to", to.ToUnixMs()));
        }
        if (query.After is { } after)
        {
            where.Add("(at_ms < $cAt OR (at_ms = $cAt AND id < $cId))");
            parameters.Add(("$cAt", after.StartTime.ToUnixMs()));
            parameters.Add(("$cId", after.Id));
        }
        parameters.Add(("$limit", query.PageSize + 1));
        string sql = "SELECT * FROM audit" + (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : "") + " ORDER BY at_ms DESC, id DESC LIMIT $limit";
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command(sql, [.. parameters]);
        using SqliteDataReader reader = q.ExecuteReader();
        var items = new List<AuditEntry>();
        while (reader.Read())
        {
            items.Add(ReadAuditEntry(reader));
        }
        PageCursor? next = null;
        if (items.Count > query.PageSize)
        {
            items.RemoveAt(query.PageSize);
            next = new PageCursor(items[^1].At, items[^1].Id);
        }
        return Task.FromResult(new AuditPage(items, next));
    }

    private static AuditEntry ReadAuditEntry(SqliteDataReader r)
    {
        string? Text(string column) => r.IsDBNull(r.GetOrdinal(column)) ? null : r.GetString(r.GetOrdinal(column));
        DateTimeOffset? Time(string column) => r.IsDBNull(r.GetOrdinal(column)) ? null : SqliteExtensions.FromUnixMs(r.GetInt64(r.GetOrdinal(column)));
        var read = new AuditRead(
            AuditActions.Parse(r.GetString(r.GetOrdinal("action"))),
            r.GetString(r.GetOrdinal("principal")),
            Text("credential"),
            new CameraKey(r.GetString(r.GetOrdinal("recorder_id")), r.GetString(r.GetOrdinal("camera_id"))),
            JsonSerializer.Deserialize<string[]>(r.GetString(r.GetOrdinal("recording_ids"))) ?? [],
            Time("range_from_ms"),
            Time("range_to_ms"),
            Text("client_address"),
            Text("forwarded_for"),
            Text("request_id"));
        return new AuditEntry(r.GetString(r.GetOrdinal("id")), SqliteExtensions.FromUnixMs(r.GetInt64(r.GetOrdinal("at_ms"))), read);
    }
}
