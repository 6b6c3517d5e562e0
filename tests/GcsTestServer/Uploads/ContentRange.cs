using System.Globalization;
using Cctv.Testing.Gcs.Http;

namespace Cctv.Testing.Gcs.Uploads;

/// <summary>
/// A session PUT's <c>Content-Range</c>: <c>bytes A-B/N</c> or <c>bytes A-B/*</c> (data), <c>bytes */N</c> or
/// <c>bytes */*</c> (status query, or finishing an upload whose bytes are all persisted).
/// </summary>
internal readonly record struct ContentRange(long? First, long? Last, long? Total)
{
    public bool IsQuery => First is null;

    public long Length => Last!.Value - First!.Value + 1;

    public static ContentRange Parse(string header)
    {
        string value = header.Trim();
        if (!value.StartsWith("bytes ", StringComparison.OrdinalIgnoreCase))
        {
            throw Malformed(header);
        }
        string spec = value[6..].Trim();
        int slash = spec.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            throw Malformed(header);
        }
        string range = spec[..slash];
        string total = spec[(slash + 1)..];
        long? n = total == "*" ? null : Number(total, header);
        if (range == "*")
        {
            return new ContentRange(null, null, n);
        }
        int dash = range.IndexOf('-', StringComparison.Ordinal);
        if (dash < 0)
        {
            throw Malformed(header);
        }
        long first = Number(range[..dash], header);
        long last = Number(range[(dash + 1)..], header);
        if (last < first)
        {
            throw Malformed(header);
        }
        return new ContentRange(first, last, n);
    }

    private static long Number(string text, string header) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long value) ? value : throw Malformed(header);

    private static GcsException Malformed(string header) =>
        GcsException.Invalid($"Invalid Content-Range header '{header}': expected 'bytes A-B/N', 'bytes A-B/*', 'bytes */N' or 'bytes */*'.");
}
