using Cctv.Functions.Api;
using Cctv.Shared.Domain;
using static Cctv.Functions.Tests.Api.TimelineBuilderTests;

namespace Cctv.Functions.Tests.Api;

/// <summary>The timeline of a camera whose recorder went silent and whose live upload the cloud salvaged (issue 12).</summary>
public sealed class TimelineSalvageTests
{
    private static Recording Salvaged(double second, double seconds, string recorder = "r1") =>
        At(second, CloudState.Salvaged, SalvageReasons.Finished(SalvageReasons.Offline(T0.AddSeconds(second + seconds + 2)), 1_234_567), recorder: recorder,
            seconds: seconds) with { ArchiveObject = $"recordings/{recorder}~cam1/salvaged.mp4" };

    [Fact]
    public void ASalvagedRecording_IsASegment_AndTheSilenceAfterIt_IsRecorderOffline_WithSinceWhenAndUpToWhen()
    {
        Recording salvaged = Salvaged(4, 191);

        IReadOnlyList<TimelineSpan> spans = TimelineBuilder.Build([At(0), salvaged], [], T0, T0.AddSeconds(600));

        Assert.Equal(3, spans.Count);
        Assert.Same(salvaged, spans[1].Recording);
        Assert.Equal(CloudState.Salvaged, spans[1].Recording!.State);
        TimelineSpan gap = spans[2];
        Assert.Equal((195.0, 600.0, GapReasons.RecorderOffline, "recorder offline since 03:03:17 UTC, footage up to 03:03:15 UTC recovered"),
            ((gap.Start - T0).TotalSeconds, (gap.End - T0).TotalSeconds, gap.Reason, gap.Detail));
    }

    [Fact]
    public void TheSilence_EndsWhereTheRecorderRecordsAgain_AndAHoleAfterAnArchivedRecordingIsStillNoRecording()
    {
        IReadOnlyList<TimelineSpan> spans = TimelineBuilder.Build([Salvaged(0, 10), At(100), At(200)], [], T0, T0.AddSeconds(204));

        Assert.Equal(
        [
            (10.0, 100.0, GapReasons.RecorderOffline),
            (104.0, 200.0, GapReasons.NoRecording),
        ], spans.Where(s => !s.IsSegment).Select(s => ((s.Start - T0).TotalSeconds, (s.End - T0).TotalSeconds, s.Reason)));
    }

    [Fact]
    public void ARecordingBeingSalvaged_IsNotPlayableYet_AndSaysSo()
    {
        Recording salvaging = At(0, CloudState.Salvaging, SalvageReasons.Offline(T0.AddSeconds(5)));

        TimelineSpan only = Assert.Single(TimelineBuilder.Build([salvaging], [], T0, T0.AddSeconds(4)));

        Assert.Equal(GapReasons.NotYetUploaded, only.Reason);
        Assert.Equal("salvaging: recorder offline since 2026-01-15T03:00:05Z; the cloud is finishing its live upload", only.Detail);
    }

    [Fact]
    public void TheSalvageReason_ReadsBackWhenTheRecorderWentSilent()
    {
        string reason = SalvageReasons.Finished(SalvageReasons.Offline(new DateTimeOffset(2026, 3, 1, 3, 14, 7, TimeSpan.FromHours(1))), 1_234_567);

        Assert.Equal("recorder offline since 2026-03-01T02:14:07Z; finished by the sweep at the 1,234,567 bytes the store held", reason);
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 2, 14, 7, TimeSpan.Zero), SalvageReasons.OfflineSince(reason));
        Assert.Null(SalvageReasons.OfflineSince("disk full"));
    }
}
