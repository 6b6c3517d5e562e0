using System.Security.Cryptography;
using Cctv.EdgeRecorder.Configuration;
using Cctv.EdgeRecorder.Outbox;
using Cctv.EdgeRecorder.Pipeline;
using Cctv.Shared.Domain;
using Cctv.Shared.Gcp.Storage;
using Cctv.Shared.Hashing;
using Cctv.Shared.Ports;
using Cctv.Testing.Gcs;
using Cctv.TestSupport;
using Microsoft.Extensions.Logging;

namespace Cctv.EdgeRecorder.Tests.Pipeline;

/// <summary>Live tails on the gcp backend: the recorder's GcsObjectStore against the test GCS server over loopback (256 KiB quanta).</summary>
public sealed class LiveTailGcsTests : IAsyncLifetime, IDisposable
{
    private const string Bucket = "staging";
    private const int Q = 256 * 1024;
    private readonly TempDir _dir = new("live-gcs");
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 12, 1, 3, 14, 0, TimeSpan.Zero));
    private GcsTestServer _server = null!;
    private GcsObjectStore _store = null!;

    public async Task InitializeAsync()
    {
        _server = await GcsTestServer.StartAsync(new GcsTestServerOptions { Buckets = [Bucket] });
        _store = await GcsObjectStore.CreateAsync(
            new GcsSettings { Endpoint = _server.Endpoint, Anonymous = true, ChunkSize = Q, RequestTimeout = TimeSpan.FromSeconds(5), SingleRequestMaxBytes = 0 }, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        _store.Dispose();
        await _server.DisposeAsync();
    }

    public void Dispose() => _dir.Dispose();

    private static void GrowTo(string path, long size)
    {
        using var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
        file.Write(RandomNumberGenerator.GetBytes((int)(size - file.Length)));
    }

    [Fact]
    public async Task ATailedSegment_GoesUpInOpenEndedChunks_AndSealingFinishesTheSameSession_IntoOneObjectWithTheFilesCrc32c_AfterACrashToo()
    {
        var options = new RecorderOptions { Id = "site-a", DataDir = _dir.Combine("data") };
        options.Cameras.Add(new CameraOptions { Id = "cam1", Name = "Gate", Url = "rtsp://127.0.0.1:1/cam1" });
        using ILoggerFactory logs = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Warning));
        var context = new EdgeContext(options, _store, Bucket, catalog: null, _clock, logs);
        CameraRun run = context.Outbox.StartRun("cam1");
        string path = Path.Combine(context.Paths.RunDirectory("cam1", run.Run), "seg_000000.mp4");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string id = RecordingId.For("site-a", "cam1", run.Run, 0);

        GrowTo(path, Q + 1000);
        await context.CreateLiveTailer().PassAsync(CancellationToken.None);
        GrowTo(path, 3 * Q + 5);
        _clock.Advance(TimeSpan.FromSeconds(2));
        await context.CreateLiveTailer().PassAsync(CancellationToken.None); // a new tailer: as after a crash, it asks the server first
        Assert.Equal(3L * Q, context.Outbox.GetLiveTail(id)!.ConfirmedBytes);
        Assert.Equal(3L * Q, (await _store.QueryAsync(context.Outbox.GetLiveTail(id)!.SessionUri, CancellationToken.None)).Persisted);
        GcsServerCounters tailing = _server.Counters;
        Assert.Equal((1L, 2L, 0L), (tailing.SessionsStarted, tailing.OpenEndedChunks, tailing.ObjectsCommitted));

        GrowTo(path, 4 * Q + 4321);
        SegmentDigest digest = SegmentHasher.HashFile(path, CancellationToken.None);
        OutboxSegment segment = OutboxRows.Sealed("site-a", "cam1", run.Run, 0, path, _clock.GetUtcNow().AddSeconds(-10), _clock.GetUtcNow(), digest, _clock.GetUtcNow());
        Assert.True(context.Outbox.InsertSealed(segment));
        Assert.Equal(1, await context.CreateUploader().UploadDueAsync(CancellationToken.None));

        StoredObject stored = (await _store.GetAsync(Bucket, segment.ObjectName, CancellationToken.None))!;
        Assert.Equal((digest.Size, digest.Crc32CBase64), (stored.Size, stored.Crc32C));
        Assert.False(stored.Metadata.ContainsKey(ObjectMetadata.Sha256));
        Assert.Equal(id, stored.Metadata[ObjectMetadata.RecordingId]);
        GcsServerCounters done = _server.Counters;
        Assert.Equal((1L, 1L, 1L), (done.SessionsStarted, done.SessionsCompleted, done.ObjectsCommitted));
        Assert.Null(context.Outbox.GetLiveTail(id));
        Assert.Equal(EdgeState.Uploaded, context.Outbox.Get(id)!.State);
    }

    [Fact]
    public async Task AFinish_GoesOnFromTheConfirmedCount_UnlessAnAppendWentUnanswered_OrTheRecorderRestarted_ThenItAsksFirst_AndEveryObjectIsWhole()
    {
        // No quick retries: the append whose answer is dropped fails in the tailer, as one does when the uplink breaks.
        using GcsObjectStore store = await GcsObjectStore.CreateAsync(
            new GcsSettings { Endpoint = _server.Endpoint, Anonymous = true, ChunkSize = Q, RequestTimeout = TimeSpan.FromSeconds(5), SingleRequestMaxBytes = 0, TransientRetries = 0 },
            CancellationToken.None);
        var options = new RecorderOptions { Id = "site-a", DataDir = _dir.Combine("data") };
        options.Cameras.Add(new CameraOptions { Id = "cam1", Name = "Gate", Url = "rtsp://127.0.0.1:1/cam1" });
        options.Cameras.Add(new CameraOptions { Id = "cam2", Name = "Yard", Url = "rtsp://127.0.0.1:1/cam2" });
        options.Cameras.Add(new CameraOptions { Id = "cam3", Name = "Dock", Url = "rtsp://127.0.0.1:1/cam3" });
        using ILoggerFactory logs = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Critical));
        var context = new EdgeContext(options, store, Bucket, catalog: null, _clock, logs);
        LiveTailer tailer = context.CreateLiveTailer();
        var paths = new List<(string Camera, long Run, string Path)>();
        foreach (string camera in (string[])["cam1", "cam2", "cam3"])
        {
            CameraRun run = context.Outbox.StartRun(camera);
            string path = Path.Combine(context.Paths.RunDirectory(camera, run.Run), "seg_000000.mp4");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            GrowTo(path, 100);
            paths.Add((camera, run.Run, path));
        }
        await tailer.PassAsync(CancellationToken.None); // the sessions start; nothing whole to send yet
        GrowTo(paths[0].Path, 2 * Q + 10);
        GrowTo(paths[2].Path, 2 * Q + 10);
        await tailer.PassAsync(CancellationToken.None);
        // cam2's append is kept by the server and never answered.
        _server.InjectFault(GcsFaultKind.DropResponse, GcsRequestKinds.ResumableChunk);
        GrowTo(paths[1].Path, 2 * Q + 10);
        await tailer.PassAsync(CancellationToken.None);
        var segments = new List<OutboxSegment>();
        foreach ((string camera, long run, string path) in paths)
        {
            GrowTo(path, 3 * Q + 99);
            SegmentDigest digest = SegmentHasher.HashFile(path, CancellationToken.None);
            segments.Add(OutboxRows.Sealed("site-a", camera, run, 0, path, _clock.GetUtcNow().AddSeconds(-4), _clock.GetUtcNow(), digest, _clock.GetUtcNow()));
        }
        Assert.Equal(0, _server.PendingInjectedFaults);
        Assert.Equal(2L * Q, context.Outbox.GetLiveTail(segments[0].Id)!.ConfirmedBytes);
        Assert.Equal(0, context.Outbox.GetLiveTail(segments[1].Id)!.ConfirmedBytes);
        Assert.Equal(2L * Q, _server.HeldBytes(Bucket, segments[1].ObjectName));
        Assert.Equal(2L * Q, context.Outbox.GetLiveTail(segments[2].Id)!.ConfirmedBytes);
        Uploader uploader = context.CreateUploader();
        // cam3's segment is finished by the next process (a restart), whose tailer has not asked its session yet.
        Uploader restarted = new EdgeContext(options, store, Bucket, catalog: null, _clock, logs).CreateUploader();

        var asked = new List<long>();
        foreach (OutboxSegment segment in segments)
        {
            Assert.True(context.Outbox.InsertSealed(segment));
            long before = _server.Counters.StatusQueries;
            Assert.Equal(1, await (segment.CameraId == "cam3" ? restarted : uploader).UploadDueAsync(CancellationToken.None, onlyId: segment.Id));
            asked.Add(_server.Counters.StatusQueries - before);
        }

        Assert.Equal([0L, 1L, 1L], asked);
        foreach (OutboxSegment segment in segments)
        {
            StoredObject stored = (await store.GetAsync(Bucket, segment.ObjectName, CancellationToken.None))!;
            Assert.Equal((segment.Size, segment.Crc32C), (stored.Size, stored.Crc32C));
            Assert.Equal(1, _server.Find(Bucket, segment.ObjectName)!.CommitCount);
            Assert.Equal(EdgeState.Uploaded, context.Outbox.Get(segment.Id)!.State);
        }
    }
}
