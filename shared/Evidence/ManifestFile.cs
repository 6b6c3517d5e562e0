using System.Text;

namespace Cctv.Shared.Evidence;

/// <summary>
/// The object a recorder uploads for each manifest (docs/evidence-format.md, "Manifest file"): lines ending in LF,
/// line 1 the manifest's canonical bytes, line 2 its signature in base64 (RFC 4648, with padding), then the covered
/// entries' canonical bytes, one per line, in index order. Canonical bytes never hold a raw LF (it is escaped), so the
/// lines split one way. Self-contained: the file alone says which entries the signature covers.
/// </summary>
public sealed record ManifestFile(SignedManifest Manifest, IReadOnlyList<byte[]> Entries)
{
    public const string ContentType = "text/plain; charset=utf-8";
    public const string Extension = ".manifest";

    public static ManifestFile Of(SignedManifest manifest, IEnumerable<ChainEntry> entries) => new(manifest, entries.Select(e => e.Bytes).ToList());

    public byte[] ToBytes()
    {
        using var buffer = new MemoryStream();
        buffer.Write(Manifest.Bytes);
        buffer.WriteByte((byte)'\n');
        buffer.Write(Encoding.ASCII.GetBytes(Convert.ToBase64String(Manifest.Signature)));
        buffer.WriteByte((byte)'\n');
        foreach (byte[] entry in Entries)
        {
            buffer.Write(entry);
            buffer.WriteByte((byte)'\n');
        }
        return buffer.ToArray();
    }

    /// <summary>Splits a manifest file into its lines; a <see cref="FormatException"/> names what is wrong with its shape.</summary>
    public static ManifestFile Parse(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty || bytes[^1] != (byte)'\n')
        {
            throw new FormatException("A manifest file ends with a line feed.");
        }
        var lines = new List<byte[]>();
        foreach (Range line in bytes[..^1].Split((byte)'\n'))
        {
            lines.Add(bytes[line].ToArray());
        }
        if (lines.Count < 3)
        {
            throw new FormatException($"A manifest file has a manifest line, a signature line and at least one entry line; this one has {lines.Count} line(s).");
        }
        byte[] signature;
        try
        {
            signature = Convert.FromBase64String(Encoding.ASCII.GetString(lines[1]));
        }
        catch (FormatException e)
        {
            throw new FormatException("A manifest file's second line is its signature in base64; this one is not base64.", e);
        }
        if (Convert.ToBase64String(signature) != Encoding.ASCII.GetString(lines[1]))
        {
            throw new FormatException("A manifest file's signature line is not canonical base64 (RFC 4648 with padding, no whitespace).");
        }
        return new ManifestFile(new SignedManifest(lines[0], signature), lines.Skip(2).ToList());
    }
}
