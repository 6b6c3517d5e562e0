using System.Diagnostics.CodeAnalysis;

namespace Cctv.Shared.Domain;

/// <summary>
/// A camera's identity: the recorder it belongs to and its ID on that recorder. Two sites may both have a <c>cam1</c>;
/// their keys differ. Written <c>RECORDER~CAMERA</c> (e.g. <c>rec-a~cam1</c>): '~' is URL-unreserved (RFC 3986), so
/// the key goes into a path or query as is, and it is not a character of recorder or camera IDs, so it splits one way.
/// </summary>
public readonly record struct CameraKey(string RecorderId, string CameraId) : IComparable<CameraKey>
{
    public const char Separator = '~';

    public override string ToString() => RecorderId + Separator + CameraId;

    public int CompareTo(CameraKey other) => string.CompareOrdinal(ToString(), other.ToString());

    public static bool operator <(CameraKey left, CameraKey right) => left.CompareTo(right) < 0;

    public static bool operator <=(CameraKey left, CameraKey right) => left.CompareTo(right) <= 0;

    public static bool operator >(CameraKey left, CameraKey right) => left.CompareTo(right) > 0;

    public static bool operator >=(CameraKey left, CameraKey right) => left.CompareTo(right) >= 0;

    /// <summary>Whether <paramref name="text"/> is a key (two valid IDs joined by '~'); nothing else parses.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out CameraKey key)
    {
        key = default;
        if (text is null)
        {
            return false;
        }
        int at = text.IndexOf(Separator, StringComparison.Ordinal);
        if (at <= 0 || !Identifiers.IsValidSlug(text[..at]) || !Identifiers.IsValidSlug(text[(at + 1)..]))
        {
            return false;
        }
        key = new CameraKey(text[..at], text[(at + 1)..]);
        return true;
    }

    /// <summary>Throws <see cref="FormatException"/> saying how a key is written.</summary>
    public static CameraKey Parse(string text) => TryParse(text, out CameraKey key)
        ? key
        : throw new FormatException($"'{text}' is not a camera key: write RECORDER{Separator}CAMERA, e.g. rec-a{Separator}cam1 (both {Identifiers.SlugRule}).");
}

/// <summary>
/// What one caller may see, handed to the catalog so it filters inside the query (every page full, every cursor on a
/// row the caller may see): everything, or the recordings of some recorders (those of the caller's sites) and of some
/// cameras (by key).
/// </summary>
public sealed class CatalogScope
{
    private CatalogScope(bool all, IEnumerable<string> recorders, IEnumerable<CameraKey> cameras)
    {
        All = all;
        Recorders = new SortedSet<string>(recorders, StringComparer.Ordinal);
        Cameras = new SortedSet<CameraKey>(cameras);
    }

    /// <summary>An operator's scope: every recording.</summary>
    public static CatalogScope Everything { get; } = new(true, [], []);

    /// <summary>Nothing at all.</summary>
    public static CatalogScope Nothing { get; } = new(false, [], []);

    public static CatalogScope Of(IEnumerable<string> recorders, IEnumerable<CameraKey> cameras) => new(false, recorders, cameras);

    public bool All { get; }

    /// <summary>Recorders all of whose recordings are in scope (ordinal order).</summary>
    public IReadOnlySet<string> Recorders { get; }

    /// <summary>Cameras in scope besides those of <see cref="Recorders"/> (key order).</summary>
    public IReadOnlySet<CameraKey> Cameras { get; }

    public bool IsEmpty => !All && Recorders.Count == 0 && Cameras.Count == 0;

    public bool Allows(CameraKey camera) => All || Recorders.Contains(camera.RecorderId) || Cameras.Contains(camera);

    public bool Allows(string recorderId, string cameraId) => Allows(new CameraKey(recorderId, cameraId));

    /// <summary>
    /// The part of this scope a query over <paramref name="cameras"/> may read: those cameras that are in scope; all of
    /// this scope when the query names none.
    /// </summary>
    public CatalogScope Narrow(IReadOnlyCollection<CameraKey>? cameras) =>
        cameras is null || cameras.Count == 0 ? this : Of([], cameras.Where(Allows));
}
