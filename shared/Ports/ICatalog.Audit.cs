using Cctv.Shared.Domain;

namespace Cctv.Shared.Ports;

/// <summary>
/// A query of the audit of reads, newest first (catalog time, then ID): limited to <paramref name="Scope"/> inside the
/// query (an entry is in scope when its camera is), and optionally to one camera, one recorder, one principal and a
/// window of catalog time [<paramref name="From"/>, <paramref name="To"/>). <see cref="AuditPage.Next"/> is always the
/// last entry of a full page (its time and ID), sealed by the API like a recording page's cursor.
/// </summary>
public sealed record AuditQuery(
    CatalogScope Scope,
    CameraKey? Camera,
    string? RecorderId,
    string? Principal,
    DateTimeOffset? From,
    DateTimeOffset? To,
    int PageSize,
    PageCursor? After)
{
    public const int MaxPageSize = 500;
}

/// <summary>A page of audit entries, newest first, and where the next starts (null: this was the last).</summary>
public sealed record AuditPage(IReadOnlyList<AuditEntry> Items, PageCursor? Next);

public partial interface ICatalog
{
    #region Audit of reads

    /// <summary>
    /// Stores one read of footage, stamped with the catalog's clock and a new time-ordered ID, and returns it. Append
    /// only: nothing changes or deletes an entry. Throws (never drops the entry silently) when it cannot be stored, so
    /// the API can refuse the read it records.
    /// </summary>
    Task<AuditEntry> RecordReadAsync(AuditRead read, CancellationToken cancellationToken);

    /// <summary>A page of the audit (see <see cref="AuditQuery"/>); page sizes beyond <see cref="AuditQuery.MaxPageSize"/> are an <see cref="ArgumentOutOfRangeException"/>.</summary>
    Task<AuditPage> QueryAuditAsync(AuditQuery query, CancellationToken cancellationToken);

    #endregion
}
