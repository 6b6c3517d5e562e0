using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace Cctv.Shared.Evidence;

/// <summary>
/// An evidence bundle opened for reading, in place: nothing is extracted, no name in the zip becomes a path on disk.
/// Opening checks the shape only (a zip; every name one of the layout's; no name twice; an index; files of bounded
/// size) and throws <see cref="BundleFormatException"/> for anything else. What the files say is checked by
/// <see cref="BundleVerifier"/>; a segment is read only when a signed entry names it, and never past the size it signs.
/// </summary>
public sealed partial class EvidenceBundle : IDisposable
{
    /// <summary>The most entries a bundle may hold: a day of one camera's 4-second segments is 21,600.</summary>
    public const int MaxFiles = 1_000_000;
    public const int MaxIndexBytes = 16 << 20;
    public const int MaxManifestBytes = 16 << 20;
    public const int MaxKeyBytes = 64 << 10;
    /// <summary>All manifests together: the bundle's metadata is held in memory, its segments never are.</summary>
    public const long MaxManifestTotalBytes = 256L << 20;

    private readonly ZipArchive _zip;
    private readonly Dictionary<string, ZipArchiveEntry> _segments;

    [GeneratedRegex(@"^(README\.txt|bundle\.json|keys/[A-Za-z0-9_.-]{1,100}\.pem|manifests/[0-9]{1,19}\.manifest|segments/[0-9]{1,19}-[0-9]{1,19}\.mp4|salvaged/[0-9]{1,19}-[0-9]{1,19}\.mp4|keys/|manifests/|segments/|salvaged/)\z")]
    private static partial Regex LayoutName();

    private EvidenceBundle(ZipArchive zip, BundleIndex index, IReadOnlyList<BundleFile> manifests, IReadOnlyList<BundleFile> keys, Dictionary<string, ZipArchiveEntry> segments)
    {
        _zip = zip;
        Index = index;
        Manifests = manifests;
        Keys = keys;
        _segments = segments;
    }

    public BundleIndex Index { get; }

    /// <summary>The manifest files in name order (which is sequence order, as the writer names them).</summary>
    public IReadOnlyList<BundleFile> Manifests { get; }

    public IReadOnlyList<BundleFile> Keys { get; }

    /// <summary>The names of the segment files, in name order.</summary>
    public IEnumerable<string> SegmentFiles => _segments.Keys.Where(n => n.StartsWith(BundleLayout.SegmentsFolder, StringComparison.Ordinal)).Order(StringComparer.Ordinal);

    /// <summary>The files in <see cref="BundleLayout.SalvagedFolder"/>: salvaged segments, unsigned (<see cref="HashSegment"/> reads them too).</summary>
    public IEnumerable<string> SalvagedFiles => _segments.Keys.Where(n => n.StartsWith(BundleLayout.SalvagedFolder, StringComparison.Ordinal)).Order(StringComparer.Ordinal);

    public bool HasSegment(string name) => _segments.ContainsKey(name);

    /// <exception cref="BundleFormatException">Not a readable bundle.</exception>
    public static EvidenceBundle Open(string path)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.RandomAccess);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new BundleFormatException($"{path} cannot be read: {e.Message}", e);
        }
        try
        {
            return Open(stream);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Reads a bundle from a seekable stream, which it then owns.</summary>
    public static EvidenceBundle Open(Stream stream)
    {
        ZipArchive zip;
        try
        {
            zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: false);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or ArgumentException or NotSupportedException)
        {
            throw new BundleFormatException($"Not an evidence bundle: not a zip file ({e.Message}).", e);
        }
        try
        {
            return Read(zip);
        }
        catch
        {
            zip.Dispose();
            throw;
        }
    }

    private static EvidenceBundle Read(ZipArchive zip)
    {
        if (zip.Entries.Count > MaxFiles)
        {
            throw new BundleFormatException($"Not an evidence bundle: it holds {zip.Entries.Count} files, more than {MaxFiles}.");
        }
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        ZipArchiveEntry? index = null;
        var manifests = new List<ZipArchiveEntry>();
        var keys = new List<ZipArchiveEntry>();
        var segments = new Dictionary<string, ZipArchiveEntry>(StringComparer.Ordinal);
        foreach (ZipArchiveEntry entry in zip.Entries)
        {
            string name = entry.FullName;
            if (!LayoutName().IsMatch(name))
            {
                throw new BundleFormatException($"Not an evidence bundle: it holds '{Printable(name)}', which is not a name of the bundle's layout (docs/evidence-bundle.md).");
            }
            if (!names.Add(name))
            {
                throw new BundleFormatException($"Not an evidence bundle: '{name}' is in it twice.");
            }
            if (name.EndsWith('/'))
            {
                continue;
            }
            if (name == BundleLayout.Index)
            {
                index = entry;
            }
            else if (name.StartsWith(BundleLayout.ManifestsFolder, StringComparison.Ordinal))
            {
                manifests.Add(entry);
            }
            else if (name.StartsWith(BundleLayout.KeysFolder, StringComparison.Ordinal))
            {
                keys.Add(entry);
            }
            else if (name.StartsWith(BundleLayout.SegmentsFolder, StringComparison.Ordinal) || name.StartsWith(BundleLayout.SalvagedFolder, StringComparison.Ordinal))
            {
                segments.Add(name, entry);
            }
        }
        if (index is null)
        {
            throw new BundleFormatException($"Not an evidence bundle: it has no {BundleLayout.Index}.");
        }
        BundleIndex parsed = BundleIndex.Parse(ReadAll(index, MaxIndexBytes));
        if (parsed.To < parsed.From)
        {
            throw new BundleFormatException($"{BundleLayout.Index}: its range ends before it starts.");
        }
        long total = 0;
        var manifestFiles = new List<BundleFile>();
        foreach (ZipArchiveEntry manifest in manifests.OrderBy(m => m.FullName, StringComparer.Ordinal))
        {
            byte[] bytes = ReadAll(manifest, MaxManifestBytes);
            if ((total += bytes.Length) > MaxManifestTotalBytes)
            {
                throw new BundleFormatException($"Not an evidence bundle: its manifests hold more than {MaxManifestTotalBytes} bytes.");
            }
            manifestFiles.Add(new BundleFile(manifest.FullName, bytes));
        }
        var keyFiles = keys.OrderBy(k => k.FullName, StringComparer.Ordinal).Select(k => new BundleFile(k.FullName, ReadAll(k, MaxKeyBytes))).ToList();
        return new EvidenceBundle(zip, parsed, manifestFiles, keyFiles, segments);
    }

    /// <summary>
    /// The size and SHA-256 of a segment file, reading at most <paramref name="limit"/> bytes (the size its entry
    /// signs, plus one: a larger file is reported larger without reading it all); null when the bundle has no such file.
    /// </summary>
    /// <exception cref="InvalidDataException">The file cannot be read from the zip (its compressed data is corrupt).</exception>
    public SegmentFacts? HashSegment(string name, long limit)
    {
        if (!_segments.TryGetValue(name, out ZipArchiveEntry? entry))
        {
            return null;
        }
        using Stream stream = entry.Open();
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] buffer = new byte[1 << 16];
        long size = 0;
        int read;
        while (size < limit && (read = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, limit - size))) > 0)
        {
            sha.AppendData(buffer, 0, read);
            size += read;
        }
        return new SegmentFacts(size, Convert.ToHexStringLower(sha.GetHashAndReset()));
    }

    private static byte[] ReadAll(ZipArchiveEntry entry, int limit)
    {
        try
        {
            using Stream stream = entry.Open();
            using var buffer = new MemoryStream();
            byte[] chunk = new byte[1 << 16];
            int read;
            while ((read = stream.Read(chunk, 0, chunk.Length)) > 0)
            {
                buffer.Write(chunk, 0, read);
                if (buffer.Length > limit)
                {
                    throw new BundleFormatException($"Not an evidence bundle: {entry.FullName} is larger than {limit} bytes.");
                }
            }
            return buffer.ToArray();
        }
        catch (Exception e) when (e is InvalidDataException or IOException or NotSupportedException)
        {
            throw new BundleFormatException($"Not an evidence bundle: {entry.FullName} cannot be read from the zip ({e.Message}).", e);
        }
    }

    /// <summary>Text from the bundle as it may be printed: control characters (a terminal's escape sequences among them) written as \uXXXX.</summary>
    public static string Printable(string text) =>
        text.Any(char.IsControl) ? string.Concat(text.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString())) : text;

    public void Dispose() => _zip.Dispose();
}

/// <summary>A small file of a bundle (a manifest, a key), by name, read into memory.</summary>
public sealed record BundleFile(string Name, byte[] Bytes);
