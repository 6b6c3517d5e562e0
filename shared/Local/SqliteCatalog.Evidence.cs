using Cctv.Shared.Domain;
using Cctv.Shared.Sqlite;
using Microsoft.Data.Sqlite;

namespace Cctv.Shared.Local;

/// <summary>The evidence part of the SQLite catalog: every public key each recorder registered, in order.</summary>
public sealed partial class SqliteCatalog
{
    /// <summary>CREATE IF NOT EXISTS, so a catalog made before evidence keys gains the table on open.</summary>
    private const string EvidenceSchema = """

        CREATE TABLE IF NOT EXISTS recorder_keys (
            recorder_id TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            public_key TEXT NOT NULL,
            registered_ms INTEGER NOT NULL,
            previous_fingerprint TEXT,
            ordinal INTEGER NOT NULL,
            PRIMARY KEY (recorder_id, fingerprint),
            UNIQUE (recorder_id, ordinal)
        );
        CREATE TABLE IF NOT EXISTS chain_breaks (
            id TEXT PRIMARY KEY,
            recorder_id TEXT NOT NULL,
            camera_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            location TEXT NOT NULL,
            detail TEXT NOT NULL,
            from_ms INTEGER,
            to_ms INTEGER,
            manifest_object TEXT NOT NULL,
            detected_ms INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS chain_breaks_by_camera ON chain_breaks (recorder_id, camera_id, detected_ms);
        """;

    /// <summary>One statement: the key gets the next ordinal and names the latest key before it; an existing key is left alone.</summary>
    public Task<RecorderKeyOutcome> RegisterRecorderKeyAsync(RecorderKey key, CancellationToken cancellationToken)
    {
        key.Validate();
        using SqliteConnection c = _db.Open();
        using SqliteCommand insert = c.Command("""
            INSERT INTO recorder_keys (recorder_id, fingerprint, public_key, registered_ms, previous_fingerprint, ordinal)
            SELECT $rec, $fp, $key, $now,
                (SELECT fingerprint FROM recorder_keys WHERE recorder_id = $rec ORDER BY ordinal DESC LIMIT 1),
                COALESCE((SELECT MAX(ordinal) FROM recorder_keys WHERE recorder_id = $rec), -1) + 1
            WHERE NOT EXISTS (SELECT 1 FROM recorder_keys WHERE recorder_id = $rec AND fingerprint = $fp)
            """, ("$rec", key.RecorderId), ("$fp", key.Fingerprint), ("$key", key.PublicKey), ("$now", _time.GetUtcNow().ToUnixMs()));
        if (insert.ExecuteNonQuery() == 0)
        {
            return Task.FromResult(RecorderKeyOutcome.AlreadyRegistered);
        }
        using SqliteCommand count = c.Command("SELECT COUNT(*) FROM recorder_keys WHERE recorder_id = $rec", ("$rec", key.RecorderId));
        return Task.FromResult((long)count.ExecuteScalar()! > 1 ? RecorderKeyOutcome.Rotated : RecorderKeyOutcome.Registered);
    }

    public Task<IReadOnlyList<RecorderKey>> ListRecorderKeysAsync(string recorderId, CancellationToken cancellationToken)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("""
            SELECT fingerprint, public_key, registered_ms, previous_fingerprint FROM recorder_keys WHERE recorder_id = $rec ORDER BY ordinal
            """, ("$rec", recorderId));
        using SqliteDataReader r = q.ExecuteReader();
        var keys = new List<RecorderKey>();
        while (r.Read())
        {
            keys.Add(new RecorderKey(recorderId, r.GetString(0), r.GetString(1), SqliteExtensions.FromUnixMs(r.GetInt64(2)), r.GetNullableString("previous_fingerprint")));
        }
        return Task.FromResult<IReadOnlyList<RecorderKey>>(keys);
    }

    /// <summary>INSERT OR IGNORE: a break found again is the record found first.</summary>
    public Task RecordChainBreakAsync(ChainBreakRecord chainBreak, CancellationToken cancellationToken)
    {
        ChainBreakRecord b = chainBreak;
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("""
            INSERT INTO chain_breaks (id, recorder_id, camera_id, kind, location, detail, from_ms, to_ms, manifest_object, detected_ms)
            VALUES ($id, $rec, $cam, $kind, $where, $detail, $from, $to, $obj, $at) ON CONFLICT (id) DO NOTHING
            """, ("$id", b.Id), ("$rec", b.RecorderId), ("$cam", b.CameraId), ("$kind", b.Kind), ("$where", b.Where), ("$detail", b.Detail),
            ("$from", b.From?.ToUnixMs()), ("$to", b.To?.ToUnixMs()), ("$obj", b.ManifestObject), ("$at", b.DetectedAt.ToUnixMs()));
        q.ExecuteNonQuery();
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<ChainBreakRecord>> ListChainBreaksAsync(CameraKey camera, CancellationToken cancellationToken)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("""
            SELECT * FROM chain_breaks WHERE recorder_id = $rec AND camera_id = $cam ORDER BY detected_ms, id
            """, ("$rec", camera.RecorderId), ("$cam", camera.CameraId));
        using SqliteDataReader r = q.ExecuteReader();
        var breaks = new List<ChainBreakRecord>();
        while (r.Read())
        {
            string S(string col) => r.GetString(r.GetOrdinal(col));
            breaks.Add(new ChainBreakRecord(S("id"), S("recorder_id"), S("camera_id"), S("kind"), S("location"), S("detail"),
                r.GetNullableInt64("from_ms") is { } f ? SqliteExtensions.FromUnixMs(f) : null, r.GetNullableInt64("to_ms") is { } t ? SqliteExtensions.FromUnixMs(t) : null,
                S("manifest_object"), SqliteExtensions.FromUnixMs(r.GetInt64(r.GetOrdinal("detected_ms")))));
        }
        return Task.FromResult<IReadOnlyList<ChainBreakRecord>>(breaks);
    }
}
