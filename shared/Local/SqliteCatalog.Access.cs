using Cctv.Shared.Domain;
using Cctv.Shared.Sqlite;
using Microsoft.Data.Sqlite;

namespace Cctv.Shared.Local;

/// <summary>The access part of the SQLite catalog: recorders' sites, grants and API keys (hashed).</summary>
public sealed partial class SqliteCatalog
{
    /// <summary>Tables of the access model; CREATE IF NOT EXISTS, so a catalog made before them gains them on open.</summary>
    private const string AccessSchema = """

        CREATE TABLE IF NOT EXISTS recorder_sites (
            recorder_id TEXT PRIMARY KEY,
            site_id TEXT NOT NULL,
            updated_ms INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS grants (
            principal TEXT NOT NULL,
            scope TEXT NOT NULL,
            scope_id TEXT NOT NULL,
            granted_ms INTEGER NOT NULL,
            PRIMARY KEY (principal, scope, scope_id)
        );
        CREATE TABLE IF NOT EXISTS api_keys (
            key_id TEXT PRIMARY KEY,
            principal TEXT NOT NULL,
            secret_sha256 TEXT NOT NULL,
            created_ms INTEGER NOT NULL,
            revoked_ms INTEGER
        );
        CREATE TABLE IF NOT EXISTS secrets (
            name TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            created_ms INTEGER NOT NULL
        );
        """;

    public Task SetRecorderSiteAsync(RecorderSite assignment, CancellationToken cancellationToken)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("""
            INSERT INTO recorder_sites (recorder_id, site_id, updated_ms) VALUES ($rec, $site, $now)
            ON CONFLICT (recorder_id) DO UPDATE SET site_id = excluded.site_id, updated_ms = excluded.updated_ms
            """, ("$rec", assignment.RecorderId), ("$site", assignment.SiteId), ("$now", _time.GetUtcNow().ToUnixMs()));
        q.ExecuteNonQuery();
        return Task.CompletedTask;
    }

    public Task<IReadOnlyDictionary<string, string>> ListRecorderSitesAsync(CancellationToken cancellationToken)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("SELECT recorder_id, site_id FROM recorder_sites");
        using SqliteDataReader r = q.ExecuteReader();
        var sites = new Dictionary<string, string>(StringComparer.Ordinal);
        while (r.Read())
        {
            sites[r.GetString(0)] = r.GetString(1);
        }
        return Task.FromResult<IReadOnlyDictionary<string, string>>(sites);
    }

    public Task GrantAsync(AccessGrant grant, CancellationToken cancellationToken)
    {
        grant.Validate();
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("""
            INSERT INTO grants (principal, scope, scope_id, granted_ms) VALUES ($p, $scope, $id, $now) ON CONFLICT DO NOTHING
            """, ("$p", grant.Principal), ("$scope", grant.Scope.ToWire()), ("$id", grant.ScopeId), ("$now", _time.GetUtcNow().ToUnixMs()));
        q.ExecuteNonQuery();
        return Task.CompletedTask;
    }

    public Task<bool> RevokeAsync(AccessGrant grant, CancellationToken cancellationToken)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("DELETE FROM grants WHERE principal = $p AND scope = $scope AND scope_id = $id",
            ("$p", grant.Principal), ("$scope", grant.Scope.ToWire()), ("$id", grant.ScopeId));
        return Task.FromResult(q.ExecuteNonQuery() == 1);
    }

    public Task<IReadOnlyList<AccessGrant>> ListGrantsAsync(string principal, CancellationToken cancellationToken)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("SELECT scope, scope_id FROM grants WHERE principal = $p ORDER BY scope, scope_id", ("$p", principal));
        using SqliteDataReader r = q.ExecuteReader();
        var grants = new List<AccessGrant>();
        while (r.Read())
        {
            grants.Add(new AccessGrant(principal, GrantScopeNames.ParseScope(r.GetString(0)), r.GetString(1)));
        }
        return Task.FromResult<IReadOnlyList<AccessGrant>>(grants);
    }

    public Task CreateApiKeyAsync(ApiKeyRecord key, CancellationToken cancellationToken)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("""
            INSERT INTO api_keys (key_id, principal, secret_sha256, created_ms, revoked_ms) VALUES ($id, $p, $sha, $created, $revoked)
            ON CONFLICT (key_id) DO NOTHING
            """, ("$id", key.KeyId), ("$p", key.Principal), ("$sha", key.SecretSha256), ("$created", key.CreatedAt.ToUnixMs()),
            ("$revoked", key.RevokedAt?.ToUnixMs()));
        if (q.ExecuteNonQuery() == 0)
        {
            throw new InvalidOperationException($"API key {key.KeyId} exists already.");
        }
        return Task.CompletedTask;
    }

    public Task<ApiKeyRecord?> GetApiKeyAsync(string keyId, CancellationToken cancellationToken)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("SELECT principal, secret_sha256, created_ms, revoked_ms FROM api_keys WHERE key_id = $id", ("$id", keyId));
        using SqliteDataReader r = q.ExecuteReader();
        ApiKeyRecord? key = r.Read()
            ? new ApiKeyRecord(keyId, r.GetString(0), r.GetString(1), SqliteExtensions.FromUnixMs(r.GetInt64(2)),
                r.IsDBNull(3) ? null : SqliteExtensions.FromUnixMs(r.GetInt64(3)))
            : null;
        return Task.FromResult(key);
    }

    public Task<bool> RevokeApiKeyAsync(string keyId, CancellationToken cancellationToken)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("UPDATE api_keys SET revoked_ms = $now WHERE key_id = $id AND revoked_ms IS NULL",
            ("$id", keyId), ("$now", _time.GetUtcNow().ToUnixMs()));
        return Task.FromResult(q.ExecuteNonQuery() == 1);
    }

    public Task<string> GetOrCreateSecretAsync(string name, string candidate, CancellationToken cancellationToken)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand insert = c.Command("INSERT INTO secrets (name, value, created_ms) VALUES ($name, $value, $now) ON CONFLICT (name) DO NOTHING",
            ("$name", name), ("$value", candidate), ("$now", _time.GetUtcNow().ToUnixMs()));
        insert.ExecuteNonQuery();
        using SqliteCommand read = c.Command("SELECT value FROM secrets WHERE name = $name", ("$name", name));
        return Task.FromResult((string)read.ExecuteScalar()!);
    }
}
