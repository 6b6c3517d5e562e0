using System.Text;
using Cctv.Testing.Gcs.Http;

namespace Cctv.Testing.Gcs.Uploads;

/// <summary>One part of a multipart body: its headers and a slice of the request body (not a copy).</summary>
internal sealed record MultipartPart(IReadOnlyDictionary<string, string> Headers, ReadOnlyMemory<byte> Content)
{
    public string? ContentType => Headers.TryGetValue("Content-Type", out string? value) ? value : null;
}

/// <summary>Splits a <c>multipart/related</c> body (RFC 2046) held in memory.</summary>
internal static class MultipartRelated
{
    public static IReadOnlyList<MultipartPart> Parse(ReadOnlyMemory<byte> body, string boundary)
    {
        byte[] delimiter = Encoding.ASCII.GetBytes("--" + boundary);
        byte[] crlfDelimiter = Encoding.ASCII.GetBytes("\r\n--" + boundary);
        ReadOnlySpan<byte> span = body.Span;

        int pos;
        if (span.StartsWith(delimiter))
        {
            pos = delimiter.Length;
        }
        else
        {
            int first = span.IndexOf(crlfDelimiter);
            pos = first < 0 ? throw Malformed("the boundary never occurs") : first + crlfDelimiter.Length;
        }

        var parts = new List<MultipartPart>();
        while (true)
        {
            if (span[pos..].StartsWith("--"u8))
            {
                return parts;
            }
            int lineEnd = span[pos..].IndexOf("\r\n"u8);
            if (lineEnd < 0 || !span.Slice(pos, lineEnd).Trim((byte)' ').IsEmpty)
            {
                throw Malformed("a boundary line is not followed by CRLF");
            }
            pos += lineEnd + 2;
            int next = span[pos..].IndexOf(crlfDelimiter);
            if (next < 0)
            {
                throw Malformed("the closing boundary is missing");
            }
            parts.Add(ParsePart(body.Slice(pos, next)));
            pos += next + crlfDelimiter.Length;
        }
    }

    private static MultipartPart ParsePart(ReadOnlyMemory<byte> part)
    {
        ReadOnlySpan<byte> span = part.Span;
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        int headerEnd;
        if (span.StartsWith("\r\n"u8))
        {
            headerEnd = 0;
        }
        else
        {
            int blank = span.IndexOf("\r\n\r\n"u8);
            if (blank < 0)
            {
                throw Malformed("a part has no blank line after its headers");
            }
            foreach (string line in Encoding.UTF8.GetString(span[..blank]).Split("\r\n"))
            {
                int colon = line.IndexOf(':', StringComparison.Ordinal);
                if (colon <= 0)
                {
                    throw Malformed($"bad part header '{line}'");
                }
                headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
            }
            headerEnd = blank + 2;
        }
        return new MultipartPart(headers, part[(headerEnd + 2)..]);
    }

    private static GcsException Malformed(string why) => GcsException.Invalid($"Malformed multipart/related body: {why}.");
}
