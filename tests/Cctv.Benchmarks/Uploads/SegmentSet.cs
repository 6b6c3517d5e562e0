using Cctv.Shared.Hashing;

namespace Cctv.Benchmarks.Uploads;

/// <summary>One file of the set and what it must hash to in the bucket.</summary>
internal sealed record SegmentFile(string Name, string Path, SegmentDigest Digest)
{
    public long Size => Digest.Size;
}

/// <summary>The segments every run uploads: random bytes, sizes drawn uniformly, from a fixed seed, in one folder.</summary>
internal sealed class SegmentSet : IDisposable
{
    private readonly string _owned;

    private SegmentSet(string directory, IReadOnlyList<SegmentFile> files, string owned)
    {
        Directory = directory;
        Files = files;
        _owned = owned;
    }

    public string Directory { get; }

    public IReadOnlyList<SegmentFile> Files { get; }

    public long TotalBytes => Files.Sum(f => f.Size);

    public static async Task<SegmentSet> CreateAsync(int count, int minBytes, int maxBytes, int seed, CancellationToken cancellationToken)
    {
        string root = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"cctv-bench-{Environment.ProcessId}");
        string directory = System.IO.Path.Combine(root, "segments");
        System.IO.Directory.CreateDirectory(directory);
        var random = new Random(seed);
        var files = new List<SegmentFile>(count);
        byte[] buffer = new byte[maxBytes];
        for (int i = 0; i < count; i++)
        {
            int size = random.Next(minBytes, maxBytes + 1);
            Span<byte> bytes = buffer.AsSpan(0, size);
            random.NextBytes(bytes);
            string name = $"seg-{i:D4}.mp4";
            string path = System.IO.Path.Combine(directory, name);
            await File.WriteAllBytesAsync(path, buffer.AsMemory(0, size), cancellationToken);
            files.Add(new SegmentFile(name, path, SegmentHasher.HashFile(path, cancellationToken)));
        }
        return new SegmentSet(directory, files, root);
    }

    /// <summary>The first <paramref name="count"/> files, copied into a folder of their own (rclone copies whole folders).</summary>
    public SegmentSet Take(int count, string directory)
    {
        System.IO.Directory.CreateDirectory(directory);
        var files = new List<SegmentFile>();
        foreach (SegmentFile file in Files.Take(count))
        {
            string copy = System.IO.Path.Combine(directory, file.Name);
            if (!File.Exists(copy))
            {
                File.Copy(file.Path, copy);
            }
            files.Add(file with { Path = copy });
        }
        return new SegmentSet(directory, files, directory);
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(_owned, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
