using Cctv.Shared.Domain;
using static Cctv.Shared.Gcp.Firestore.CatalogDocuments;

namespace Cctv.Shared.Gcp.Firestore;

/// <summary>
/// The recordings under a legal hold: equality on <c>legal_hold</c> in document-name order, which Firestore's automatic
/// single-field index on <c>legal_hold</c> serves (it does not grow with time, and names are random UUIDs).
/// </summary>
public sealed partial class FirestoreCatalog
{
    public async Task<IReadOnlyList<Recording>> ListLegalHoldsAsync(string? afterId, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        if (limit == 0)
        {
            return [];
        }
        FirestoreQuery q = new FirestoreQuery(Recordings).Where(LegalHold, FirestoreOperator.Equal, true).OrderBy(FirestoreQuery.DocumentNameField).Limit(limit);
        if (afterId is not null)
        {
            q = q.StartAfter(new FirestoreReference(_client.DocumentName(Recordings, afterId)));
        }
        return [.. (await _client.RunQueryAsync(q, cancellationToken)).Select(ToRecording)];
    }
}
