using Cctv.Functions.Api;
using Cctv.Shared.Domain;
using static Cctv.Functions.Tests.Api.TimelineBuilderTests;

namespace Cctv.Functions.Tests.Api;

public sealed class HlsPlaylistTests
{
    private static string Write(IEnumerable<Recording> recordings, IEnumerable<RecordingGap>? gaps = null, double toSeconds = 40) =>
        HlsPlaylist.Write(TimelineBuilder.Build(recordings, gaps ?? [], T0, T0.AddSeconds(toSeconds)), r => $"/playback/{r.Id}.mp4", "cam1",
            T0, T0.AddSeconds(toSeconds), T0.AddHours(3));

    [Fact]
    public void AVodPlaylist_HasTheHeader_EverySegmentWithItsWallClockStartAndLength_AndAnEnd()
    {
        Recording[] recordings = [At(0), At(4), At(8, seconds: 3.5)];

        string[] lines = Write(recordings, toSeconds: 11.5).Split('\n');

        Assert.Equal(["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-PLAYLIST-TYPE:VOD", "#EXT-X-INDEPENDENT-SEGMENTS", "#EXT-X-TARGETDURATION:4", "#EXT-X-MEDIA-SEQUENCE:0"],
            lines[..6]);
        Assert.StartsWith("# camera cam1, 2026-01-15T03:00:00.000Z to 2026-01-15T03:00:11.500Z; segment links valid until 2026-01-15T06:00:00.000Z", lines[6],
            StringComparison.Ordinal);
        Assert.Equal(
        [
            "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T03:00:00.000Z", "#EXTINF:4.000,", $"/playback/{recordings[0].Id}.mp4",
            "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T03:00:04.000Z", "#EXTINF:4.000,", $"/playback/{recordings[1].Id}.mp4",
            "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T03:00:08.000Z", "#EXTINF:3.500,", $"/playback/{recordings[2].Id}.mp4",
            "#EXT-X-ENDLIST", "",
        ], lines[7..]);
        Assert.DoesNotContain("#EXT-X-DISCONTINUITY", lines);
    }

    [Fact]
    public void AGap_IsADiscontinuityBeforeTheNextSegment_WithACommentThatSaysWhy()
    {
        Recording[] recordings = [At(0), At(4), At(20), At(24)];
        RecordingGap[] gaps = [new("g", "r1", "cam1", T0.AddSeconds(8), T0.AddSeconds(20), "camera stream lost")];

        string[] lines = Write(recordings, gaps, 28).Split('\n');

        int discontinuity = Array.IndexOf(lines, "#EXT-X-DISCONTINUITY");
        Assert.Equal("# gap 2026-01-15T03:00:08.000Z to 2026-01-15T03:00:20.000Z: camera_offline (camera stream lost)", lines[discontinuity - 1]);
        Assert.Equal("#EXT-X-PROGRAM-DATE-TIME:2026-01-15T03:00:20.000Z", lines[discontinuity + 1]);
        Assert.Single(lines, l => l == "#EXT-X-DISCONTINUITY");
    }

    [Fact]
    public void ANewRecordingRunRightAfterTheLast_IsNoDiscontinuity_ButOneAfterAHoleIs()
    {
        string contiguous = Write([At(0, run: 1), At(4, run: 2)], toSeconds: 8);
        string afterHole = Write([At(0, run: 1), At(6, run: 2)], toSeconds: 10);

        Assert.DoesNotContain("#EXT-X-DISCONTINUITY", contiguous, StringComparison.Ordinal);
        Assert.Contains("#EXT-X-DISCONTINUITY\n#EXT-X-PROGRAM-DATE-TIME:2026-01-15T03:00:06.000Z", afterHole, StringComparison.Ordinal);
    }

    [Fact]
    public void GapsAtTheEdges_AreComments_NotDiscontinuities_AndTheTargetDurationRoundsUp()
    {
        string playlist = Write([At(10, seconds: 4.2)], toSeconds: 30);

        Assert.DoesNotContain("#EXT-X-DISCONTINUITY", playlist, StringComparison.Ordinal);
        Assert.Contains("#EXT-X-TARGETDURATION:5\n", playlist, StringComparison.Ordinal);
        Assert.Equal(2, playlist.Split('\n').Count(l => l.StartsWith("# gap ", StringComparison.Ordinal)));
    }
}
