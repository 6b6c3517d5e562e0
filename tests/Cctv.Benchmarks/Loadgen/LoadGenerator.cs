using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using Cctv.Functions.Finalize;
using Cctv.Shared.CloudEvents;
using Cctv.Shared.Domain;
using Cctv.Shared.Hashing;
using Cctv.Shared.Ports;
using CloudNative.CloudEvents;

namespace Cctv.Benchmarks.Loadgen;

/// <summary>
/// N virtual recorders with M cameras each against the functions host on the embedded backend, over real HTTP on
/// loopback: first every segment is announced in the catalog and its tiny object uploaded to staging (as the edge
/// does), then finalize events are delivered to the host's finalize function at the chosen rate (open loop: an
/// event's latency runs from when it was due, through any redelivery after a 5xx), a share of them twice. The host's catalog is wrapped in a
/// <see cref="CountingCatalog"/>. At the end every segment must be archived exactly once: one applied change to
/// archived per recording, one archive object per recording, and nothing left in staging.
/// </summary>
public sealed class LoadGenerator
{
    private const int MaxDeliveries = 6;

    /// <summary>A run on the embedded backend in <paramref name="dataDir"/>.</summary>
    public static async Task<LoadResult> RunAsync(LoadOptions options, string dataDir, CancellationToken cancellationToken)
    {
        options.Validate();
        await using ILoadBackend backend = await EmbeddedLoadBackend.StartAsync(dataDir, cancellationToken);
        return await RunAsync(options, backend, cancellationToken);
    }

    /// <summary>A run against a started backend (the host's catalog counted, an edge-side store, the finalize URL).</summary>
    public static async Task<LoadResult> RunAsync(LoadOptions options, ILoadBackend backend, CancellationToken cancellationToken)
    {
        options.Validate();
        CountingCatalog catalog = backend.Catalog;
        await RegisterCamerasAsync(options, catalog, cancellationToken);
        long setupReads = catalog.Reads, setupWrites = catalog.Writes;
        List<Segment> segments = await PrepareAsync(options, catalog, backend.EdgeStore, backend.Buckets.Staging, TimeProvider.System, cancellationToken);
        long announceReads = catalog.Reads - setupReads, announceWrites = catalog.Writes - setupWrites;

        (TimeSpan wall, TimeSpan cpu, List<TimeSpan> latencies, List<string> problems, int deliveries, int redeliveries) =
            await DeliverAsync(options, segments, backend, cancellationToken);
        long finalizeReads = catalog.Reads - announceReads - setupReads, finalizeWrites = catalog.Writes - announceWrites - setupWrites;

        problems.AddRange(await CheckExactlyOnceAsync(segments, catalog, backend.EdgeStore, backend.Buckets, cancellationToken));
        return new LoadResult(segments.Count, deliveries, redeliveries, wall, cpu, announceReads, announceWrites, finalizeReads, finalizeWrites, latencies, problems);
    }

    private sealed record Segment(RecordingAnnouncement Announcement, StoredObject Staged);

    /// <summary>Recorder names: two sites, each with recorders of its own, every one with cameras cam1..camM.</summary>
    public static string RecorderId(int index) => $"{(index % 2 == 0 ? "site-a" : "site-b")}-rec{index / 2 + 1}";

    /// <summary>Each recorder's site and cameras, as the edge registers them on start.</summary>
    private static async Task RegisterCamerasAsync(LoadOptions o, CountingCatalog catalog, CancellationToken ct)
    {
        for (int r = 0; r < o.Recorders; r++)
        {
            string recorder = RecorderId(r);
            await catalog.SetRecorderSiteAsync(new RecorderSite(recorder, r % 2 == 0 ? "site-a" : "site-b"), ct);
            for (int c = 1; c <= o.Cameras; c++)
            {
                await catalog.UpsertCameraAsync(new CameraInfo($"cam{c}", $"Camera {c}", recorder), ct);
            }
        }
    }

    /// <summary>Every segment announced in the catalog and its bytes uploaded to staging, as the edge does.</summary>
    private static async Task<List<Segment>> PrepareAsync(LoadOptions o, CountingCatalog catalog, IObjectStore store, string stagingBucket, TimeProvider time,
        CancellationToken ct)
    {
        DateTimeOffset start = time.GetUtcNow().AddMinutes(-10);
        int cameras = o.Recorders * o.Cameras;
        var segments = new List<Segment>(o.Segments);
        var random = new Random(14);
        for (int i = 0; i < o.Segments; i++)
        {
            int camera = i % cameras;
            string recorder = RecorderId(camera / o.Cameras);
            string cameraId = $"cam{camera % o.Cameras + 1}";
            int seq = i / cameras;
            byte[] bytes = new byte[o.SegmentBytes];
            random.NextBytes(bytes);
            SegmentDigest digest = await SegmentHasher.HashAsync(new MemoryStream(bytes), ct);
            string id = Cctv.Shared.Domain.RecordingId.For(recorder, cameraId, 1, seq);
            DateTimeOffset from = start.AddSeconds(seq);
            var announcement = new RecordingAnnouncement(id, recorder, cameraId, $"Camera {cameraId}", 1, seq, from, from.AddSeconds(1), digest.Size,
                digest.Sha256, digest.Crc32CBase64, digest.Md5, "video/mp4", ObjectNames.Staging(recorder, cameraId, id));
            await catalog.AnnounceAsync(announcement, ct);
            StoredObject staged = await store.UploadAsync(new UploadRequest(stagingBucket, announcement.StagingObject, "video/mp4",
                digest.Crc32CBase64, digest.Md5, 0, new Dictionary<string, string> { ["sha256"] = digest.Sha256 }), new MemoryStream(bytes), ct);
            segments.Add(new Segment(announcement, staged));
        }
        return segments;
    }

    private static async Task<(TimeSpan Wall, TimeSpan Cpu, List<TimeSpan> Latencies, List<string> Problems, int Deliveries, int Redeliveries)> DeliverAsync(
        LoadOptions o, List<Segment> segments, ILoadBackend backend, CancellationToken ct)
    {
        // Each segment's event, and a share of them again a moment later (Eventarc delivers at least once).
        var random = new Random(41);
        var events = segments.Select((s, i) => (Segment: s, Due: TimeSpan.FromSeconds(i / o.EventsPerSecond))).ToList();
        events.AddRange(events.Where(_ => random.NextDouble() < o.DuplicateShare).Select(e => (e.Segment, e.Due + TimeSpan.FromMilliseconds(50))).ToList());
        events.Sort((a, b) => a.Due.CompareTo(b.Due));

        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = o.Concurrency, PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(60) };
        using var gate = new SemaphoreSlim(o.Concurrency);
        var latencies = new List<TimeSpan>(events.Count);
        var problems = new List<string>();
        var tasks = new List<Task>(events.Count);
        int redeliveries = 0;
        using Process self = Process.GetCurrentProcess();
        TimeSpan cpuBefore = self.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        foreach ((Segment segment, TimeSpan due) in events)
        {
            TimeSpan wait = due - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, ct);
            }
            await gate.WaitAsync(ct);
            tasks.Add(Task.Run(async () =>
            {
                try
                {
                    string? failure = await PostAsync(client, backend, segment, () => Interlocked.Increment(ref redeliveries), ct);
                    TimeSpan latency = clock.Elapsed - due;
                    lock (latencies)
                    {
                        latencies.Add(latency);
                        if (failure is not null)
                        {
                            problems.Add(failure);
                        }
                    }
                }
                finally
                {
                    gate.Release();
                }
            }, ct));
        }
        await Task.WhenAll(tasks);
        TimeSpan wall = clock.Elapsed;
        self.Refresh();
        return (wall, self.TotalProcessorTime - cpuBefore, latencies, problems, events.Count, redeliveries);
    }

    /// <summary>
    /// One finalize event, as Eventarc sends it for the staged object, redelivered after a 5xx, 408 or 429 as Eventarc
    /// does (here after 100 ms, doubling, at most <see cref="MaxDeliveries"/> times): null when the function answered
    /// 2xx, else why not. <paramref name="redeliveries"/> counts the repeats.
    /// </summary>
    private static async Task<string?> PostAsync(HttpClient client, ILoadBackend backend, Segment segment, Action redelivered, CancellationToken ct)
    {
        CloudEvent cloudEvent = StorageEvents.Finalized(segment.Staged, DateTimeOffset.UtcNow);
        TimeSpan backoff = TimeSpan.FromMilliseconds(100);
        for (int attempt = 1; ; attempt++)
        {
            using HttpRequestMessage request = CloudEventHttp.ToBinaryModeRequest(cloudEvent, backend.FinalizeTarget);
            if (backend.BearerToken is { } token)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }
            using HttpResponseMessage response = await client.SendAsync(request, ct);
            if (response.IsSuccessStatusCode)
            {
                return null;
            }
            int status = (int)response.StatusCode;
            string answer = $"{segment.Announcement.Id}: {status} {await response.Content.ReadAsStringAsync(ct)}";
            if (status is not (>= 500 or 408 or 429) || attempt == MaxDeliveries)
            {
                return attempt == MaxDeliveries ? $"{answer} (after {attempt} deliveries)" : answer;
            }
            redelivered();
            await Task.Delay(backoff, ct);
            backoff *= 2;
        }
    }

    private static async Task<List<string>> CheckExactlyOnceAsync(List<Segment> segments, CountingCatalog catalog, IObjectStore store, BucketNames buckets,
        CancellationToken ct)
    {
        var problems = new List<string>();
        var archiveObjects = new Dictionary<string, int>(StringComparer.Ordinal);
        await foreach (StoredObject o in store.ListAsync(buckets.Archive, "", ct))
        {
            string? id = ObjectNames.RecordingIdOf(o.Name);
            if (id is null)
            {
                problems.Add($"archive object {o.Name} names no recording");
                continue;
            }
            archiveObjects[id] = archiveObjects.GetValueOrDefault(id) + 1;
        }
        foreach (Segment segment in segments)
        {
            string id = segment.Announcement.Id;
            Recording? r = await catalog.GetAsync(id, ct);
            if (r?.State != CloudState.Archived)
            {
                problems.Add($"{id} is {r?.State.ToString() ?? "missing"}, not archived");
            }
            if (catalog.ArchivedApplied.GetValueOrDefault(id) != 1)
            {
                problems.Add($"{id} was archived {catalog.ArchivedApplied.GetValueOrDefault(id)} times");
            }
            if (archiveObjects.GetValueOrDefault(id) != 1)
            {
                problems.Add($"{id} has {archiveObjects.GetValueOrDefault(id)} archive objects");
            }
        }
        if (archiveObjects.Keys.Except(segments.Select(s => s.Announcement.Id), StringComparer.Ordinal).FirstOrDefault() is { } stray)
        {
            problems.Add($"archive object of {stray}, which no virtual camera recorded");
        }
        await foreach (StoredObject o in store.ListAsync(buckets.Staging, "", ct))
        {
            problems.Add($"staging still holds {o.Name}");
        }
        return problems;
    }
}
