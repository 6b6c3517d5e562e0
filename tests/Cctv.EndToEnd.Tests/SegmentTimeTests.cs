using System.Globalization;
using System.Text.Json;
using Cctv.EdgeRecorder.Outbox;
using Cctv.Shared.Domain;
using Cctv.TestSupport;

namespace Cctv.EndToEnd.Tests;

/// <summary>
/// Segment times against the media, with real FFmpeg recording a synthetic RTSP camera (15 fps, a keyframe a second):
/// every segment lasts in the catalog what ffprobe reads, the first of each run too (FFmpeg's list times it from its
/// start, before the first keyframe); the playlist's program-date-times are the catalog's; and a step of the agent's
/// wall clock (its monotonic clock runs on) ends the run, with a clock_step gap that says by how much.
/// </summary>
[Trait("Category", "Slow")]
public sealed class SegmentTimeTests
{
    /// <summary>One frame at the synthetic camera's 15 fps, plus the millisecond the catalog rounds to.</summary>
    private const double OneFrame = 1.0 / 15 + 0.001;

    [Fact]
    public async Task ASteppedClock_SplitsTheRun_WithAClockStepGap_AndEverySegmentLastsWhatItsMediaLasts_AndThePlaylistTellsTheCatalogsTimes()
    {
        var clock = new SteppableClock();
        await using RecordingRig rig = await RecordingRig.StartAsync(cameras: 1, segmentSeconds: 2, time: clock);
        using var stop = new CancellationTokenSource();
        Task running = rig.Agent.RunAsync(stop.Token, CancellationToken.None);

        await CameraDropTests.WaitUntilAsync(() => rig.Edge.Outbox.All().Count >= 3, TimeSpan.FromSeconds(40), "the camera to record 3 segments");
        long firstRun = rig.Edge.Outbox.All().Min(r => r.Run);
        clock.Step(TimeSpan.FromSeconds(5));
        await CameraDropTests.WaitUntilAsync(() => rig.Edge.Outbox.All().Count(r => r.Run > firstRun) >= 3, TimeSpan.FromSeconds(40),
            "a new run after the clock step to record 3 segments");
        await stop.CancelAsync();
        await running;
        Assert.True(await rig.Agent.DrainAsync(TimeSpan.FromSeconds(60), CancellationToken.None), "the pipeline did not drain");

        // The step ended the run, saying by how much; the next run started on the clock as it then was.
        CameraRun stepped = rig.Edge.Outbox.GetRun("cam1", firstRun)!;
        Assert.StartsWith("clock_step: the wall clock stepped +5.0", stepped.EndReason, StringComparison.Ordinal);
        CameraRun next = rig.Edge.Outbox.GetRun("cam1", firstRun + 1)!;
        Assert.Equal(ClockState.Adjtimex, Assert.IsType<ClockState>(next.Clock).Source);

        // Every segment lasts in the outbox and the catalog what its media lasts, within a frame: the first of each run too.
        IReadOnlyList<OutboxSegment> rows = [.. rig.Edge.Outbox.All().OrderBy(r => r.Run).ThenBy(r => r.Sequence)];
        Assert.Equal([firstRun, firstRun + 1], rows.Where(r => r.Sequence == 0).Select(r => r.Run));
        var catalog = new Dictionary<string, Recording>();
        foreach (OutboxSegment row in rows)
        {
            double media = await Media.ProbeDurationAsync(row.Path);
            Recording recorded = (await rig.Backend.Catalog.GetAsync(row.Id, CancellationToken.None))!;
            Assert.Equal(CloudState.Archived, recorded.State);
            Assert.Equal((row.StartTime, row.EndTime), (recorded.Announcement.StartTime, recorded.Announcement.EndTime));
            Assert.True(Math.Abs(recorded.Announcement.DurationSeconds - media) <= OneFrame,
                $"run {row.Run} segment {row.Sequence}: the catalog says {recorded.Announcement.DurationSeconds:F3} s, ffprobe {media:F3} s");
            Assert.Equal(row.Run == firstRun ? rig.Edge.Outbox.GetRun("cam1", firstRun)!.Clock : next.Clock, recorded.Announcement.Clock);
            catalog[row.Id] = recorded;
        }

        // The gap between the runs: clock_step, by how much, from the last footage of one to the first of the next.
        OutboxSegment lastBefore = rows.Last(r => r.Run == firstRun);
        OutboxSegment firstAfter = rows.First(r => r.Run == firstRun + 1);
        var camera = new CameraKey("e2e", "cam1");
        IReadOnlyList<RecordingGap> gaps = await rig.Backend.Catalog.ListGapsAsync(camera, rows[0].StartTime, rows[^1].EndTime, CancellationToken.None);
        RecordingGap gap = Assert.Single(gaps, g => ClockReasons.IsClockStep(g.Reason));
        Assert.Equal((stepped.EndReason, lastBefore.EndTime, (DateTimeOffset?)firstAfter.StartTime), (gap.Reason, gap.StartTime, gap.EndTime));

        // The playlist over the whole recording: each segment's program-date-time and length are the catalog's.
        using HttpClient client = rig.ApiClient();
        string range = $"from={Uri.EscapeDataString(Iso(rows[0].StartTime.AddSeconds(-1)))}&to={Uri.EscapeDataString(Iso(rows[^1].EndTime.AddSeconds(1)))}";
        string[] playlist = (await client.GetStringAsync($"/api/cameras/{camera}/playlist.m3u8?{range}")).Split('\n');
        var listed = new List<string>();
        for (int i = 0; i < playlist.Length; i++)
        {
            if (!playlist[i].StartsWith("/playback/", StringComparison.Ordinal))
            {
                continue;
            }
            string id = playlist[i]["/playback/".Length..playlist[i].IndexOf(".mp4", StringComparison.Ordinal)];
            RecordingAnnouncement a = catalog[id].Announcement;
            Assert.Equal($"#EXT-X-PROGRAM-DATE-TIME:{Iso(a.StartTime)}", playlist[i - 2]);
            Assert.Equal($"#EXTINF:{a.DurationSeconds.ToString("F3", CultureInfo.InvariantCulture)},", playlist[i - 1]);
            listed.Add(id);
        }
        Assert.Equal(rows.Select(r => r.Id), listed);

        // The timeline names each segment's run and gives each run's clock state.
        using JsonDocument timeline = JsonDocument.Parse(await client.GetStringAsync($"/api/cameras/{camera}/timeline/?{range}"));
        JsonElement[] clocks = [.. timeline.RootElement.GetProperty("clocks").EnumerateArray()];
        Assert.Equal([firstRun, firstRun + 1], clocks.Select(c => c.GetProperty("run").GetInt64()));
        Assert.All(clocks, c => Assert.Equal(ClockState.Adjtimex, c.GetProperty("source").GetString()));
        Assert.Equal(next.Clock!.Synchronised, clocks[1].GetProperty("synchronised").GetBoolean());
        Assert.Equal(firstRun + 1, timeline.RootElement.GetProperty("entries").EnumerateArray().Last(e => e.GetProperty("type").GetString() == "segment").GetProperty("run").GetInt64());
    }

    private static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
