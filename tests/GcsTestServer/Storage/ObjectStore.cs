using System.Collections.Concurrent;
using System.Text;
using Cctv.Testing.Gcs.Http;

namespace Cctv.Testing.Gcs.Storage;

/// <summary>
/// Buckets and their live objects, in memory. Each bucket has one lock, held only to read or swap references, so
/// parallel uploads contend only for that instant; preconditions are evaluated under the same lock as the write.
/// Buckets are not versioned: a new generation replaces the old one.
/// </summary>
internal sealed class ObjectStore(TimeProvider time, bool autoCreateBuckets, ServerCounters counters)
{
    private readonly ConcurrentDictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Bucket, string Name), int> _commits = new();
    private long _lastGeneration;

    public event Action<TestObject>? Committed;

    /// <summary>Creates the bucket; false when it already exists.</summary>
    public bool TryCreateBucket(string name)
    {
        ValidateBucketName(name);
        return _buckets.TryAdd(name, new Bucket(new BucketInfo(name, time.GetUtcNow())));
    }

    public BucketInfo GetBucket(string name) => Resolve(name).Info;

    public bool BucketExists(string name) => _buckets.ContainsKey(name);

    public IReadOnlyList<BucketInfo> Buckets() => [.. _buckets.Values.Select(b => b.Info).OrderBy(b => b.Name, StringComparer.Ordinal)];

    public void DeleteBucket(string name)
    {
        Bucket bucket = _buckets.TryGetValue(name, out Bucket? b) ? b : throw GcsException.NoSuchBucket(name);
        lock (bucket.Gate)
        {
            if (bucket.Objects.Count > 0)
            {
                throw new GcsException(409, "conflict", "The bucket you tried to delete is not empty.");
            }
            _buckets.TryRemove(name, out _);
        }
    }

    /// <summary>The live object, or null (also when the bucket does not exist).</summary>
    public TestObject? Find(string bucket, string name)
    {
        if (!_buckets.TryGetValue(bucket, out Bucket? b))
        {
            return null;
        }
        lock (b.Gate)
        {
            return b.Objects.GetValueOrDefault(name);
        }
    }

    /// <summary>The live object; 404 for a missing bucket or object.</summary>
    public TestObject Get(string bucket, string name)
    {
        Bucket b = Resolve(bucket);
        lock (b.Gate)
        {
            return b.Objects.GetValueOrDefault(name) ?? throw GcsException.NoSuchObject(bucket, name);
        }
    }

    public IReadOnlyList<TestObject> All(string bucket)
    {
        if (!_buckets.TryGetValue(bucket, out Bucket? b))
        {
            return [];
        }
        lock (b.Gate)
        {
            return [.. b.Objects.Values];
        }
    }

    public int CommitCount(string bucket, string name) => _commits.GetValueOrDefault((bucket, name));

    /// <summary>Writes a new generation if <paramref name="preconditions"/> hold at this instant (else 412, nothing written).</summary>
    public TestObject Commit(
        string bucket,
        string name,
        ReadOnlyMemory<byte> bytes,
        Checksums checksums,
        string contentType,
        IReadOnlyDictionary<string, string> metadata,
        Preconditions preconditions)
    {
        ValidateObjectName(name);
        Bucket b = Resolve(bucket);
        TestObject committed;
        lock (b.Gate)
        {
            TestObject? current = b.Objects.GetValueOrDefault(name);
            if (!preconditions.Holds(current))
            {
                Interlocked.Increment(ref counters.PreconditionFailures);
                throw GcsException.PreconditionFailed();
            }
            if (current is { EventBasedHold: true })
            {
                throw GcsException.Held(bucket, name);
            }
            DateTimeOffset now = time.GetUtcNow();
            int count = _commits.AddOrUpdate((bucket, name), 1, (_, c) => c + 1);
            committed = new TestObject(
                bucket, name, NextGeneration(now), 1, bytes, checksums.Crc32CBase64, checksums.Md5Base64,
                contentType, metadata, now, now, count);
            b.Objects[name] = committed;
        }
        Interlocked.Increment(ref counters.ObjectsCommitted);
        Committed?.Invoke(committed);
        return committed;
    }

    /// <summary>Replaces the live object's metadata (metageneration + 1) if the preconditions hold.</summary>
    public TestObject UpdateMetadata(string bucket, string name, Preconditions preconditions, Func<TestObject, TestObject> change)
    {
        Bucket b = Resolve(bucket);
        lock (b.Gate)
        {
            TestObject current = b.Objects.GetValueOrDefault(name) ?? throw GcsException.NoSuchObject(bucket, name);
            if (!preconditions.Holds(current))
            {
                Interlocked.Increment(ref counters.PreconditionFailures);
                throw GcsException.PreconditionFailed();
            }
            TestObject updated = change(current) with
            {
                Generation = current.Generation,
                Metageneration = current.Metageneration + 1,
                Updated = time.GetUtcNow(),
            };
            b.Objects[name] = updated;
            return updated;
        }
    }

    public void Delete(string bucket, string name, long? generation, Preconditions preconditions)
    {
        Bucket b = Resolve(bucket);
        lock (b.Gate)
        {
            TestObject current = b.Objects.GetValueOrDefault(name) ?? throw GcsException.NoSuchObject(bucket, name);
            if (generation is long g && g != current.Generation)
            {
                throw GcsException.NoSuchObject(bucket, name);
            }
            if (!preconditions.Holds(current))
            {
                Interlocked.Increment(ref counters.PreconditionFailures);
                throw GcsException.PreconditionFailed();
            }
            if (current.EventBasedHold)
            {
                throw GcsException.Held(bucket, name);
            }
            b.Objects.Remove(name);
        }
    }

    /// <summary>One page in name order. <c>maxResults</c> counts items and prefixes together, as GCS does.</summary>
    public ObjectListPage List(string bucket, ObjectListQuery q)
    {
        Bucket b = Resolve(bucket);
        var items = new List<TestObject>();
        var prefixes = new List<string>();
        string? next = null;
        string start = Max(Max(q.Prefix, q.StartAt), q.StartOffset);
        lock (b.Gate)
        {
            IList<string> keys = b.Objects.Keys;
            IList<TestObject> values = b.Objects.Values;
            int i = LowerBound(keys, start);
            while (i < keys.Count)
            {
                string key = keys[i];
                if (!key.StartsWith(q.Prefix, StringComparison.Ordinal)
                    || (q.EndOffset is not null && string.CompareOrdinal(key, q.EndOffset) >= 0))
                {
                    break;
                }
                if (items.Count + prefixes.Count == q.MaxResults)
                {
                    next = key;
                    break;
                }
                int cut = string.IsNullOrEmpty(q.Delimiter) ? -1 : key.IndexOf(q.Delimiter, q.Prefix.Length, StringComparison.Ordinal);
                if (cut < 0)
                {
                    items.Add(values[i]);
                    i++;
                    continue;
                }
                string prefix = key[..(cut + q.Delimiter!.Length)];
                prefixes.Add(prefix);
                for (; i < keys.Count && keys[i].StartsWith(prefix, StringComparison.Ordinal); i++)
                {
                    if (q.IncludeTrailingDelimiter && keys[i].Length == prefix.Length)
                    {
                        items.Add(values[i]);
                    }
                }
            }
        }
        return new ObjectListPage(items, prefixes, next is null ? null : EncodePageToken(next));
    }

    public static string EncodePageToken(string startAt) => Convert.ToBase64String(Encoding.UTF8.GetBytes(startAt));

    public static string DecodePageToken(string token)
    {
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(token));
        }
        catch (FormatException)
        {
            throw GcsException.Invalid($"Invalid pageToken '{token}'.");
        }
    }

    public static void ValidateObjectName(string name)
    {
        if (name.Length == 0)
        {
            throw GcsException.Required("Required: the object name is empty.");
        }
        if (Encoding.UTF8.GetByteCount(name) > 1024)
        {
            throw GcsException.Invalid("The object name is longer than 1024 bytes of UTF-8.");
        }
        if (name.Contains('\r', StringComparison.Ordinal) || name.Contains('\n', StringComparison.Ordinal) || name is "." or "..")
        {
            throw GcsException.Invalid($"Invalid object name '{name}'.");
        }
    }

    private Bucket Resolve(string name)
    {
        if (_buckets.TryGetValue(name, out Bucket? bucket))
        {
            return bucket;
        }
        if (autoCreateBuckets)
        {
            ValidateBucketName(name);
            return _buckets.GetOrAdd(name, n => new Bucket(new BucketInfo(n, time.GetUtcNow())));
        }
        throw GcsException.NoSuchBucket(name);
    }

    private static void ValidateBucketName(string name)
    {
        if (name.Length is < 3 or > 222 || !name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_' or '.'))
        {
            throw GcsException.Invalid($"Invalid bucket name: '{name}'.");
        }
    }

    /// <summary>Strictly increasing across the server; microseconds since the epoch, like GCS generations.</summary>
    private long NextGeneration(DateTimeOffset now)
    {
        long micros = (now.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;
        while (true)
        {
            long last = Interlocked.Read(ref _lastGeneration);
            long next = Math.Max(micros, last + 1);
            if (Interlocked.CompareExchange(ref _lastGeneration, next, last) == last)
            {
                return next;
            }
        }
    }

    private static int LowerBound(IList<string> keys, string value)
    {
        int lo = 0;
        int hi = keys.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (string.CompareOrdinal(keys[mid], value) < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }

    private static string Max(string a, string? b) => b is not null && string.CompareOrdinal(b, a) > 0 ? b : a;

    private sealed class Bucket(BucketInfo info)
    {
        public BucketInfo Info { get; } = info;

        public Lock Gate { get; } = new();

        public SortedList<string, TestObject> Objects { get; } = new(StringComparer.Ordinal);
    }
}
