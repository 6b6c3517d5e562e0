using System.Globalization;
using Cctv.EdgeRecorder.Cameras;
using Cctv.EdgeRecorder.Commands;
using Cctv.EdgeRecorder.Tests.Pipeline;
using Cctv.Shared.Local;
using Cctv.TestSupport;
using Cctv.TestSupport.Logging;
using Microsoft.Extensions.Logging;

namespace Cctv.EdgeRecorder.Tests.Cameras;

/// <summary>FFmpeg's repeated warnings become one summary per camera per minute, with counts and each kind's first line.</summary>
public sealed class FfmpegWarningSummaryTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-11-21T03:10:00Z", CultureInfo.InvariantCulture);

    [Fact]
    public void RepeatedWarnings_AreCountedByKind_AndSummarisedOnceAMinutePassed_WithTheFirstLineKept()
    {
        var clock = new ManualClock(T0);
        var summary = new FfmpegWarningSummary("cam1", clock);
        for (int i = 1; i <= 40; i++)
        {
            summary.Add($"[rtsp @ 0x55d{i:x4}] RTP: missed {i % 7 + 1} packets");
            clock.Advance(TimeSpan.FromSeconds(1));
        }
        summary.Add("[h264 @ 0x55d978b9b6c0] co located POCs unavailable");
        summary.Add("[h264 @ 0x55d978b9b6c1] co located POCs unavailable");

        Assert.Null(summary.TakeIfDue()); // 40 s after the first warning: still counting
        clock.Advance(TimeSpan.FromSeconds(19));
        Assert.Null(summary.TakeIfDue());
        clock.Advance(TimeSpan.FromSeconds(1));
        WarningSummary minute = Assert.IsType<WarningSummary>(summary.TakeIfDue());

        Assert.Equal(("cam1", 42L, T0, T0.AddSeconds(60)), (minute.CameraId, minute.Total, minute.From, minute.To));
        Assert.Equal(
            [new WarningKind("[rtsp @ #] RTP: missed # packets", 40, "[rtsp @ 0x55d0001] RTP: missed 2 packets"),
             new WarningKind("[h264 @ #] co located POCs unavailable", 2, "[h264 @ 0x55d978b9b6c0] co located POCs unavailable")],
            minute.Kinds);
        Assert.Contains("40 x '[rtsp @ #] RTP: missed # packets' (first: '[rtsp @ 0x55d0001] RTP: missed 2 packets')", minute.Describe(), StringComparison.Ordinal);
        Assert.Null(summary.TakeIfDue()); // a new window begins with the next warning, not before
        Assert.Null(summary.Take());
    }

    [Fact]
    public void Take_AtExit_HandsOverWhatWasCountedBeforeTheMinuteEnded()
    {
        var clock = new ManualClock(T0);
        var summary = new FfmpegWarningSummary("cam1", clock);
        summary.Add("Connection timed out");
        clock.Advance(TimeSpan.FromSeconds(5));

        WarningSummary last = Assert.IsType<WarningSummary>(summary.Take());

        Assert.Equal((1L, TimeSpan.FromSeconds(5)), (last.Total, last.To - last.From));
    }

    [Fact]
    public void ManyDistinctKinds_AreCappedAndTheRestCountedAsOther()
    {
        var summary = new FfmpegWarningSummary("cam1", new ManualClock(T0));
        for (int i = 0; i < FfmpegWarningSummary.MaxKinds + 5; i++)
        {
            summary.Add($"warning kind {(char)('a' + (i % 26))}{(char)('a' + (i / 26))}");
        }

        WarningSummary s = Assert.IsType<WarningSummary>(summary.Take());

        Assert.Equal(FfmpegWarningSummary.MaxKinds + 1, s.Kinds.Count);
        Assert.Equal(5, s.Kinds.Single(k => k.Pattern == FfmpegWarningSummary.OtherKinds).Count);
        Assert.Equal(FfmpegWarningSummary.MaxKinds + 5, s.Total);
    }

    [Theory]
    [InlineData("[h264 @ 0x5605548d06c0] error while decoding MB 12 34, bytestream -5", "[h264 @ #] error while decoding MB # #, bytestream #")]
    [InlineData("max delay reached. need to consume packet", "max delay reached. need to consume packet")]
    [InlineData("Non-monotonous DTS in output stream 0:0; previous: 1234, current: 1200.5; changing to 1235.", "Non-monotonous DTS in output stream #:#; previous: #, current: #; changing to #.")]
    public void KindOf_BlanksNumbersAndAddresses_AndKeepsNames(string line, string kind) =>
        Assert.Equal(kind, FfmpegWarningSummary.KindOf(line));

    [Fact]
    public async Task FfmpegProcess_WithASummary_CountsItsStderrLines_InsteadOfLoggingEachOne()
    {
        using var capture = new LogCapture();
        using ILoggerFactory logs = LoggerFactory.Create(b => b.AddProvider(capture));
        var summary = new FfmpegWarningSummary("cam1", TimeProvider.System);
        await using (FfmpegProcess process = FfmpegProcess.Start("/bin/sh", ["-c", "for i in 1 2 3 4 5; do echo \"RTP: missed $i packets\" >&2; done"],
            logs.CreateLogger("test"), "cam1", summary))
        {
            await process.WaitForExitAsync(CancellationToken.None);
        }

        Assert.Equal(5, Assert.IsType<WarningSummary>(summary.Take()).Total);
        Assert.Empty(capture.Find(LogLevel.Warning, "RTP: missed"));
    }

    [Fact]
    public void Status_ShowsEachCamerasLatestMinuteOfWarnings()
    {
        var clock = new ManualClock(T0);
        using var cloud = new TempDir("cloud");
        var backend = new LocalBackend(cloud.Path, clock);
        using var rig = new PipelineRig(backend.Store, LocalBackend.StagingBucket, backend.Catalog, time: clock);
        rig.Seal(1000);
        var summary = new FfmpegWarningSummary("cam1", clock);
        summary.Add("[rtsp @ 0x1] RTP: missed 3 packets");
        summary.Add("[rtsp @ 0x2] RTP: missed 4 packets");
        clock.Advance(TimeSpan.FromMinutes(1));
        FfmpegWarningSummary.Save(rig.Context.Paths.DataDir, summary.TakeIfDue()!);

        StatusCommand.StatusReport report = StatusCommand.Read(rig.Context.Paths.DataDir, clock);

        StatusCommand.FfmpegWarningsStatus warnings = Assert.IsType<StatusCommand.FfmpegWarningsStatus>(Assert.Single(report.Cameras).FfmpegWarnings);
        Assert.Equal((2L, "[rtsp @ #] RTP: missed # packets", "[rtsp @ 0x1] RTP: missed 3 packets"), (warnings.Count, warnings.MostFrequent, warnings.FirstExample));
    }
}
