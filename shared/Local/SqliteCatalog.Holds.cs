using Cctv.Shared.Domain;
using Cctv.Shared.Sqlite;
using Microsoft.Data.Sqlite;

namespace Cctv.Shared.Local;

/// <summary>The recordings under a legal hold, for the sweep that makes sure storage holds them too.</summary>
public sealed partial class SqliteCatalog
{
    public Task<IReadOnlyList<Recording>> ListLegalHoldsAsync(string? afterId, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        using SqliteConnection c = _db.Open();
        using SqliteCommand q = c.Command("SELECT * FROM recordings WHERE legal_hold = 1 AND id > $after ORDER BY id LIMIT $limit",
            ("$after", afterId ?? ""), ("$limit", limit));
        return Task.FromResult<IReadOnlyList<Recording>>(ReadAll(q));
    }
}
