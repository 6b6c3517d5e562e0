using Cctv.Shared.Domain;

namespace Cctv.Shared.Ports;

public partial interface ICatalog
{
    #region Legal holds in storage

    /// <summary>
    /// The recordings under a legal hold, in ID order after <paramref name="afterId"/> (null: from the first): what the
    /// reconcile sweep checks so that every hold placed in the catalog also holds the archived object, even when the
    /// step that places it on the object never ran (a crash, an outage, a recording archived after the hold).
    /// </summary>
    Task<IReadOnlyList<Recording>> ListLegalHoldsAsync(string? afterId, int limit, CancellationToken cancellationToken);

    #endregion
}
