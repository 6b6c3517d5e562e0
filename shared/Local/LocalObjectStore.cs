using System.Runtime.CompilerServices;
using System.Text.Json;
using Cctv.Shared.Hashing;
using Cctv.Shared.Ports;

namespace Cctv.Shared.Local;

/// <summary>
/// The embedded backend's object store: a directory per bucket. Objects are written to a temporary file,
/// fsynced and checked against the expected CRC32C before they are committed; the commit (precondition,
/// rename, metadata, finalize event) happens under an exclusive per-bucket lock, which also serialises
/// other processes using the same data directory. Generations increase strictly, as in Cloud Storage.
/// Every rename is followed by an fsync of the file's directory and of each parent folder the commit created.
/// An object's generation is also its data file's modification time (microseconds since the epoch), so that when its
/// metadata is lost or corrupt, the repair (which re-hashes the bytes) gives it back the same generation. A corrupt
/// metadata file is moved aside (under the bucket's <c>quarantine/</c> folder) and reported, and the object repaired.
/// Append sessions (objects written while they grow) are in <c>LocalObjectStore.Sessions.cs</c>.
/// </summary>
public sealed partial class LocalObjectStore : IObjectStore, IAppendSessions
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static long s_lastGeneration;

    private readonly string _root;
    private readonly TimeProvider _time;
    private readonly LocalEventSpool? _events;
    private readonly HashSet<string> _notifyingBuckets;
    private readonly Action<string> _report;

    /// <param name="root">The directory holding one directory per bucket.</param>
    /// <param name="events">Where finalize events go for the buckets in <paramref name="notifyingBuckets"/>.</param>
    /// <param name="report">Where a problem the store repaired by itself is reported (a corrupt metadata file); standard error by default.</param>
    public LocalObjectStore(string root, TimeProvider time, LocalEventSpool? events = null, IEnumerable<string>? notifyingBuckets = null,
        Action<string>? report = null)
    {
        _root = Path.GetFullPath(root);
        _time = time;
        _events = events;
        _notifyingBuckets = new HashSet<string>(notifyingBuckets ?? [], StringComparer.Ordinal);
        _report = report ?? (message => Console.Error.WriteLine($"local object store: {message}"));
        Directory.CreateDirectory(_root);
    }

    public async Task<StoredObject?> GetAsync(string bucket, string name, CancellationToken cancellationToken)
    {
        ObjectPaths paths = PathsOf(bucket, name);
        if (!File.Exists(paths.Data))
        {
            return null;
        }
        if ((await ReadMetadataAsync(paths, cancellationToken)).Object is { } meta)
        {
            return meta;
        }
        // Data without (readable) metadata: a writer died between its two renames, the file is corrupt, or a delete is
        // under way. Repair under the lock, after looking again: a delete that held the lock has removed the data too.
        using BucketLock _ = await BucketLock.AcquireAsync(BucketDir(bucket), cancellationToken);
        return File.Exists(paths.Data) ? await ReadOrRepairAsync(bucket, name, paths, cancellationToken) : null;
    }

    public async Task<StoredObject> UploadAsync(UploadRequest request, Stream content, CancellationToken cancellationToken)
    {
        ObjectPaths paths = PathsOf(request.Bucket, request.Name);
        string temp = TempPathIn(request.Bucket);
        try
        {
            SegmentDigest digest = await CopyAndHashAsync(content, temp, includeMd5: request.Md5 is not null, cancellationToken);
            if (!string.Equals(digest.Crc32CBase64, request.Crc32C, StringComparison.Ordinal))
            {
                throw new ObjectStoreException(ObjectStoreError.ChecksumMismatch,
                    $"gs://{request.Bucket}/{request.Name}: the bytes received have CRC32C {digest.Crc32CBase64}, the request said {request.Crc32C}; nothing was stored");
            }
            if (request.Md5 is not null && !string.Equals(digest.Md5, request.Md5, StringComparison.Ordinal))
            {
                throw new ObjectStoreException(ObjectStoreError.ChecksumMismatch,
                    $"gs://{request.Bucket}/{request.Name}: the bytes received have MD5 {digest.Md5}, the request said {request.Md5}; nothing was stored");
            }
            return await CommitAsync(request.Bucket, request.Name, paths, temp, digest, request.ContentType, request.Metadata, request.IfGenerationMatch, cancellationToken);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    public async Task<StoredObject> CopyAsync(string sourceBucket, string sourceName, long? ifSourceGenerationMatch, string destinationBucket, string destinationName,
        long? ifGenerationMatch, CancellationToken cancellationToken)
    {
        ObjectPaths destination = PathsOf(destinationBucket, destinationName);
        (StoredObject source, Stream opened) = await OpenSourceAsync(sourceBucket, sourceName, ifSourceGenerationMatch, cancellationToken);
        await using Stream input = opened;
        string temp = TempPathIn(destinationBucket);
        try
        {
            SegmentDigest digest = await CopyAndHashAsync(input, temp, includeMd5: source.Md5 is not null, cancellationToken);
            if (digest.Crc32CBase64 != source.Crc32C)
            {
                throw new ObjectStoreException(ObjectStoreError.ChecksumMismatch,
                    $"gs://{sourceBucket}/{sourceName} reads back with CRC32C {digest.Crc32CBase64}, its metadata says {source.Crc32C}");
            }
            return await CommitAsync(destinationBucket, destinationName, destination, temp, digest, source.ContentType, source.Metadata, ifGenerationMatch, cancellationToken);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>
    /// The copy source's metadata and its opened bytes, read together under the source bucket's lock, so that a commit of a
    /// newer generation cannot slip in between the precondition and the open.
    /// </summary>
    private async Task<(StoredObject Source, Stream Bytes)> OpenSourceAsync(string bucket, string name, long? ifGenerationMatch, CancellationToken cancellationToken)
    {
        using BucketLock _ = await BucketLock.AcquireAsync(BucketDir(bucket), cancellationToken);
        ObjectPaths paths = PathsOf(bucket, name);
        StoredObject source = (File.Exists(paths.Data) ? await ReadOrRepairAsync(bucket, name, paths, cancellationToken) : null)
            ?? throw NotFound(bucket, name);
        if (ifGenerationMatch is { } expected && source.Generation != expected)
        {
            throw new ObjectStoreException(ObjectStoreError.PreconditionFailed,
                $"gs://{bucket}/{name} is at generation {source.Generation} (ifSourceGenerationMatch={expected})");
        }
        return (source, await OpenReadAsync(bucket, name, cancellationToken));
    }

    public async Task<bool> DeleteAsync(string bucket, string name, long? ifGenerationMatch, CancellationToken cancellationToken)
    {
        ObjectPaths paths = PathsOf(bucket, name);
        using BucketLock _ = await BucketLock.AcquireAsync(BucketDir(bucket), cancellationToken);
        StoredObject? current = File.Exists(paths.Data) ? await ReadOrRepairAsync(bucket, name, paths, cancellationToken) : null;
        if (current is null)
        {
            return false;
        }
        if (ifGenerationMatch is { } expected && current.Generation != expected)
        {
            throw new ObjectStoreException(ObjectStoreError.PreconditionFailed,
                $"gs://{bucket}/{name} is at generation {current.Generation}, not {expected}");
        }
        if (current.EventBasedHold)
        {
            throw Held(bucket, name);
        }
        File.Delete(paths.Metadata);
        File.Delete(paths.Data);
        return true;
    }

    public async IAsyncEnumerable<StoredObject> ListAsync(string bucket, string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string dataRoot = Path.Combine(BucketDir(bucket), "o");
        if (!Directory.Exists(dataRoot))
        {
            yield break;
        }
        var names = Directory.EnumerateFiles(dataRoot, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(dataRoot, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);
        foreach (string name in names)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (await GetAsync(bucket, name, cancellationToken) is { } meta)
            {
                yield return meta;
            }
        }
    }

    public Task<Stream> OpenReadAsync(string bucket, string name, CancellationToken cancellationToken)
    {
        ObjectPaths paths = PathsOf(bucket, name);
        try
        {
            Stream stream = new FileStream(paths.Data, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
            return Task.FromResult(stream);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw NotFound(bucket, name);
        }
    }

    /// <summary>The file that holds an object's bytes (the functions host serves it with range support).</summary>
    /// <summary>
    /// Records the hold in the object's metadata file (written to a temporary file, synced, renamed over the old one,
    /// under the bucket's lock), so a delete or an overwrite refuses it from then on, in this process and any other.
    /// </summary>
    public async Task<StoredObject> SetEventBasedHoldAsync(string bucket, string name, bool hold, CancellationToken cancellationToken)
    {
        ObjectPaths paths = PathsOf(bucket, name);
        using BucketLock _ = await BucketLock.AcquireAsync(BucketDir(bucket), cancellationToken);
        StoredObject current = (File.Exists(paths.Data) ? await ReadOrRepairAsync(bucket, name, paths, cancellationToken) : null)
            ?? throw NotFound(bucket, name);
        if (current.EventBasedHold == hold)
        {
            return current;
        }
        StoredObject changed = current with { EventBasedHold = hold, Updated = _time.GetUtcNow() };
        await WriteMetadataAsync(paths, changed, cancellationToken);
        return changed;
    }

    public string DataPathOf(string bucket, string name) => PathsOf(bucket, name).Data;

    private async Task<StoredObject> CommitAsync(string bucket, string name, ObjectPaths paths, string temp, SegmentDigest digest,
        string contentType, IReadOnlyDictionary<string, string> metadata, long? ifGenerationMatch, CancellationToken cancellationToken)
    {
        using BucketLock _ = await BucketLock.AcquireAsync(BucketDir(bucket), cancellationToken);
        StoredObject? current = File.Exists(paths.Data) ? await ReadOrRepairAsync(bucket, name, paths, cancellationToken) : null;
        if (ifGenerationMatch is { } expected && (current?.Generation ?? 0) != expected)
        {
            throw new ObjectStoreException(ObjectStoreError.PreconditionFailed,
                current is null
                    ? $"gs://{bucket}/{name} does not exist (ifGenerationMatch={expected})"
                    : $"gs://{bucket}/{name} exists at generation {current.Generation} (ifGenerationMatch={expected})");
        }
        if (current is { EventBasedHold: true })
        {
            throw Held(bucket, name);
        }

        var stored = new StoredObject(bucket, name, NextGeneration(), digest.Size, digest.Crc32CBase64, digest.Md5,
            contentType, new Dictionary<string, string>(metadata), _time.GetUtcNow());
        // The generation goes with the bytes (their modification time), so a repair can give it back.
        File.SetLastWriteTimeUtc(temp, GenerationTime(stored.Generation));
        Durability.FsyncFile(temp);
        string dataDir = Path.GetDirectoryName(paths.Data)!;
        IReadOnlyList<string> created = Durability.CreateDirectory(dataDir);
        File.Move(temp, paths.Data, overwrite: true);
        Durability.FsyncNewEntry(dataDir, created);
        await WriteMetadataAsync(paths, stored, cancellationToken);

        if (_events is not null && _notifyingBuckets.Contains(bucket))
        {
            await _events.EnqueueFinalizedAsync(stored, cancellationToken);
        }
        return stored;
    }

    private string TempPathIn(string bucket)
    {
        string dir = Path.Combine(BucketDir(bucket), "tmp");
        IReadOnlyList<string> created = Durability.CreateDirectory(dir);
        if (created.Count > 0)
        {
            Durability.FsyncNewEntry(dir, created); // a new bucket's folder must survive a power cut like its objects
        }
        return Path.Combine(dir, Guid.NewGuid().ToString("N"));
    }

    /// <summary>
    /// Copies the bytes to <paramref name="temp"/> and hashes them on the way. MD5 only when a client declared one to check
    /// (or the copy's source has one, as Cloud Storage keeps it on a copy): nothing of ours needs it (see <see cref="SegmentHasher"/>).
    /// </summary>
    private static async Task<SegmentDigest> CopyAndHashAsync(Stream content, string temp, bool includeMd5, CancellationToken cancellationToken)
    {
        // Size and CRC32C (and MD5 when declared) are what a store checks and keeps; it has no use for SHA-256.
        using var hasher = new SegmentHasher(includeMd5, includeSha256: false);
        await using (var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous))
        {
            byte[] buffer = new byte[SegmentHasher.BufferSize];
            int read;
            while ((read = await content.ReadAsync(buffer, cancellationToken)) > 0)
            {
                hasher.Append(buffer.AsSpan(0, read));
                await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
            await output.FlushAsync(cancellationToken);
            Durability.FsyncFile(output);
        }
        return hasher.Finish();
    }

    /// <summary>Under the bucket's lock: the object's metadata, or, when it is missing or corrupt, the object repaired from its bytes.</summary>
    private async Task<StoredObject> ReadOrRepairAsync(string bucket, string name, ObjectPaths paths, CancellationToken cancellationToken)
    {
        MetadataRead read = await ReadMetadataAsync(paths, cancellationToken);
        if (read.Object is { } meta)
        {
            return meta;
        }
        if (read.Problem is { } problem)
        {
            string aside = QuarantinePathOf(bucket, paths);
            IReadOnlyList<string> created = Durability.CreateDirectory(Path.GetDirectoryName(aside)!);
            File.Move(paths.Metadata, aside);
            Durability.FsyncNewEntry(Path.GetDirectoryName(aside)!, created);
            _report($"the metadata of gs://{bucket}/{name} was corrupt ({problem}); moved aside to {aside} and the object repaired from its bytes");
        }
        SegmentDigest digest = SegmentHasher.ChecksumFile(paths.Data, cancellationToken);
        DateTime written = File.GetLastWriteTimeUtc(paths.Data);
        // The data file's modification time is its generation (set at commit); one that cannot be (a file copied in by hand) gets a new one.
        long generation = written > DateTime.UnixEpoch && (written - DateTime.UnixEpoch).Ticks % 10 == 0
            ? (written - DateTime.UnixEpoch).Ticks / 10
            : NextGeneration();
        var repaired = new StoredObject(bucket, name, generation, digest.Size, digest.Crc32CBase64, digest.Md5,
            "application/octet-stream", new Dictionary<string, string>(), new DateTimeOffset(written));
        await WriteMetadataAsync(paths, repaired, cancellationToken);
        return repaired;
    }

    /// <summary>What reading a metadata file found: the object, nothing (no file), or why the file is unusable.</summary>
    private readonly record struct MetadataRead(StoredObject? Object, string? Problem);

    private static async Task<MetadataRead> ReadMetadataAsync(ObjectPaths paths, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = new FileStream(paths.Metadata, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
            StoredObject? stored = await JsonSerializer.DeserializeAsync<StoredObject>(stream, Json, cancellationToken);
            return stored is { Bucket: not null, Name: not null, Crc32C: not null, ContentType: not null, Metadata: not null, Generation: > 0 }
                ? new MetadataRead(stored, null)
                : new MetadataRead(null, "required fields are missing");
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return new MetadataRead(null, null);
        }
        catch (JsonException e)
        {
            return new MetadataRead(null, e.Message);
        }
    }

    private static async Task WriteMetadataAsync(ObjectPaths paths, StoredObject stored, CancellationToken cancellationToken)
    {
        string dir = Path.GetDirectoryName(paths.Metadata)!;
        IReadOnlyList<string> created = Durability.CreateDirectory(dir);
        string temp = paths.Metadata + ".tmp";
        await using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            await JsonSerializer.SerializeAsync(stream, stored, Json, cancellationToken);
            Durability.FsyncFile(stream);
        }
        File.Move(temp, paths.Metadata, overwrite: true);
        Durability.FsyncNewEntry(dir, created);
    }

    /// <summary>Where a corrupt metadata file is moved: the bucket's quarantine folder, under its own name and the moment it was moved.</summary>
    private string QuarantinePathOf(string bucket, ObjectPaths paths) =>
        Path.Combine(BucketDir(bucket), "quarantine", Path.GetRelativePath(Path.Combine(BucketDir(bucket), "m"), paths.Metadata)
            + "." + _time.GetUtcNow().ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture) + "." + Guid.NewGuid().ToString("N")[..8]);

    /// <summary>The modification time that carries a generation (microseconds since the epoch).</summary>
    private static DateTime GenerationTime(long generation) => DateTime.UnixEpoch.AddTicks(generation * 10);

    private long NextGeneration()
    {
        long candidate = _time.GetUtcNow().ToUnixTimeMilliseconds() * 1000;
        while (true)
        {
            long last = Interlocked.Read(ref s_lastGeneration);
            long next = Math.Max(candidate, last + 1);
            if (Interlocked.CompareExchange(ref s_lastGeneration, next, last) == last)
            {
                return next;
            }
        }
    }

    private string BucketDir(string bucket)
    {
        if (!LocalNames.IsValidBucket(bucket))
        {
            throw new ObjectStoreException(ObjectStoreError.Permanent, $"'{bucket}' is not a valid bucket name");
        }
        return Path.Combine(_root, bucket);
    }

    private ObjectPaths PathsOf(string bucket, string name)
    {
        if (!LocalNames.IsValidObjectName(name))
        {
            throw new ObjectStoreException(ObjectStoreError.Permanent, $"'{name}' is not an object name this store accepts");
        }
        string dir = BucketDir(bucket);
        string relative = name.Replace('/', Path.DirectorySeparatorChar);
        return new ObjectPaths(Path.Combine(dir, "o", relative), Path.Combine(dir, "m", relative + ".json"));
    }

    private static ObjectStoreException NotFound(string bucket, string name) =>
        new(ObjectStoreError.NotFound, $"gs://{bucket}/{name} does not exist");

    private static ObjectStoreException Held(string bucket, string name) =>
        new(ObjectStoreError.Permanent, $"gs://{bucket}/{name} is under an event-based hold (a legal hold): it cannot be deleted or overwritten until the hold is released");

    private sealed record ObjectPaths(string Data, string Metadata);
}

/// <summary>Name rules of the embedded store: Cloud Storage's, narrowed to what is safe as a path.</summary>
public static class LocalNames
{
    public static bool IsValidBucket(string bucket) =>
        bucket.Length is >= 3 and <= 63 && bucket.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_' or '.')
        && bucket[0] != '.' && !bucket.Contains("..", StringComparison.Ordinal);

    public static bool IsValidObjectName(string name)
    {
        if (name.Length is 0 or > 1024 || name.Contains('\\') || name.Contains('\0') || name.StartsWith('/') || name.EndsWith('/'))
        {
            return false;
        }
        foreach (string part in name.Split('/'))
        {
            if (part.Length == 0 || part == "." || part == ".." || part.EndsWith(".json.tmp", StringComparison.Ordinal) || part.Any(char.IsControl))
            {
                return false;
            }
        }
        return true;
    }
}
