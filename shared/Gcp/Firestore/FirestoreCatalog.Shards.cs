using static Cctv.Shared.Gcp.Firestore.CatalogDocuments;

namespace Cctv.Shared.Gcp.Firestore;

/// <summary>
/// Gives recordings written before shards (no <see cref="CatalogDocuments.Shard"/> field) their shard. The queries that
/// order recordings of every camera by time name every shard, so such a recording would be missing from them: from
/// the sweep's lists by state, the operator's view of everything and the delivery counts. A recording gets its shard
/// on its next state change anyway; this reaches the ones that will not change again (archived) or are stuck.
/// </summary>
public sealed partial class FirestoreCatalog
{
    /// <summary>
    /// One pass over <c>recordings</c> in document-name order, <paramref name="pageSize"/> at a time, writing the shard of
    /// every document that lacks it (guarded by the update time read, so a recording changed meanwhile is read again).
    /// Returns how many documents it read and how many it changed; a second pass changes none.
    /// </summary>
    public async Task<(long Read, long Changed)> BackfillShardsAsync(int pageSize, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pageSize, FirestoreClient.MaxWritesPerCommit);
        long read = 0, changed = 0;
        string? after = null;
        while (true)
        {
            FirestoreQuery page = new FirestoreQuery(Recordings).OrderBy(FirestoreQuery.DocumentNameField).Limit(pageSize);
            if (after is not null)
            {
                page = page.StartAfter(new FirestoreReference(after));
            }
            IReadOnlyList<FirestoreDocument> docs = await _client.RunQueryAsync(page, cancellationToken);
            read += docs.Count;
            foreach (FirestoreDocument doc in docs.Where(d => d[Shard] is null))
            {
                changed += await Guarded(doc.Name, async ct =>
                {
                    // Read again: the page may be older than the document.
                    if (await _client.GetAsync(doc.Name, ct) is not { } current || current[Shard] is not null)
                    {
                        return 0;
                    }
                    var fields = new Dictionary<string, object?> { [Shard] = ShardOf(current.GetString(RecorderId), current.GetString(CameraId)) };
                    await _client.CommitAsync([FirestoreWrite.UpdateIfUnchanged(doc.Name, fields, current.UpdateTime)], ct);
                    return 1;
                }, cancellationToken);
            }
            if (docs.Count < pageSize)
            {
                return (read, changed);
            }
            after = docs[^1].Name;
        }
    }
}
