using Cctv.Functions.Api;
using Cctv.Shared.Domain;

namespace Cctv.Functions.Tests.Api;

public sealed class TimelineBuilderTests
{
    internal static readonly DateTimeOffset T0 = new(2026, 1, 15, 3, 0, 0, TimeSpan.Zero);

    /// <summary>A 4-second recording of cam1 starting <paramref name="second"/> seconds after T0.</summary>
    internal static Recording At(double second, CloudState state = CloudState.Archived, string? reason = null, long run = 1, string recorder = "r1",
        double seconds = 4, string camera = "cam1")
    {
        DateTimeOffset start = T0.AddSeconds(second);
        long seq = (long)(second * 1000);
        var a = new RecordingAnnouncement(RecordingId.For(recorder, camera, run, seq), recorder, camera, "Cam 1", run, seq, start, start.AddSeconds(seconds),
            1000, "sha", "crc", "md5", "video/mp4", $"incoming/{seq}.mp4");
        return new Recording(a, state, reason, 1, state == CloudState.Archived ? $"recordings/{camera}/{seq}.mp4" : null, 2, start, null, null, start, 1);
    }

    [Fact]
    public void ARecordersGapForAClockStep_IsAClockStepGap_WithTheStepInItsDetail_AndAnotherRecordersCameraOffline()
    {
        Recording[] recordings = [At(0), At(10, run: 2)];
        const string stepped = "clock_step: the wall clock stepped +5.000 s against the monotonic clock";
        RecordingGap[] gaps =
        [
            new("g1", "r1", "cam1", T0.AddSeconds(4), T0.AddSeconds(10), stepped),
            new("g2", "r1", "cam1", T0.AddSeconds(14), T0.AddSeconds(20), "camera stream lost: clock_step in the camera's name"),
        ];

        IReadOnlyList<TimelineSpan> spans = TimelineBuilder.Build(recordings, gaps, T0, T0.AddSeconds(20));

        Assert.Equal(
        [
            ("gap", 4.0, 10.0, GapReasons.ClockStep, stepped),
            ("gap", 14.0, 20.0, GapReasons.CameraOffline, "camera stream lost: clock_step in the camera's name"),
        ], spans.Where(s => !s.IsSegment).Select(s => ("gap", (s.Start - T0).TotalSeconds, (s.End - T0).TotalSeconds, s.Reason, s.Detail)));
    }

    [Fact]
    public void ContiguousArchivedRecordings_AreSegmentsWithNoGapBetween_EvenWithRoundingSlivers()
    {
        Recording[] recordings = [At(0), At(4.02), At(8.05), At(12)];

        IReadOnlyList<TimelineSpan> spans = TimelineBuilder.Build(recordings, [], T0, T0.AddSeconds(16));

        Assert.Equal(4, spans.Count);
        Assert.All(spans, s => Assert.True(s.IsSegment));
    }

    [Fact]
    public void EachHole_IsExplained_ByUnplayableRecordingsFirst_ThenTheRecordersGap_ThenNothing()
    {
        Recording[] recordings =
        [
            At(0),
            At(4, CloudState.Announced), At(8, CloudState.Staged),      // uploading: one gap of two recordings
            At(12, CloudState.Lost, "disk full: evicted before upload"),
            At(16),
            At(60), At(64, CloudState.Expired, "retention: 30 days"), At(68),
        ];
        RecordingGap[] gaps = [new("g1", "r1", "cam1", T0.AddSeconds(20), T0.AddSeconds(50), "camera stream lost: Connection timed out")];

        IReadOnlyList<TimelineSpan> spans = TimelineBuilder.Build(recordings, gaps, T0, T0.AddSeconds(80));

        Assert.Equal(
        [
            ("segment", 0.0, 4.0, null),
            ("gap", 4.0, 8.0, GapReasons.NotYetUploaded),
            ("gap", 8.0, 12.0, GapReasons.NotYetUploaded),
            ("gap", 12.0, 16.0, GapReasons.Lost),
            ("segment", 16.0, 20.0, null),
            ("gap", 20.0, 50.0, GapReasons.CameraOffline),
            ("gap", 50.0, 60.0, GapReasons.NoRecording),
            ("segment", 60.0, 64.0, null),
            ("gap", 64.0, 68.0, GapReasons.Expired),
            ("segment", 68.0, 72.0, null),
            ("gap", 72.0, 80.0, GapReasons.NoRecording),
        ], spans.Select(s => (s.IsSegment ? "segment" : "gap", (s.Start - T0).TotalSeconds, (s.End - T0).TotalSeconds, s.Reason)));
        Assert.Equal("disk full: evicted before upload", spans[3].Detail);
        Assert.Equal("camera stream lost: Connection timed out", spans[5].Detail);
        Assert.Equal("retention: 30 days", spans[8].Detail);
    }

    [Fact]
    public void RecordingsWaitingInTheSameState_AreOneGap_CountingThem()
    {
        Recording[] recordings = [At(0), .. Enumerable.Range(1, 5).Select(i => At(i * 4, CloudState.Announced)), At(24)];

        IReadOnlyList<TimelineSpan> spans = TimelineBuilder.Build(recordings, [], T0, T0.AddSeconds(28));

        TimelineSpan gap = Assert.Single(spans, s => !s.IsSegment);
        Assert.Equal((GapReasons.NotYetUploaded, 5, 4.0, 24.0), (gap.Reason, gap.Recordings, (gap.Start - T0).TotalSeconds, (gap.End - T0).TotalSeconds));
    }

    [Fact]
    public void AnOpenGap_RunsToTheEndOfTheRange_AndTheRangeClipsRecordingsAtItsEdges()
    {
        Recording[] recordings = [At(-2), At(2)];
        RecordingGap[] gaps = [new("g1", "r1", "cam1", T0.AddSeconds(6), null, "recorder down")];

        IReadOnlyList<TimelineSpan> spans = TimelineBuilder.Build(recordings, gaps, T0, T0.AddMinutes(10));

        Assert.Equal([(0.0, 2.0), (2.0, 6.0), (6.0, 600.0)], spans.Select(s => ((s.Start - T0).TotalSeconds, (s.End - T0).TotalSeconds)));
        Assert.Equal((GapReasons.CameraOffline, "recorder down"), (spans[2].Reason, spans[2].Detail));
    }

    [Fact]
    public void NothingInTheCatalog_IsOneGapWithNoRecording()
    {
        TimelineSpan only = Assert.Single(TimelineBuilder.Build([], [], T0, T0.AddHours(1)));

        Assert.Equal((GapReasons.NoRecording, TimeSpan.FromHours(1)), (only.Reason, only.Length));
    }
}
