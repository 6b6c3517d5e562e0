using Cctv.EdgeRecorder.Outbox;
using Cctv.EdgeRecorder.Pipeline;
using Cctv.Shared.Domain;
using Cctv.Shared.Gcp.Storage;
using Cctv.Testing.Gcs;
using Cctv.TestSupport;
using Cctv.TestSupport.Logging;
using Microsoft.Extensions.Logging;

namespace Cctv.EdgeRecorder.Tests.Pipeline;

/// <summary>The agent's upload path (outbox, retries, resumable sessions) against the test GCS server over loopback.</summary>
public sealed class UploaderTests : IAsyncLifetime
{
    private const string Bucket = "staging";
    private const int Chunk = 256 * 1024;
    private GcsTestServer _server = null!;
    private GcsObjectStore _store = null!;

    public async Task InitializeAsync()
    {
        _server = await GcsTestServer.StartAsync(new GcsTestServerOptions { Buckets = [Bucket] });
        _store = await GcsObjectStore.CreateAsync(
            new GcsSettings { Endpoint = _server.Endpoint, Anonymous = true, ChunkSize = Chunk, RequestTimeout = TimeSpan.FromSeconds(5), SingleRequestMaxBytes = 0 }, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        _store.Dispose();
        await _server.DisposeAsync();
    }

    private static async Task DrainAsync(Uploader uploader, OutboxStore outbox, TimeSpan within)
    {
        DateTime deadline = DateTime.UtcNow + within;
        while (outbox.NotYetUploaded(1000).Count > 0 && DateTime.UtcNow < deadline)
        {
            await uploader.UploadDueAsync(CancellationToken.None);
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task NetworkCut_LongerThanTheRetryLayers_ThenEverythingCatchesUp_InOrderAndOnce()
    {
        using var rig = new PipelineRig(_store, Bucket, catalog: null, o => o.Upload.Parallelism = 1);
        List<OutboxSegment> segments = Enumerable.Range(0, 8).Select(_ => rig.Seal(Chunk + 1000)).ToList();
        var uploader = rig.Context.CreateUploader();

        // The link is down: every request is reset. Several passes exhaust the per-upload retries and the
        // segments go to the background sync with a back-off, none of them lost.
        _server.Faults = new GcsFaultOptions { Rate = 1.0, AppliesTo = GcsRequestKinds.All, Weights = new Dictionary<GcsFaultKind, double> { [GcsFaultKind.ResetMidChunk] = 1 } };
        DateTime giveUp = DateTime.UtcNow.AddSeconds(30);
        while (rig.Outbox.All().Any(s => s.Attempts < 2) && DateTime.UtcNow < giveUp)
        {
            await uploader.UploadDueAsync(CancellationToken.None);
            await Task.Delay(50);
        }
        Assert.All(rig.Outbox.All(), s => Assert.Equal(EdgeState.Failed, s.State));
        Assert.All(rig.Outbox.All(), s => Assert.True(s.Attempts >= 2, $"{s.Id} was tried {s.Attempts} times while the link was down"));
        Assert.Empty(_server.Objects(Bucket));

        _server.Faults = GcsFaultOptions.None;
        await DrainAsync(uploader, rig.Outbox, TimeSpan.FromSeconds(30));

        Assert.All(rig.Outbox.All(), s => Assert.Equal(EdgeState.Uploaded, s.State));
        foreach (OutboxSegment s in segments)
        {
            TestObject stored = _server.Find(Bucket, s.ObjectName)!;
            Assert.Equal(s.Crc32C, stored.Crc32C);
            Assert.Equal(1, stored.CommitCount);
        }
        // Oldest recording first (one upload at a time here): objects were committed in recording order once the link came back.
        Assert.Equal(segments.Select(s => s.ObjectName), _server.Objects(Bucket).OrderBy(o => o.Generation).Select(o => o.Name));
    }

    [Fact]
    public async Task BitFlipInTheLocalFileAfterSealing_IsCaught_NeverStoredAsGood_AndRecordedLostWithTheReason()
    {
        using var rig = new PipelineRig(_store, Bucket, catalog: null);
        OutboxSegment good = rig.Seal(3 * Chunk);
        OutboxSegment flipped = rig.Seal(3 * Chunk);
        byte[] bytes = File.ReadAllBytes(flipped.Path);
        bytes[2 * Chunk + 17] ^= 0x04;
        File.WriteAllBytes(flipped.Path, bytes);

        await DrainAsync(rig.Context.CreateUploader(), rig.Outbox, TimeSpan.FromSeconds(20));

        Assert.Equal(EdgeState.Uploaded, rig.Outbox.Get(good.Id)!.State);
        OutboxSegment row = rig.Outbox.Get(flipped.Id)!;
        Assert.Equal(EdgeState.Lost, row.State);
        Assert.Contains("changed after it was sealed", row.LastError, StringComparison.Ordinal);
        Assert.Null(_server.Find(Bucket, flipped.ObjectName));
        Assert.True(File.Exists(flipped.Path), "the corrupted file is kept for inspection");
        Assert.True(_server.Counters.ChecksumMismatches >= 1, "Cloud Storage (the test server) refused the corrupt bytes");
    }

    [Fact]
    public async Task StoredSessionThatExpired_IsReplacedByANewOne_AndTheUploadCompletes()
    {
        using var rig = new PipelineRig(_store, Bucket, catalog: null);
        OutboxSegment segment = rig.Seal(4 * Chunk);
        // An earlier run started the upload and stored its session, then stopped; the session has expired since.
        using (var http = new HttpClient())
        {
            var body = new StringContent($$"""{"name":"{{segment.ObjectName}}","crc32c":"{{segment.Crc32C}}"}""", System.Text.Encoding.UTF8, "application/json");
            using HttpResponseMessage started = await http.PostAsync(new Uri(_server.Endpoint, $"upload/storage/v1/b/{Bucket}/o?uploadType=resumable&ifGenerationMatch=0"), body);
            rig.Outbox.SetSession(segment.Id, started.Headers.Location!);
        }
        _server.ExpireAllSessions();

        await DrainAsync(rig.Context.CreateUploader(), rig.Outbox, TimeSpan.FromSeconds(20));

        OutboxSegment row = rig.Outbox.Get(segment.Id)!;
        Assert.Equal(EdgeState.Uploaded, row.State);
        Assert.Null(row.SessionUri);
        Assert.Equal(1, row.Resumes);
        Assert.Equal(segment.Crc32C, _server.Find(Bucket, segment.ObjectName)!.Crc32C);
        Assert.Equal(2, _server.Counters.SessionsStarted);
    }

    [Fact]
    public async Task Uploads_AreSaidInOneLineAMinute_NotInALineEach()
    {
        using var rig = new PipelineRig(_store, Bucket, catalog: null);
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        using var capture = new LogCapture();
        using ILoggerFactory logs = LoggerFactory.Create(b => b.AddProvider(capture).SetMinimumLevel(LogLevel.Trace));
        var uploader = new Uploader(rig.Outbox, _store, Bucket, rig.Context.Options.Id, rig.Context.Options.Upload, rig.Context.Claims, clock, logs);
        rig.Seal(1000);
        rig.Seal(2000);

        await uploader.UploadDueAsync(CancellationToken.None);

        Assert.Equal(2, capture.Entries.Count(e => e.Level == LogLevel.Debug && e.Message.StartsWith("Uploaded ", StringComparison.Ordinal)));
        Assert.Empty(capture.Find(LogLevel.Information, "Uploaded "));
        clock.Advance(RoutineTally.Minute);
        rig.Seal(3000);
        await uploader.UploadDueAsync(CancellationToken.None);
        Assert.Single(capture.Find(LogLevel.Information, "Uploaded 3 segments (6000 bytes) of 1 cameras", "in the last 60 s"));
    }

    [Fact]
    public async Task SessionUriIsStoredInTheOutboxBeforeTheFirstByte()
    {
        using var rig = new PipelineRig(_store, Bucket, catalog: null);
        OutboxSegment segment = rig.Seal(2 * Chunk);
        // Every chunk fails: the upload never completes, so whatever session the outbox holds was stored before any byte went.
        _server.Faults = new GcsFaultOptions { Rate = 1.0, AppliesTo = GcsRequestKinds.ResumableChunk | GcsRequestKinds.ResumableStatusQuery, Weights = new Dictionary<GcsFaultKind, double> { [GcsFaultKind.Http503] = 1 } };

        await rig.Context.CreateUploader().UploadDueAsync(CancellationToken.None);
        Uri? stored = rig.Outbox.Get(segment.Id)!.SessionUri;

        Assert.NotNull(stored);
        Assert.Contains("upload_id=", stored.Query, StringComparison.Ordinal);
        Assert.Equal(EdgeState.Failed, rig.Outbox.Get(segment.Id)!.State);
        Assert.Equal(1, _server.Counters.SessionsStarted);
    }

    [Fact]
    public async Task WrongCredentials_LoseNothing_AndEveryAttemptSaysWhatToFix()
    {
        await using GcsTestServer guarded = await GcsTestServer.StartAsync(new GcsTestServerOptions { Buckets = [Bucket], RequiredBearerToken = "the-right-token" });
        using GcsObjectStore anonymous = await GcsObjectStore.CreateAsync(new GcsSettings { Endpoint = guarded.Endpoint, Anonymous = true }, CancellationToken.None);
        using var rig = new PipelineRig(anonymous, Bucket, catalog: null);
        List<OutboxSegment> segments = Enumerable.Range(0, 3).Select(_ => rig.Seal(1000)).ToList();

        await rig.Context.CreateUploader().UploadDueAsync(CancellationToken.None);

        Assert.All(rig.Outbox.All(), s =>
        {
            Assert.Equal(EdgeState.Failed, s.State);
            Assert.Contains("GCP_STORAGE_CREDENTIALS_PATH", s.LastError, StringComparison.Ordinal);
            Assert.True(File.Exists(s.Path));
        });
        Assert.Empty(guarded.Objects(Bucket));
    }
}

/// <summary>The running upload loop sleeps while nothing is due and wakes on what makes something due, not on a poll.</summary>
public sealed class UploaderWakeTests : IDisposable
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(3); // far below the idle safety poll
    private readonly Cctv.TestSupport.TempDir _cloud = new("cloud");
    private readonly Cctv.Shared.Local.LocalBackend _backend;

    public UploaderWakeTests() => _backend = new Cctv.Shared.Local.LocalBackend(_cloud.Path, TimeProvider.System);

    public void Dispose() => _cloud.Dispose();

    private static Uploader Running(PipelineRig rig, PipelineSignal due, PipelineSignal uploaded) =>
        new(rig.Outbox, rig.Context.Store, rig.Context.StagingBucket, rig.Context.Options.Id, rig.Context.Options.Upload, rig.Context.Claims,
            TimeProvider.System, rig.Logs, jitter: () => 0.5, due: due, uploaded: uploaded);

    private static async Task<bool> UploadedWithinAsync(OutboxStore outbox, string id, TimeSpan within)
    {
        DateTime deadline = DateTime.UtcNow + within;
        while (DateTime.UtcNow < deadline)
        {
            if (outbox.Get(id)?.State == EdgeState.Uploaded)
            {
                return true;
            }
            await Task.Delay(20);
        }
        return false;
    }

    [Fact]
    public async Task IdleLoop_WakesWhenASegmentIsSealedAndSignalled_AndSignalsTheUploadItFinished()
    {
        Assert.True(Uploader.IdleSafetyPoll > Soon * 3);
        using var rig = new PipelineRig(_backend.Store, Cctv.Shared.Local.LocalBackend.StagingBucket, _backend.Catalog);
        var due = new PipelineSignal();
        var uploaded = new PipelineSignal();
        using var stop = new CancellationTokenSource();
        Task loop = Running(rig, due, uploaded).RunAsync(stop.Token);
        await Task.Delay(300); // the loop found nothing and sleeps

        OutboxSegment s = rig.Seal(2000);
        due.Set();

        Assert.True(await UploadedWithinAsync(rig.Outbox, s.Id, Soon), "the sealed segment was not uploaded soon after the signal");
        // The row says uploaded a moment before the loop signals it (the upload returns, then the loop sets the signal).
        await uploaded.Fired.WaitAsync(Soon);
        Assert.True(uploaded.Consume());
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => loop);
    }

    [Fact]
    public async Task IdleLoop_WakesWhenAFailedSegmentsBackOffEnds_WithoutAnySignal()
    {
        using var rig = new PipelineRig(_backend.Store, Cctv.Shared.Local.LocalBackend.StagingBucket, _backend.Catalog);
        OutboxSegment s = rig.Seal(2000);
        rig.Claim(s);
        Assert.True(rig.Outbox.MarkFailed(s.Id, "connection reset", DateTimeOffset.UtcNow.AddMilliseconds(800)));
        using var stop = new CancellationTokenSource();
        Task loop = Running(rig, new PipelineSignal(), new PipelineSignal()).RunAsync(stop.Token);

        Assert.Equal(EdgeState.Failed, rig.Outbox.Get(s.Id)!.State); // waiting out its back-off
        Assert.True(await UploadedWithinAsync(rig.Outbox, s.Id, Soon), "the failed segment was not tried again when its back-off ended");
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => loop);
    }

    [Fact]
    public void Backoff_TakesItsJitterFromTheInjectedSource()
    {
        using var rig = new PipelineRig(_backend.Store, Cctv.Shared.Local.LocalBackend.StagingBucket, _backend.Catalog,
            o => o.Upload = new Cctv.EdgeRecorder.Configuration.UploadOptions { RetryDelay = TimeSpan.FromSeconds(5), MaxBackoff = TimeSpan.FromHours(1) });
        Uploader Pinned(double jitter) => new(rig.Outbox, rig.Context.Store, rig.Context.StagingBucket, rig.Context.Options.Id, rig.Context.Options.Upload,
            rig.Context.Claims, TimeProvider.System, rig.Logs, jitter: () => jitter);

        // 6 x 5 s, doubled twice: 120 s, then 0.8-1.2 of it by the jitter.
        Assert.Equal(TimeSpan.FromSeconds(96), Pinned(0).Backoff(2));
        Assert.Equal(TimeSpan.FromSeconds(120), Pinned(0.5).Backoff(2));
    }
}
