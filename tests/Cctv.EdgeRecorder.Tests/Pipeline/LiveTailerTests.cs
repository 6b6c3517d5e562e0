using System.Security.Cryptography;
using Cctv.EdgeRecorder.Commands;
using Cctv.EdgeRecorder.Configuration;
using Cctv.EdgeRecorder.Outbox;
using Cctv.EdgeRecorder.Pipeline;
using Cctv.Shared.Domain;
using Cctv.Shared.Hashing;
using Cctv.Shared.Local;
using Cctv.Shared.Ports;
using Cctv.TestSupport;
using Microsoft.Extensions.Logging;

namespace Cctv.EdgeRecorder.Tests.Pipeline;

/// <summary>
/// Live tails against the real embedded store (in a temporary directory) with Cloud Storage's quantum rule, over real
/// files grown as FFmpeg grows them, on a clock the test moves.
/// </summary>
public sealed class LiveTailerTests : IDisposable
{
    private const int Q = 64 * 1024;
    private const string Bucket = LocalBackend.StagingBucket;
    private readonly TempDir _cloud = new("live-cloud");
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 12, 1, 3, 14, 0, TimeSpan.Zero));
    private readonly QuantizedAppendStore _store;
    private readonly List<IDisposable> _sites = [];

    public LiveTailerTests()
    {
        _store = new QuantizedAppendStore(new LocalObjectStore(_cloud.Path, _clock), Q);
    }

    public void Dispose()
    {
        foreach (IDisposable site in _sites)
        {
            site.Dispose();
        }
        _cloud.Dispose();
    }

    private Site NewSite(string recorderId = "site-a", QuantizedAppendStore? store = null, ICatalog? catalog = null)
    {
        var site = new Site(store ?? _store, recorderId, _clock, catalog);
        _sites.Add(site);
        return site;
    }

    /// <summary>One recorder: its data directory, a running run of camera cam1, and segment files grown by hand.</summary>
    private sealed class Site : IDisposable
    {
        private readonly TempDir _dir = new("live-site");
        private readonly QuantizedAppendStore _store;
        private readonly TimeProvider _time;
        private readonly ICatalog? _catalog;

        public Site(QuantizedAppendStore store, string recorderId, TimeProvider time, ICatalog? catalog)
        {
            _store = store;
            _time = time;
            _catalog = catalog;
            Options = new RecorderOptions
            {
                Id = recorderId,
                DataDir = _dir.Path,
                Upload = new UploadOptions { Parallelism = 1, RetryAttempts = 1, RetryDelay = TimeSpan.Zero, MaxBackoff = TimeSpan.FromSeconds(1) },
                LiveTail = new LiveTailOptions { FlushInterval = TimeSpan.FromSeconds(2), FallBackAfter = TimeSpan.FromSeconds(30) },
            };
            Options.Cameras.Add(new CameraOptions { Id = "cam1", Name = "Gate", Url = "rtsp://127.0.0.1:1/cam1" });
            Logs = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Warning));
            Context = Open();
            Run = Context.Outbox.StartRun("cam1");
        }

        public RecorderOptions Options { get; }
        public ILoggerFactory Logs { get; }
        public EdgeContext Context { get; private set; }
        public CameraRun Run { get; }

        /// <summary>A new process over the same data directory (after a crash): new outbox connection, tailer and uploader.</summary>
        public EdgeContext Open() => Context = new EdgeContext(Options, _store, Bucket, _catalog, _time, Logs);

        public string Id(long seq) => RecordingId.For(Options.Id, "cam1", Run.Run, seq);

        public string PathOf(long seq) => PathOf(Run, seq);

        public string PathOf(CameraRun run, long seq) => Path.Combine(Context.Paths.RunDirectory(run.CameraId, run.Run), $"seg_{seq:D6}.mp4");

        /// <summary>Appends random bytes to a segment file, as FFmpeg does, until it holds <paramref name="size"/> bytes.</summary>
        public void GrowTo(long seq, long size) => GrowTo(Run, seq, size);

        /// <summary>The same for a segment of another camera's run.</summary>
        public void GrowTo(CameraRun run, long seq, long size)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(PathOf(run, seq))!);
            using var file = new FileStream(PathOf(run, seq), FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
            if (size > file.Length)
            {
                file.Write(RandomNumberGenerator.GetBytes((int)(size - file.Length)));
            }
        }

        /// <summary>Seals a segment as the sealer does (hash, row).</summary>
        public OutboxSegment Seal(long seq)
        {
            SegmentDigest digest = SegmentHasher.HashFile(PathOf(seq), CancellationToken.None);
            DateTimeOffset start = _time.GetUtcNow().AddSeconds(-10);
            OutboxSegment row = OutboxRows.Sealed(Options.Id, "cam1", Run.Run, seq, PathOf(seq), start, start.AddSeconds(10), digest, _time.GetUtcNow());
            Assert.True(Context.Outbox.InsertSealed(row));
            return Context.Outbox.Get(row.Id)!;
        }

        public void Dispose()
        {
            Logs.Dispose();
            _dir.Dispose();
        }
    }

    private async Task<byte[]> ObjectBytesAsync(string name)
    {
        await using Stream s = await _store.OpenReadAsync(Bucket, name, CancellationToken.None);
        using var copy = new MemoryStream();
        await s.CopyToAsync(copy);
        return copy.ToArray();
    }

    private async Task<List<StoredObject>> StagedAsync()
    {
        var all = new List<StoredObject>();
        await foreach (StoredObject o in _store.ListAsync(Bucket, "", CancellationToken.None))
        {
            all.Add(o);
        }
        return all;
    }

    private async Task AssertOneObjectHoldingTheFileAsync(Site site, OutboxSegment segment)
    {
        StoredObject stored = Assert.Single(await StagedAsync(), o => o.Name == segment.ObjectName);
        Assert.Equal((segment.Size, segment.Crc32C), (stored.Size, stored.Crc32C));
        Assert.Equal(await File.ReadAllBytesAsync(segment.Path), await ObjectBytesAsync(segment.ObjectName));
        Assert.Equal(EdgeState.Uploaded, site.Context.Outbox.Get(segment.Id)!.State);
        Assert.Null(site.Context.Outbox.GetLiveTail(segment.Id));
    }

    [Fact]
    public async Task AGrowingSegment_IsAppendedInWholeQuanta_AtTheFirstLookAfterTheyAreWhole()
    {
        Site site = NewSite();
        LiveTailer tailer = site.Context.CreateLiveTailer();
        DateTimeOffset t0 = _clock.GetUtcNow();
        Assert.Equal(TimeSpan.FromMilliseconds(250), tailer.SampleInterval); // an eighth of the 2 s flush interval

        site.GrowTo(0, 10_000);
        await tailer.PassAsync(CancellationToken.None);
        LiveTailRow started = site.Context.Outbox.GetLiveTail(site.Id(0))!;
        Assert.Empty(_store.Appends); // the session exists (its URI written down) before any byte; no whole quantum yet
        Assert.Equal((0L, LiveTailState.Tailing), (started.ConfirmedBytes, started.State));

        _clock.Advance(TimeSpan.FromMilliseconds(100));
        site.GrowTo(0, Q + 6_000);
        await tailer.PassAsync(CancellationToken.None);
        Assert.Equal([new QuantizedAppendStore.Append(started.SessionUri, 0, Q)], _store.Appends);
        Assert.Equal(t0, site.Context.Outbox.GetLiveTail(site.Id(0))!.ConfirmedUpTo); // the newest sample the confirmed bytes cover

        _clock.Advance(TimeSpan.FromMilliseconds(500));
        site.GrowTo(0, 3 * Q + 100); // two more quanta: they go at this look, not a flush interval later
        await tailer.PassAsync(CancellationToken.None);
        Assert.Equal([new QuantizedAppendStore.Append(started.SessionUri, 0, Q), new QuantizedAppendStore.Append(started.SessionUri, Q, 2 * Q)], _store.Appends);
        LiveTailRow now = site.Context.Outbox.GetLiveTail(site.Id(0))!;
        Assert.Equal((3L * Q, t0.AddMilliseconds(100)), (now.ConfirmedBytes, now.ConfirmedUpTo)); // the sample at 600 ms (3Q+100) is not whole yet
        await tailer.PassAsync(CancellationToken.None);
        Assert.Equal(2, _store.Appends.Count); // nothing whole is left unsent: a look without news sends nothing
        _clock.Advance(TimeSpan.FromMilliseconds(1500));
        Assert.Equal(3L * Q, (await _store.QueryAsync(started.SessionUri, CancellationToken.None)).Persisted);
        Assert.Empty(await StagedAsync()); // nothing in the bucket until the session finishes

        _clock.Advance(TimeSpan.FromSeconds(1));
        StatusCommand.CameraStatus camera = Assert.Single(StatusCommand.Read(site.Options.DataDir, _clock).Cameras);
        Assert.Equal((StatusCommand.LiveTailOn, 3.0), (camera.LiveTail, camera.FootageAtRiskSeconds)); // 3.1 s after t0, confirmed up to t0 + 0.1 s
    }

    [Fact]
    public async Task ATailTheUplinkLeftBehind_CatchesUpInRequestsOfAtMostOneMebibyte_WithinOnePass()
    {
        const int MiB = 1024 * 1024; // each request's buffer stays in the pool for the agent's life: larger ones would stay too
        Site site = NewSite();
        LiveTailer tailer = site.Context.CreateLiveTailer();
        site.GrowTo(0, 10_000);
        await tailer.PassAsync(CancellationToken.None);
        Uri session = site.Context.Outbox.GetLiveTail(site.Id(0))!.SessionUri;

        _clock.Advance(TimeSpan.FromMilliseconds(250));
        site.GrowTo(0, 2 * MiB + 8 * Q + 100); // two and a half MiB whole at one look, as after the uplink came back
        await tailer.PassAsync(CancellationToken.None);

        Assert.Equal([new(session, 0, MiB), new(session, MiB, MiB), new(session, 2 * MiB, 8 * Q)], _store.Appends);
        Assert.Equal(2L * MiB + 8 * Q, site.Context.Outbox.GetLiveTail(site.Id(0))!.ConfirmedBytes);
    }

    [Fact]
    public async Task SixteenCamerasDueAtOneLook_SendAtMostFourAppendsAtOnce_AndAllSixteenInThatPass()
    {
        Site site = NewSite();
        _store.AppendTime = TimeSpan.FromMilliseconds(40); // an uplink's round trip: without a bound all sixteen would overlap
        List<CameraRun> runs = [site.Run, .. Enumerable.Range(2, 15).Select(c => site.Context.Outbox.StartRun($"cam{c}"))];
        LiveTailer tailer = site.Context.CreateLiveTailer();
        foreach (CameraRun run in runs)
        {
            site.GrowTo(run, 0, 10_000);
        }
        await tailer.PassAsync(CancellationToken.None); // sixteen sessions, nothing whole yet
        Assert.Empty(_store.Appends);

        _clock.Advance(TimeSpan.FromMilliseconds(250));
        foreach (CameraRun run in runs)
        {
            site.GrowTo(run, 0, Q + 10_000);
        }
        long sent = await tailer.PassAsync(CancellationToken.None);

        Assert.Equal((16, 16L * Q), (_store.Appends.Count, sent));
        Assert.Equal(4, _store.MostInFlight);
    }

    [Fact]
    public async Task WithTheSpoolWatched_TheNextSegmentIsLookedForWhenTheWatcherHearsOfIt_OrAfterTheSafetyLook()
    {
        Site site = NewSite();
        SegmentArrivals arrivals = site.Context.Arrivals;
        arrivals.WatcherStarted(); // a watcher stands; its notices are given by hand here, so the test says when one comes
        LiveTailer tailer = site.Context.CreateLiveTailer();
        site.GrowTo(0, 10_000);
        await tailer.PassAsync(CancellationToken.None);
        Assert.NotNull(site.Context.Outbox.GetLiveTail(site.Id(0)));

        site.GrowTo(1, 10_000); // FFmpeg moved on; the watcher's notice has not come yet
        _clock.Advance(TimeSpan.FromMilliseconds(250));
        await tailer.PassAsync(CancellationToken.None);
        Assert.Null(site.Context.Outbox.GetLiveTail(site.Id(1))); // no notice, no look for the next file

        arrivals.Arrived(site.PathOf(1));
        await tailer.PassAsync(CancellationToken.None);
        Assert.NotNull(site.Context.Outbox.GetLiveTail(site.Id(1))); // the notice: tailed at the next look

        site.GrowTo(2, 10_000); // a notice the kernel dropped
        _clock.Advance(SegmentArrivals.SafetyLook - TimeSpan.FromMilliseconds(250));
        await tailer.PassAsync(CancellationToken.None);
        Assert.Null(site.Context.Outbox.GetLiveTail(site.Id(2)));
        _clock.Advance(TimeSpan.FromMilliseconds(250));
        await tailer.PassAsync(CancellationToken.None);
        Assert.NotNull(site.Context.Outbox.GetLiveTail(site.Id(2))); // found by the safety look, at most that much late

        site.GrowTo(3, 10_000);
        arrivals.Lost(); // the kernel's queue overflowed: every directory counts as changed
        await tailer.PassAsync(CancellationToken.None);
        Assert.NotNull(site.Context.Outbox.GetLiveTail(site.Id(3)));
    }

    [Fact]
    public async Task WithoutAWatcher_EveryLookAsksForTheNextSegment()
    {
        Site site = NewSite();
        LiveTailer tailer = site.Context.CreateLiveTailer();
        site.GrowTo(0, 10_000);
        await tailer.PassAsync(CancellationToken.None);
        site.GrowTo(1, 10_000);
        await tailer.PassAsync(CancellationToken.None); // the clock has not moved: only an unconditional look finds it
        Assert.NotNull(site.Context.Outbox.GetLiveTail(site.Id(1)));
    }

    [Fact]
    public async Task ASegmentsStart_IsWhereItsPredecessorEnds_OnceThatIsSealed_NotWhenTheTailerFirstSawIt()
    {
        Site site = NewSite();
        LiveTailer tailer = site.Context.CreateLiveTailer();
        site.GrowTo(0, 2 * Q);
        await tailer.PassAsync(CancellationToken.None);
        site.GrowTo(1, 100); // FFmpeg opened segment 1; the tailer sees it before the sealer has sealed segment 0
        _clock.Advance(TimeSpan.FromMilliseconds(400));
        await tailer.PassAsync(CancellationToken.None);
        DateTimeOffset seen = _clock.GetUtcNow();
        Assert.Equal(seen, site.Context.Outbox.GetLiveTail(site.Id(1))!.OpenedAt); // an estimate: when it was seen

        _clock.Advance(TimeSpan.FromSeconds(3));
        OutboxSegment first = site.Seal(0); // (this test's sealer says it ended now)
        await tailer.PassAsync(CancellationToken.None);

        Assert.NotEqual(seen, first.EndTime);
        Assert.Equal(first.EndTime, site.Context.Outbox.GetLiveTail(site.Id(1))!.OpenedAt);
        LiveTailer afterRestart = site.Open().CreateLiveTailer();
        site.GrowTo(2, 100);
        OutboxSegment second = site.Seal(1);
        await afterRestart.PassAsync(CancellationToken.None);
        Assert.Equal(second.EndTime, site.Context.Outbox.GetLiveTail(site.Id(2))!.OpenedAt); // sealed before it was seen: exact at once
    }

    [Fact]
    public async Task APass_WritesWhatEveryTailLearned_InOneCommit_AfterItsAppends()
    {
        Site site = NewSite();
        CameraRun cam2 = site.Context.Outbox.StartRun("cam2"); // a second camera recording into the same outbox
        string cam2Segment = Path.Combine(site.Context.Paths.RunDirectory("cam2", cam2.Run), "seg_000000.mp4");
        LiveTailer tailer = site.Context.CreateLiveTailer();
        site.GrowTo(0, 100);
        Directory.CreateDirectory(Path.GetDirectoryName(cam2Segment)!);
        await File.WriteAllBytesAsync(cam2Segment, RandomNumberGenerator.GetBytes(100));
        await tailer.PassAsync(CancellationToken.None); // both sessions start (their rows before any byte)
        Assert.Equal(2, site.Context.Outbox.LiveTails().Count);
        int before = WalCommits(site.Context.Paths.Outbox);

        site.GrowTo(0, 2 * Q + 5);
        await using (var grow = new FileStream(cam2Segment, FileMode.Append))
        {
            await grow.WriteAsync(RandomNumberGenerator.GetBytes(3 * Q));
        }
        _clock.Advance(TimeSpan.FromMilliseconds(250));
        await tailer.PassAsync(CancellationToken.None);

        Assert.Equal(2, _store.Appends.Count); // one append a tail
        Assert.Equal(1, WalCommits(site.Context.Paths.Outbox) - before); // and one commit for both rows, not one an append
        Assert.Equal([2L * Q, 3L * Q], site.Context.Outbox.LiveTails().Select(t => t.ConfirmedBytes).Order());
    }

    [Fact]
    public async Task TheUploader_FinishesFromTheBytesTheStoreConfirmedToTheTailer_EvenWhenTheRowIsBehind_WithoutAsking()
    {
        Site site = NewSite();
        LiveTailer tailer = site.Context.CreateLiveTailer();
        site.GrowTo(0, 3 * Q + 10);
        await tailer.PassAsync(CancellationToken.None);
        Assert.Equal(3L * Q, site.Context.Outbox.GetLiveTail(site.Id(0))!.ConfirmedBytes);
        // The row a pass behind the store (as between an append's answer and the end of its pass).
        await using (var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={site.Context.Paths.Outbox}"))
        {
            db.Open();
            using Microsoft.Data.Sqlite.SqliteCommand behind = db.CreateCommand();
            behind.CommandText = "UPDATE live_tails SET confirmed_bytes = 0";
            Assert.Equal(1, behind.ExecuteNonQuery());
        }
        site.GrowTo(0, 4 * Q + 99);
        site.GrowTo(1, 10);
        OutboxSegment segment = site.Seal(0);

        Assert.Equal(1, await site.Context.CreateUploader().UploadDueAsync(CancellationToken.None));

        await AssertOneObjectHoldingTheFileAsync(site, segment);
        Assert.Equal([3L * Q], _store.FinishedFrom); // finished from what the store said it holds, not from the row's 0
        Assert.Equal(0, _store.Queries); // and without asking
    }

    /// <summary>
    /// How many commits the write-ahead log of <paramref name="database"/> holds: frames of the log's current generation (its
    /// salts) whose "database size after commit" is set (https://www.sqlite.org/fileformat.html, "The WAL File Format").
    /// </summary>
    private static int WalCommits(string database)
    {
        byte[] wal = File.ReadAllBytes(database + "-wal");
        static uint At(byte[] b, int offset) => System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(offset, 4));
        int pageSize = (int)At(wal, 8);
        (uint salt1, uint salt2) = (At(wal, 16), At(wal, 20));
        int commits = 0;
        for (int frame = 32; frame + 24 + pageSize <= wal.Length && At(wal, frame + 8) == salt1 && At(wal, frame + 12) == salt2; frame += 24 + pageSize)
        {
            commits += At(wal, frame + 4) != 0 ? 1 : 0;
        }
        return commits;
    }

    [Fact]
    public async Task Sealing_FinishesTheSameSession_IntoOneObject_WhoseCrc32cIsTheFiles()
    {
        Site site = NewSite();
        LiveTailer tailer = site.Context.CreateLiveTailer();
        site.GrowTo(0, 2 * Q + 10);
        await tailer.PassAsync(CancellationToken.None);
        site.GrowTo(0, 5 * Q + 777); // FFmpeg wrote the rest, then its successor appeared and the segment was sealed
        site.GrowTo(1, 100);
        await tailer.PassAsync(CancellationToken.None);
        OutboxSegment segment = site.Seal(0);

        Assert.Equal(1, await site.Context.CreateUploader().UploadDueAsync(CancellationToken.None));

        await AssertOneObjectHoldingTheFileAsync(site, segment);
        _clock.Advance(TimeSpan.FromSeconds(7));
        StatusCommand.CameraStatus camera = Assert.Single(StatusCommand.Read(site.Options.DataDir, _clock).Cameras);
        Assert.Equal((StatusCommand.LiveTailOn, 7.0), (camera.LiveTail, camera.FootageAtRiskSeconds)); // seg 1 confirmed nothing yet: from seg 0's end
        Assert.Equal((2, 1, 0), (_store.Starts, _store.Finishes, _store.Uploads)); // seg 0 and seg 1 got sessions; seg 0 finished, nothing uploaded anew
        Assert.Equal([0L], _store.Appends.Where(a => a.Session == _store.Appends.First().Session).Select(a => a.Offset));
    }

    [Fact]
    public async Task AfterACrash_TheTailResumesFromTheOffsetTheStoreReports_SendingNoByteTwice()
    {
        Site site = NewSite();
        site.GrowTo(0, 2 * Q);
        await site.Context.CreateLiveTailer().PassAsync(CancellationToken.None);
        LiveTailRow row = site.Context.Outbox.GetLiveTail(site.Id(0))!;
        // The previous process appended two more quanta and died before it wrote down what the store confirmed.
        site.GrowTo(0, 6 * Q + 5);
        byte[] file = await File.ReadAllBytesAsync(site.PathOf(0));
        Assert.Equal(4L * Q, await _store.Inner.AppendAsync(row.SessionUri, 2 * Q, file.AsMemory(2 * Q, 2 * Q), CancellationToken.None));
        Assert.Equal(2L * Q, site.Context.Outbox.GetLiveTail(site.Id(0))!.ConfirmedBytes);

        site.Open(); // the new process
        _clock.Advance(TimeSpan.FromSeconds(3));
        await site.Context.CreateLiveTailer().PassAsync(CancellationToken.None);

        Assert.Equal([(0L, 2 * Q), (4L * Q, 2 * Q)], _store.Appends.Select(a => (a.Offset, a.Length)));
        Assert.Equal(6L * Q, site.Context.Outbox.GetLiveTail(site.Id(0))!.ConfirmedBytes);
        OutboxSegment segment = site.Seal(0);
        Assert.Equal(1, await site.Context.CreateUploader().UploadDueAsync(CancellationToken.None));
        await AssertOneObjectHoldingTheFileAsync(site, segment);
        Assert.Equal(0, _store.Uploads);
    }

    [Fact]
    public async Task ATailWhoseUplinkCannotKeepUp_FallsBack_SaysSoInStatus_AndItsSessionIsFinishedAfterSealing()
    {
        Site site = NewSite();
        LiveTailer tailer = site.Context.CreateLiveTailer();
        site.GrowTo(0, Q + 1);
        await tailer.PassAsync(CancellationToken.None);
        _store.UplinkDown = true;
        site.GrowTo(0, 3 * Q);
        for (int i = 0; i < 15; i++)
        {
            _clock.Advance(TimeSpan.FromSeconds(2));
            await tailer.PassAsync(CancellationToken.None);
        }
        Assert.Equal(LiveTailState.Tailing, site.Context.Outbox.GetLiveTail(site.Id(0))!.State); // 30 s: not yet

        _clock.Advance(TimeSpan.FromSeconds(3)); // the quanta unsent since t0+2 s have now waited 31 s
        _store.UplinkDown = false;
        await tailer.PassAsync(CancellationToken.None);
        site.GrowTo(0, 9 * Q);
        _clock.Advance(TimeSpan.FromSeconds(2));
        await tailer.PassAsync(CancellationToken.None);

        LiveTailRow behind = site.Context.Outbox.GetLiveTail(site.Id(0))!;
        Assert.Equal((LiveTailState.FallenBack, (long)Q), (behind.State, behind.ConfirmedBytes));
        Assert.Single(_store.Appends); // no append after it fell back, though the uplink came back
        StatusCommand.CameraStatus camera = Assert.Single(StatusCommand.Read(site.Options.DataDir, _clock).Cameras);
        Assert.Equal("behind", camera.LiveTail);

        OutboxSegment segment = site.Seal(0);
        Assert.Equal(1, await site.Context.CreateUploader().UploadDueAsync(CancellationToken.None));
        await AssertOneObjectHoldingTheFileAsync(site, segment);
        Assert.Equal((1, 0), (_store.Finishes, _store.Uploads));
    }

    [Fact]
    public async Task ASessionTheCloudSalvaged_MakesTheUploadGoTheOrdinaryWay_AndNothingIsLost()
    {
        Site site = NewSite();
        site.GrowTo(0, 2 * Q + 3);
        await site.Context.CreateLiveTailer().PassAsync(CancellationToken.None);
        LiveTailRow row = site.Context.Outbox.GetLiveTail(site.Id(0))!;
        // The recorder went silent; the sweep finished its session at the bytes the store held.
        StoredObject salvaged = await _store.FinishAsHeldAsync(row.SessionUri, CancellationToken.None);
        Assert.Equal(2L * Q, salvaged.Size);
        site.GrowTo(0, 4 * Q + 9); // it comes back with the whole file
        OutboxSegment segment = site.Seal(0);
        Uploader uploader = site.Context.CreateUploader();

        Assert.Equal(0, await uploader.UploadDueAsync(CancellationToken.None));
        OutboxSegment failed = site.Context.Outbox.Get(segment.Id)!;
        Assert.Equal(EdgeState.Failed, failed.State); // the create-only upload met the salvaged object (412, other bytes): not overwritten
        Assert.Contains("already exists with other content", failed.LastError, StringComparison.Ordinal);
        Assert.Equal(salvaged.Crc32C, (await _store.GetAsync(Bucket, segment.ObjectName, CancellationToken.None))!.Crc32C);

        // The cloud archived the salvaged object, emptying the staging name; the next attempt uploads the whole file.
        Assert.True(await _store.DeleteAsync(Bucket, segment.ObjectName, salvaged.Generation, CancellationToken.None));
        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, await uploader.UploadDueAsync(CancellationToken.None));
        await AssertOneObjectHoldingTheFileAsync(site, segment);
        Assert.Equal(2, _store.Uploads);
    }

    [Fact]
    public async Task TwoSitesWithACameraCalledCam1_TailIntoTwoObjects_EachHoldingItsOwnFootage()
    {
        Site a = NewSite("site-a");
        Site b = NewSite("site-b");
        a.GrowTo(0, 3 * Q + 1);
        b.GrowTo(0, 2 * Q + 2);
        await a.Context.CreateLiveTailer().PassAsync(CancellationToken.None);
        await b.Context.CreateLiveTailer().PassAsync(CancellationToken.None);
        Assert.NotEqual(a.Context.Outbox.GetLiveTail(a.Id(0))!.SessionUri, b.Context.Outbox.GetLiveTail(b.Id(0))!.SessionUri);

        OutboxSegment sa = a.Seal(0);
        OutboxSegment sb = b.Seal(0);
        Assert.Equal(1, await a.Context.CreateUploader().UploadDueAsync(CancellationToken.None));
        Assert.Equal(1, await b.Context.CreateUploader().UploadDueAsync(CancellationToken.None));

        Assert.NotEqual(sa.ObjectName, sb.ObjectName);
        await AssertOneObjectHoldingTheFileAsync(a, sa);
        await AssertOneObjectHoldingTheFileAsync(b, sb);
        Assert.Equal(2, (await StagedAsync()).Count);
    }

    [Fact]
    public async Task LiveSessions_ReachTheCatalog_WhenTheyChange_AtMostEveryReportInterval_AndWithEveryHeartbeat_EachSiteItsOwn()
    {
        var backend = new LocalBackend(Path.Combine(_cloud.Path, "backend"), _clock);
        var store = new QuantizedAppendStore(backend.Store, Q);
        Site a = NewSite("site-a", store, backend.Catalog);
        Site b = NewSite("site-b", store, backend.Catalog);
        LiveTailer tailer = a.Context.CreateLiveTailer();
        CatalogSync sync = a.Context.CreateCatalogSync();
        a.GrowTo(0, Q + 1);
        b.GrowTo(0, 2 * Q);
        await tailer.PassAsync(CancellationToken.None);
        await b.Context.CreateLiveTailer().PassAsync(CancellationToken.None);

        Assert.True(await sync.ReportLiveSessionsIfDueAsync(CancellationToken.None));
        Assert.True(await b.Context.CreateCatalogSync().ReportLiveSessionsIfDueAsync(CancellationToken.None));
        LiveTailRow row = a.Context.Outbox.GetLiveTail(a.Id(0))!;
        LiveSession reported = Assert.Single(await backend.Catalog.ListLiveSessionsAsync("site-a", CancellationToken.None));
        Assert.Equal(new LiveSession(a.Id(0), "cam1", a.Run.Run, 0, row.ObjectName, row.SessionUri, Q, row.OpenedAt, row.ConfirmedUpTo), reported);
        Assert.Equal((long)2 * Q, Assert.Single(await backend.Catalog.ListLiveSessionsAsync("site-b", CancellationToken.None)).ConfirmedBytes);

        a.GrowTo(0, 2 * Q + 1);
        _clock.Advance(TimeSpan.FromSeconds(3));
        await tailer.PassAsync(CancellationToken.None);
        Assert.False(await sync.ReportLiveSessionsIfDueAsync(CancellationToken.None)); // changed, but the report interval (5 s) has not passed
        _clock.Advance(TimeSpan.FromSeconds(2));
        Assert.True(await sync.ReportLiveSessionsIfDueAsync(CancellationToken.None));
        Assert.Equal(2L * Q, Assert.Single(await backend.Catalog.ListLiveSessionsAsync("site-a", CancellationToken.None)).ConfirmedBytes);
        _clock.Advance(TimeSpan.FromSeconds(5));
        Assert.False(await sync.ReportLiveSessionsIfDueAsync(CancellationToken.None)); // nothing changed: nothing sent

        // Sealed and finished: the heartbeat carries the (now empty) set, unchanged or not.
        a.Seal(0);
        Assert.Equal(1, await a.Context.CreateUploader().UploadDueAsync(CancellationToken.None));
        await sync.HeartbeatAsync(CancellationToken.None);
        Assert.Empty(await backend.Catalog.ListLiveSessionsAsync("site-a", CancellationToken.None));
        Assert.Single(await backend.Catalog.ListLiveSessionsAsync("site-b", CancellationToken.None));
    }
}
