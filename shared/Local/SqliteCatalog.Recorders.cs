using Cctv.Shared.Domain;
using Cctv.Shared.Sqlite;
using Microsoft.Data.Sqlite;

namespace Cctv.Shared.Local;

/// <summary>The recorder claims of the SQLite catalog: which installation key each recorder ID belongs to.</summary>
public sealed partial class SqliteCatalog
{
    /// <summary>CREATE IF NOT EXISTS, so a catalog made before claims gains the table on open.</summary>
    private const string RecorderClaimsSchema = """

        CREATE TABLE IF NOT EXISTS recorder_claims (
            recorder_id TEXT PRIMARY KEY,
            key_fingerprint TEXT NOT NULL,
            machine_id_hash TEXT,
            principal TEXT,
            host TEXT,
            claimed_ms INTEGER NOT NULL,
            released_ms INTEGER,
            released_by TEXT,
            release_reason TEXT,
            previous_fingerprint TEXT
        );
        """;

    /// <summary>One statement: inserts, or replaces a released claim; a claim that holds is left as it is. Then reads what holds.</summary>
    public Task<RecorderClaim> ClaimRecorderAsync(RecorderClaim claim, CancellationToken cancellationToken)
    {
        using SqliteConnection c = _db.Open();
        using (SqliteCommand insert = c.Command("""
            INSERT INTO recorder_claims (recorder_id, key_fingerprint, machine_id_hash, principal, host, claimed_ms)
            VALUES ($rec, $key, $machine, $principal, $host, $now)
            ON CONFLICT (recorder_id) DO UPDATE SET
                key_fingerprint = excluded.key_fingerprint, machine_id_hash = excluded.machine_id_hash, principal = excluded.principal,
                host = excluded.host, claimed_ms = excluded.claimed_ms, released_ms = NULL, released_by = NULL, release_reason = NULL,
                previous_fingerprint = recorder_claims.key_fingerprint
            WHERE recorder_claims.released_ms IS NOT NULL
            """, ("$rec", claim.RecorderId), ("$key", claim.KeyFingerprint), ("$machine", claim.MachineIdHash), ("$principal", claim.Principal),
            ("$host", claim.Host), ("$now", _time.GetUtcNow().ToUnixMs())))
        {
            insert.ExecuteNonQuery();
        }
        return Task.FromResult(ReadClaim(c, claim.RecorderId)
            ?? throw new InvalidOperationException($"The claim on recorder {claim.RecorderId} was written but cannot be read back."));
    }

    public Task<RecorderClaim?> GetRecorderClaimAsync(string recorderId, CancellationToken cancellationToken)
    {
        using SqliteConnection c = _db.Open();
        return Task.FromResult(ReadClaim(c, recorderId));
    }

    public Task<RecorderClaim?> ReleaseRecorderClaimAsync(string recorderId, string releasedBy, string reason, CancellationToken cancellationToken)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand release = c.Command("""
            UPDATE recorder_claims SET released_ms = $now, released_by = $by, release_reason = $reason
            WHERE recorder_id = $rec AND released_ms IS NULL
            """, ("$rec", recorderId), ("$by", releasedBy), ("$reason", reason), ("$now", _time.GetUtcNow().ToUnixMs()));
        return Task.FromResult(release.ExecuteNonQuery() == 1 ? ReadClaim(c, recorderId) : null);
    }

    private static RecorderClaim? ReadClaim(SqliteConnection c, string recorderId)
    {
        using SqliteCommand q = c.Command("""
            SELECT key_fingerprint, machine_id_hash, principal, host, claimed_ms, released_ms, released_by, release_reason, previous_fingerprint
            FROM recorder_claims WHERE recorder_id = $rec
            """, ("$rec", recorderId));
        using SqliteDataReader r = q.ExecuteReader();
        return r.Read()
            ? new RecorderClaim(recorderId, r.GetString(0), r.GetNullableString("machine_id_hash"), r.GetNullableString("principal"),
                r.GetNullableString("host"), SqliteExtensions.FromUnixMs(r.GetInt64(4)),
                r.GetNullableInt64("released_ms") is { } released ? SqliteExtensions.FromUnixMs(released) : null,
                r.GetNullableString("released_by"), r.GetNullableString("release_reason"), r.GetNullableString("previous_fingerprint"))
            : null;
    }
}
