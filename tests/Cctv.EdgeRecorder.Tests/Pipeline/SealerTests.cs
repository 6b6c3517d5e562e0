using System.Security.Cryptography;
using Cctv.EdgeRecorder.Cameras;
using Cctv.EdgeRecorder.Outbox;
using Cctv.EdgeRecorder.Pipeline;
using Cctv.Shared.Domain;
using Cctv.Shared.Local;
using Cctv.TestSupport;
using Cctv.TestSupport.Logging;
using Microsoft.Extensions.Logging;

namespace Cctv.EdgeRecorder.Tests.Pipeline;

/// <summary>The sealer turns the segments FFmpeg has closed into outbox rows, and leaves the one it is still writing.</summary>
public sealed class SealerTests : LocalCloudTest
{
    /// <summary>Writes segment files of random bytes and FFmpeg's list lines for the closed ones (4 s each).</summary>
    internal static string WriteSegments(string runDir, int files, int listed)
    {
        Directory.CreateDirectory(runDir);
        for (int seq = 0; seq < files; seq++)
        {
            File.WriteAllBytes(Path.Combine(runDir, $"seg_{seq:D6}.mp4"), RandomNumberGenerator.GetBytes(3000 + seq));
        }
        File.WriteAllText(Path.Combine(runDir, FfmpegArguments.SegmentList),
            string.Concat(Enumerable.Range(0, listed).Select(seq => $"seg_{seq:D6}.mp4,{seq * 4}.000000,{(seq + 1) * 4}.000000\n")));
        return runDir;
    }

    /// <summary>cam1's run (the rig's) and a run of cam2, each with its segments written and listed, both ended by a stop.</summary>
    private static void EndedRunsOfTwoCameras(PipelineRig rig, int cam1Files, int cam2Files)
    {
        CameraRun other = rig.Outbox.StartRun("cam2");
        WriteSegments(rig.Context.Paths.RunDirectory("cam1", rig.Run.Run), files: cam1Files, listed: cam1Files);
        WriteSegments(rig.Context.Paths.RunDirectory("cam2", other.Run), files: cam2Files, listed: cam2Files);
        rig.Outbox.EndRun("cam1", rig.Run.Run, "recorder stopped");
        rig.Outbox.EndRun("cam2", other.Run, "recorder stopped");
    }

    private static Sealer SealerOf(PipelineRig rig, TimeProvider? time = null) =>
        new(rig.Outbox, rig.Context.Paths, rig.Context.Options.Id, rig.Context.Options.Ffmpeg.ProbePath, time ?? TimeProvider.System, rig.Logs);

    [Fact]
    public async Task ClosedSegments_AreSealedAsRows_AndTheOneStillBeingWrittenIsNot_UntilTheRunEnds()
    {
        using var rig = new PipelineRig(Backend.Store, LocalBackend.StagingBucket, Backend.Catalog);
        string dir = WriteSegments(rig.Context.Paths.RunDirectory("cam1", rig.Run.Run), files: 3, listed: 2);
        Sealer sealer = SealerOf(rig);

        Assert.Equal(2, await sealer.SealAsync(CancellationToken.None));

        OutboxSegment first = rig.Outbox.Get(RecordingId.For("site", "cam1", rig.Run.Run, 0))!;
        Assert.Equal((EdgeState.Sealed, 3000L, Path.Combine(dir, "seg_000000.mp4"), ObjectNames.Staging("site", "cam1", first.Id), TimeSpan.FromSeconds(4)),
            (first.State, first.Size, first.Path, first.ObjectName, first.EndTime - first.StartTime));
        Assert.Null(rig.Outbox.Get(RecordingId.For("site", "cam1", rig.Run.Run, 2)));
        Assert.Equal(0, await sealer.SealAsync(CancellationToken.None)); // nothing new: nothing sealed twice

        rig.Outbox.EndRun("cam1", rig.Run.Run, "recorder stopped");
        Assert.Equal(1, await sealer.SealAsync(CancellationToken.None));
        Assert.NotNull(rig.Outbox.Get(RecordingId.For("site", "cam1", rig.Run.Run, 2)));
        Assert.Empty(rig.Outbox.UnsealedRuns());
    }

    [Fact]
    public async Task SealedSegments_AreLoggedAsARunsFirstAndOneLineAMinute_NotALineEach()
    {
        using var rig = new PipelineRig(Backend.Store, LocalBackend.StagingBucket, Backend.Catalog);
        EndedRunsOfTwoCameras(rig, cam1Files: 4, cam2Files: 3);
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        using var capture = new LogCapture();
        using ILoggerFactory logs = LoggerFactory.Create(b => b.AddProvider(capture).SetMinimumLevel(LogLevel.Trace));
        var sealer = new Sealer(rig.Outbox, rig.Context.Paths, rig.Context.Options.Id, rig.Context.Options.Ffmpeg.ProbePath, clock, logs);

        Assert.Equal(7, await sealer.SealAsync(CancellationToken.None));

        Assert.Equal(["cam1", "cam2"], capture.Find(LogLevel.Information, ": sealed").Select(e => e.Message[7..11]).Order());
        Assert.Equal(5, capture.Find(LogLevel.Debug, ": sealed").Count(e => e.Level == LogLevel.Debug)); // each of the others, for CCTV_LOG_LEVEL=Debug
        Assert.Empty(capture.Find(LogLevel.Information, "segments (")); // the summary waits for its minute

        clock.Advance(RoutineTally.Minute);
        Assert.Equal(0, await sealer.SealAsync(CancellationToken.None));
        Assert.Single(capture.Find(LogLevel.Information, "Sealed 7 segments", "of 2 cameras", "in the last 60 s"));

        clock.Advance(RoutineTally.Minute);
        await sealer.SealAsync(CancellationToken.None);
        Assert.Single(capture.Find(LogLevel.Information, "segments (")); // nothing sealed since: no line
    }

    [Fact]
    public async Task ARunAfterTheClockSteppedBack_StartsBeforeTheLastEnded_AndTheGapBetween_IsEmpty_WithTheStepAsItsReason()
    {
        using var rig = new PipelineRig(Backend.Store, LocalBackend.StagingBucket, Backend.Catalog);
        var t = new DateTimeOffset(2026, 12, 1, 20, 0, 0, TimeSpan.Zero);
        const string stepped = "clock_step: the wall clock stepped -10.000 s against the monotonic clock";
        WriteSegments(rig.Context.Paths.RunDirectory("cam1", rig.Run.Run), files: 2, listed: 2);
        rig.Outbox.SetAnchor("cam1", rig.Run.Run, t.AddSeconds(10).ToUnixTimeMilliseconds());
        rig.Outbox.EndRun("cam1", rig.Run.Run, stepped);
        CameraRun next = rig.Outbox.StartRun("cam1");
        WriteSegments(rig.Context.Paths.RunDirectory("cam1", next.Run), files: 2, listed: 2);
        rig.Outbox.SetAnchor("cam1", next.Run, t.AddSeconds(12).ToUnixTimeMilliseconds()); // 2 s after the step, 10 s back
        rig.Outbox.EndRun("cam1", next.Run, "recorder stopped");

        Assert.Equal(4, await SealerOf(rig).SealAsync(CancellationToken.None));

        RecordingGap gap = rig.Outbox.Gaps(unsyncedOnly: false, "site").Select(g => g.Gap).Single(g => g.Id == Sealer.GapIdAfter("site", "cam1", rig.Run.Run));
        Assert.Equal((t.AddSeconds(18), (DateTimeOffset?)t.AddSeconds(18), stepped), (gap.StartTime, gap.EndTime, gap.Reason));
        Assert.Equal(t.AddSeconds(12), rig.Outbox.Get(RecordingId.For("site", "cam1", next.Run, 0))!.StartTime);
    }

    [Fact]
    public async Task AnEmptySegment_IsRemoved_NotSealed()
    {
        using var rig = new PipelineRig(Backend.Store, LocalBackend.StagingBucket, Backend.Catalog);
        string dir = WriteSegments(rig.Context.Paths.RunDirectory("cam1", rig.Run.Run), files: 2, listed: 1);
        File.WriteAllBytes(Path.Combine(dir, "seg_000001.mp4"), []);
        rig.Outbox.EndRun("cam1", rig.Run.Run, "camera stream lost");

        Assert.Equal(1, await SealerOf(rig).SealAsync(CancellationToken.None));

        Assert.False(File.Exists(Path.Combine(dir, "seg_000001.mp4")));
        Assert.Empty(rig.Outbox.UnsealedRuns());
    }

    [Fact]
    public async Task ARunFollowedPassByPass_AsFfmpegWritesAndCleanupRemoves_SealsEachSegmentOnce_WithTheTimesItsListGives()
    {
        using var rig = new PipelineRig(Backend.Store, LocalBackend.StagingBucket, Backend.Catalog);
        var anchor = new DateTimeOffset(2026, 12, 1, 3, 10, 0, TimeSpan.Zero);
        string dir = WriteSegments(rig.Context.Paths.RunDirectory("cam1", rig.Run.Run), files: 3, listed: 2);
        string list = Path.Combine(dir, FfmpegArguments.SegmentList);
        rig.Outbox.SetAnchor("cam1", rig.Run.Run, anchor.ToUnixTimeMilliseconds());
        Sealer sealer = SealerOf(rig);
        Assert.Equal(2, await sealer.SealAsync(CancellationToken.None));

        // Uploaded and cleaned up; FFmpeg is halfway through the line of segment 2, which is still open.
        File.Delete(Path.Combine(dir, "seg_000000.mp4"));
        File.Delete(Path.Combine(dir, "seg_000001.mp4"));
        File.AppendAllText(list, "seg_000002.mp4,8.0");
        Assert.Equal(0, await sealer.SealAsync(CancellationToken.None));
        File.AppendAllText(list, "00000,12.500000\n");
        File.WriteAllBytes(Path.Combine(dir, "seg_000003.mp4"), RandomNumberGenerator.GetBytes(4000));
        Assert.Equal(1, await sealer.SealAsync(CancellationToken.None));
        // Another writer of the outbox seals segment 3 first (its times a little off): this sealer leaves its row as it is.
        File.AppendAllText(list, "seg_000003.mp4,12.500000,16.500000\n");
        File.WriteAllBytes(Path.Combine(dir, "seg_000004.mp4"), RandomNumberGenerator.GetBytes(10));
        OutboxSegment byOther = OutboxRows.Sealed("site", "cam1", rig.Run.Run, 3, Path.Combine(dir, "seg_000003.mp4"), anchor.AddSeconds(12.4), anchor.AddSeconds(16.4),
            Cctv.Shared.Hashing.SegmentHasher.HashFile(Path.Combine(dir, "seg_000003.mp4"), CancellationToken.None), anchor);
        Assert.True(rig.Outbox.InsertSealed(byOther));
        Assert.Equal(0, await sealer.SealAsync(CancellationToken.None));
        rig.Outbox.EndRun("cam1", rig.Run.Run, "recorder stopped");
        Assert.Equal(1, await sealer.SealAsync(CancellationToken.None));

        OutboxSegment two = rig.Outbox.Get(RecordingId.For("site", "cam1", rig.Run.Run, 2))!;
        Assert.Equal((anchor.AddSeconds(8), anchor.AddSeconds(12.5)), (two.StartTime, two.EndTime));
        Assert.Equal(anchor.AddSeconds(12.4), rig.Outbox.Get(byOther.Id)!.StartTime);
        Assert.Equal([0L, 1L, 2L, 3L, 4L], rig.Outbox.SealedSequences("cam1", rig.Run.Run).Order());
        Assert.Empty(rig.Outbox.UnsealedRuns());
    }

    [Fact]
    public async Task ASegmentBeyondANumberFfmpegSkipped_IsSealedByTheWholeListing_WithinAMinute()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 12, 1, 3, 10, 0, TimeSpan.Zero));
        using var rig = new PipelineRig(Backend.Store, LocalBackend.StagingBucket, Backend.Catalog);
        string dir = WriteSegments(rig.Context.Paths.RunDirectory("cam1", rig.Run.Run), files: 2, listed: 1);
        rig.Outbox.SetAnchor("cam1", rig.Run.Run, clock.GetUtcNow().ToUnixTimeMilliseconds());
        Sealer sealer = SealerOf(rig, clock);
        Assert.Equal(1, await sealer.SealAsync(CancellationToken.None));

        // 2 is never written, so 1 counts as open until the run ends; 3 closes and 4 is open. Passes look only at the next number.
        File.AppendAllText(Path.Combine(dir, FfmpegArguments.SegmentList), "seg_000001.mp4,4.000000,8.000000\nseg_000003.mp4,12.000000,16.000000\n");
        File.WriteAllBytes(Path.Combine(dir, "seg_000003.mp4"), RandomNumberGenerator.GetBytes(3000));
        File.WriteAllBytes(Path.Combine(dir, "seg_000004.mp4"), RandomNumberGenerator.GetBytes(3000));
        Assert.Equal(0, await sealer.SealAsync(CancellationToken.None));

        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, await sealer.SealAsync(CancellationToken.None));
        Assert.Equal([0L, 3L], rig.Outbox.SealedSequences("cam1", rig.Run.Run).Order());
        rig.Outbox.EndRun("cam1", rig.Run.Run, "recorder stopped");
        Assert.Equal(2, await sealer.SealAsync(CancellationToken.None));
        Assert.Equal([0L, 1L, 3L, 4L], rig.Outbox.SealedSequences("cam1", rig.Run.Run).Order());
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task APassStartedWhileAnotherRuns_WaitsItsTurn_AndEverySegmentIsSealedOnce()
    {
        // The stop's last pass comes while the pipeline's pass is still probing a first segment: the first probe answers
        // only when let go, every later one at once (unreadable, as random bytes are). FFMpegCore asks for -version first.
        using var probe = new TempDir("held-probe");
        string release = probe.Combine("release");
        string ffprobe = probe.Combine("ffprobe");
        File.WriteAllText(ffprobe, $"#!/bin/sh\n[ \"$1\" = -version ] && exit 0\nif mkdir '{probe.Combine("first")}' 2>/dev/null; then while [ ! -e '{release}' ] && [ -d '{probe.Path}' ]; do sleep 0.02; done; fi\nexit 1\n");
        File.SetUnixFileMode(ffprobe, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        using var rig = new PipelineRig(Backend.Store, LocalBackend.StagingBucket, Backend.Catalog);
        EndedRunsOfTwoCameras(rig, cam1Files: 3, cam2Files: 3);
        var sealer = new Sealer(rig.Outbox, rig.Context.Paths, rig.Context.Options.Id, ffprobe, TimeProvider.System, rig.Logs);

        try
        {
            await TwoPassesAsync(rig, sealer, release);
        }
        finally
        {
            File.WriteAllText(release, ""); // a failed assertion must not leave the held probe waiting
        }
    }

    private static async Task TwoPassesAsync(PipelineRig rig, Sealer sealer, string release)
    {
        Task<int> pipelines = Task.Run(() => sealer.SealAsync(CancellationToken.None));
        await WaitUntilAsync(() => rig.Outbox.UnsealedRuns().Single(r => r.CameraId == "cam1").AnchorMs is not null, "the first pass to reach cam1's first probe");
        // A pass that gives up while waiting (its loop stopped) does not let the one after it in early.
        using (var givenUp = new CancellationTokenSource())
        {
            Task<int> waiting = sealer.SealAsync(givenUp.Token);
            await givenUp.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        }
        Task<int> stops = Task.Run(() => sealer.SealAsync(CancellationToken.None));
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        Assert.False(stops.IsCompleted, "the second pass ran beside the first");
        Assert.Empty(rig.Outbox.All()); // the first is still at its first segment

        File.WriteAllText(release, "");
        int[] sealedBy = await Task.WhenAll(pipelines, stops);

        Assert.Equal([6, 0], sealedBy); // the first sealed all six; the second, after it, found nothing left
        Assert.Equal(6, rig.Outbox.All().Count);
        Assert.Empty(rig.Outbox.UnsealedRuns());
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(20), $"timed out waiting for {what}");
            await Task.Delay(TimeSpan.FromMilliseconds(20));
        }
    }
}
