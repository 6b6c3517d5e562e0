using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using Cctv.EdgeRecorder.Configuration;
using Cctv.Shared.Domain;
using Cctv.Shared.Gcp.Storage;
using Cctv.Shared.Ports;
using Microsoft.Data.Sqlite;

namespace Cctv.Benchmarks.Uploads;

/// <summary>
/// <c>uploads --breakdown</c>: the agent's upload path taken apart, each piece timed alone over the same set, to
/// show where the time goes: the whole agent; the outbox and uploader with a store that accepts at once; the
/// adapter alone (no outbox) reading the file as the uploader opens it, with a buffered file, and from memory; and
/// a minimal resumable upload on a bare HttpClient (one initiation, one PUT of the whole file) as the floor.
/// </summary>
internal static class Breakdown
{
    public delegate Task<(TimeSpan Elapsed, string? Failure, string Note)> Variant(SegmentSet set, string prefix, CancellationToken ct);

    /// <summary>The pieces, in the order they run; <c>Stores</c> is false for the one whose store keeps nothing (nothing to verify).</summary>
    public static IReadOnlyList<(string Name, bool Stores, Variant Run)> Variants(UploadBenchmarkOptions options, Uri endpoint, string bucket, string work) =>
    [
        ("agent: Uploader + outbox + GcsObjectStore", true, (set, prefix, ct) =>
            AgentRun.UploadAsync(options, set, endpoint, bucket, prefix, Path.Combine(work, prefix), ct)),
        ("Uploader + outbox, a store that accepts at once (no HTTP)", false, async (set, prefix, ct) =>
        {
            RecorderOptions recorder = AgentRun.Options(options, endpoint, bucket, Path.Combine(work, prefix));
            var store = new InstantStore();
            (TimeSpan elapsed, string? failure, string note) = await AgentRun.UploadAsync(options, recorder, store, set, bucket, prefix, ct);
            return (elapsed, failure, $"{note}; one outbox write (SetSession) took {store.SessionWriteLatency()}");
        }),
        ("GcsObjectStore alone, file opened as the Uploader opens it", true, (set, prefix, ct) =>
            AdapterAsync(options, endpoint, bucket, set, prefix, path => new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan), ct)),
        ("GcsObjectStore alone, file opened with a 1 MiB buffer", true, (set, prefix, ct) =>
            AdapterAsync(options, endpoint, bucket, set, prefix, path => new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan), ct)),
        ("GcsObjectStore alone, bytes already in memory", true, (set, prefix, ct) =>
            AdapterAsync(options, endpoint, bucket, set, prefix, path => new MemoryStream(File.ReadAllBytes(path), writable: false), ct)),
        ("bare HttpClient: initiate + one PUT of the file", true, (set, prefix, ct) => BareAsync(options, endpoint, bucket, set, prefix, ct)),
    ];

    /// <summary>
    /// What the outbox's SQLite does when a writer finds the database locked for 20 ms by another connection, with
    /// the busy timeout the outbox sets: its busy handler sleeps, in whole seconds when the library was built
    /// without <c>HAVE_USLEEP</c>.
    /// </summary>
    public static async Task<string> SqliteBusyProbeAsync(string directory)
    {
        string path = Path.Combine(directory, "busy-probe.db");
        string connection = new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString();
        using var holder = new SqliteConnection(connection);
        holder.Open();
        Execute(holder, "PRAGMA journal_mode=WAL; CREATE TABLE IF NOT EXISTS t (x INTEGER);");
        using var waiter = new SqliteConnection(connection);
        waiter.Open();
        Execute(waiter, "PRAGMA busy_timeout=30000;");
        using (SqliteTransaction locked = holder.BeginTransaction())
        {
            Execute(holder, "INSERT INTO t VALUES (1);", locked);
            Task release = Task.Run(async () =>
            {
                await Task.Delay(20);
                locked.Commit();
            });
            long started = Stopwatch.GetTimestamp();
            Execute(waiter, "INSERT INTO t VALUES (2);");
            double waited = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            await release;
            return string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"SQLite {waiter.ServerVersion}: a write that finds the database locked for 20 ms waits {waited:0} ms (busy_timeout 30000)");
        }

        static void Execute(SqliteConnection c, string sql, SqliteTransaction? tx = null)
        {
            using SqliteCommand command = c.CreateCommand();
            command.CommandText = sql;
            command.Transaction = tx;
            command.ExecuteNonQuery();
        }
    }

    private static async Task<(TimeSpan, string?, string)> AdapterAsync(UploadBenchmarkOptions options, Uri endpoint, string bucket, SegmentSet set, string prefix,
        Func<string, Stream> open, CancellationToken ct)
    {
        using GcsObjectStore store = await AgentRun.CreateStoreAsync(AgentRun.Options(options, endpoint, bucket, ""), ct);
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(set.Files, new ParallelOptions { MaxDegreeOfParallelism = options.Parallelism, CancellationToken = ct }, async (file, token) =>
        {
            await using Stream content = open(file.Path);
            await store.UploadAsync(Request(bucket, prefix, file), content, token);
        });
        return (clock.Elapsed, null, "no retries (clean server)");
    }

    private static async Task<(TimeSpan, string?, string)> BareAsync(UploadBenchmarkOptions options, Uri endpoint, string bucket, SegmentSet set, string prefix, CancellationToken ct)
    {
        using var http = new HttpClient();
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(set.Files, new ParallelOptions { MaxDegreeOfParallelism = options.Parallelism, CancellationToken = ct }, async (file, token) =>
        {
            string name = $"{prefix}/{file.Name}";
            var metadata = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string>
            {
                ["name"] = name,
                ["contentType"] = "video/mp4",
                ["crc32c"] = file.Digest.Crc32CBase64,
            }));
            metadata.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var initiate = new HttpRequestMessage(HttpMethod.Post,
                new Uri(endpoint, $"upload/storage/v1/b/{bucket}/o?uploadType=resumable&ifGenerationMatch=0&name={Uri.EscapeDataString(name)}")) { Content = metadata };
            using HttpResponseMessage session = await http.SendAsync(initiate, token);
            session.EnsureSuccessStatusCode();
            await using var content = new FileStream(file.Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
            using var put = new HttpRequestMessage(HttpMethod.Put, session.Headers.Location) { Content = new StreamContent(content, 1 << 20) };
            put.Content.Headers.ContentLength = file.Size;
            put.Content.Headers.ContentType = new MediaTypeHeaderValue("video/mp4");
            using HttpResponseMessage done = await http.SendAsync(put, token);
            done.EnsureSuccessStatusCode();
        });
        return (clock.Elapsed, null, "no retries (clean server)");
    }

    private static UploadRequest Request(string bucket, string prefix, SegmentFile file) => new(
        bucket, $"{prefix}/{file.Name}", "video/mp4", file.Digest.Crc32CBase64, file.Digest.Md5, IfGenerationMatch: 0,
        new Dictionary<string, string> { [ObjectMetadata.Sha256] = file.Digest.Sha256 });

    /// <summary>
    /// Accepts every upload at once without reading it; starts a "session" first, as the real adapter does, and times
    /// how long the uploader's callback (which writes the session URI to the outbox) takes.
    /// </summary>
    private sealed class InstantStore : IObjectStore
    {
        private readonly System.Collections.Concurrent.ConcurrentBag<double> _sessionWriteMs = [];
        private long _generation;

        public string SessionWriteLatency()
        {
            double[] ms = _sessionWriteMs.Order().ToArray();
            return ms.Length == 0 ? "n/a" : string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"p50 {ms[ms.Length / 2]:0.0} ms, p90 {ms[ms.Length * 9 / 10]:0.0} ms, max {ms[^1]:0.0} ms, {ms.Count(m => m >= 140)} of {ms.Length} at 140 ms or more");
        }

        public Task<StoredObject> UploadAsync(UploadRequest request, Stream content, CancellationToken cancellationToken)
        {
            long started = Stopwatch.GetTimestamp();
            request.SessionStarted?.Invoke(new Uri($"http://127.0.0.1/session/{Uri.EscapeDataString(request.Name)}"));
            _sessionWriteMs.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return Task.FromResult(new StoredObject(request.Bucket, request.Name, Interlocked.Increment(ref _generation), content.Length, request.Crc32C,
                request.Md5, request.ContentType, request.Metadata, DateTimeOffset.UtcNow));
        }

        public Task<StoredObject?> GetAsync(string bucket, string name, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<StoredObject> CopyAsync(string sourceBucket, string sourceName, long? ifSourceGenerationMatch, string destinationBucket, string destinationName,
            long? ifGenerationMatch, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<bool> DeleteAsync(string bucket, string name, long? ifGenerationMatch, CancellationToken cancellationToken) => throw new NotSupportedException();

        public IAsyncEnumerable<StoredObject> ListAsync(string bucket, string prefix, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<Stream> OpenReadAsync(string bucket, string name, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<StoredObject> SetEventBasedHoldAsync(string bucket, string name, bool hold, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
