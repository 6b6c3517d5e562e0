namespace Cctv.EdgeRecorder.Pipeline;

/// <summary>
/// When the agent next asks the catalog about its uploaded segments (one query per interval, see
/// <see cref="CatalogSync.VerifyNextPageAsync"/>): shortly after an upload, again at the same pace while the cloud verifies
/// something, backing off (doubling up to a cap) while it verifies nothing, and not at all while nothing waits.
/// </summary>
public sealed class VerifyPacing(TimeSpan first, TimeSpan max)
{
    public static readonly TimeSpan DefaultFirst = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan DefaultMax = TimeSpan.FromSeconds(60);

    private TimeSpan _interval;

    public VerifyPacing() : this(DefaultFirst, DefaultMax)
    {
    }

    /// <summary>When to ask next; null while nothing waits for the cloud (an upload sets it again).</summary>
    public DateTimeOffset? Next { get; private set; }

    /// <summary>A segment reached the bucket: ask soon, unless a query is already planned (a back-off is not cut short).</summary>
    public void Uploaded(DateTimeOffset now) => Next ??= now + first;

    /// <summary>Plans the next query after a pass that asked about <paramref name="asked"/> segments and verified <paramref name="verified"/>.</summary>
    public void Passed(DateTimeOffset now, int asked, int verified)
    {
        if (asked == 0)
        {
            _interval = first;
            Next = null;
            return;
        }
        _interval = verified > 0 || _interval < first ? first : Min(_interval + _interval, max);
        Next = now + _interval;
    }

    /// <summary>Whether a query is due at <paramref name="now"/>.</summary>
    public bool IsDue(DateTimeOffset now) => Next is { } next && now >= next;

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
