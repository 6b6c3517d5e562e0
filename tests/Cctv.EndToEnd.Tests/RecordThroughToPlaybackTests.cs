using System.Net;
using System.Text.Json;
using Cctv.EdgeRecorder.Outbox;
using Cctv.Shared.Domain;
using Cctv.Shared.Local;

namespace Cctv.EndToEnd.Tests;

/// <summary>One recording session shared by the tests of this class: two cameras over RTSP, 2-second segments.</summary>
public sealed class RecordedSession : IAsyncLifetime
{
    public RecordingRig Rig { get; private set; } = null!;
    public bool Drained { get; private set; }

    public async Task InitializeAsync()
    {
        Rig = await RecordingRig.StartAsync(cameras: 2, segmentSeconds: 2);
        // Record until each camera has sealed 4 segments (a camera may need a reconnect at start, which the
        // agent handles with its back-off), at most 60 s.
        using var recording = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        Task run = Rig.Agent.RunAsync(recording.Token, CancellationToken.None);
        while (!recording.IsCancellationRequested
            && !Rig.Edge.Outbox.All().GroupBy(r => r.CameraId).Count(g => g.Count() >= 4).Equals(2))
        {
            await Task.Delay(200);
        }
        await recording.CancelAsync();
        await run;
        Drained = await Rig.Agent.DrainAsync(TimeSpan.FromSeconds(60), CancellationToken.None);
    }

    public async Task DisposeAsync() => await Rig.DisposeAsync();
}

public sealed class RecordThroughToPlaybackTests(RecordedSession session) : IClassFixture<RecordedSession>
{
    [Fact]
    public async Task EverySegmentFromTheNetworkSource_IsArchived_WithTheSha256OfTheLocalFile()
    {
        Assert.True(session.Drained, "the pipeline did not drain within 60 s");
        IReadOnlyList<OutboxSegment> rows = session.Rig.Edge.Outbox.All();
        Assert.True(rows.Count(r => r.CameraId == "cam1") >= 4, $"cam1 recorded only {rows.Count(r => r.CameraId == "cam1")} segments in 60 s");
        Assert.True(rows.Count(r => r.CameraId == "cam2") >= 4, $"cam2 recorded only {rows.Count(r => r.CameraId == "cam2")} segments in 60 s");
        foreach (OutboxSegment row in rows)
        {
            Assert.Equal(EdgeState.Verified, row.State);
            Recording cloud = (await session.Rig.Backend.Catalog.GetAsync(row.Id, CancellationToken.None))!;
            Assert.Equal(CloudState.Archived, cloud.State);
            string archivePath = session.Rig.Backend.Store.DataPathOf(LocalBackend.ArchiveBucket, cloud.ArchiveObject!);
            Assert.Equal(Media.Sha256Of(row.Path), Media.Sha256Of(archivePath));
            Assert.Equal(row.Sha256, Media.Sha256Of(archivePath));
            Assert.Equal(row.Sha256, cloud.Announcement.Sha256);
        }
    }

    [Fact]
    public async Task SegmentsOfARun_AreContiguousInTime()
    {
        foreach (var run in session.Rig.Edge.Outbox.All().GroupBy(r => (r.CameraId, r.Run)))
        {
            OutboxSegment[] ordered = run.OrderBy(r => r.Sequence).ToArray();
            Assert.Equal(Enumerable.Range(0, ordered.Length).Select(i => (long)i), ordered.Select(r => r.Sequence));
            for (int i = 1; i < ordered.Length; i++)
            {
                Assert.Equal(ordered[i - 1].EndTime, ordered[i].StartTime);
            }
        }
        await Task.CompletedTask;
    }

    [Fact]
    public async Task TheUrlFromGetUrl_ReturnsThoseExactBytes_AndFfprobeReadsAVideoOfTheRightDuration()
    {
        OutboxSegment row = session.Rig.Edge.Outbox.All().Where(r => r.CameraId == "cam1").OrderBy(r => r.StartTime).Skip(1).First();
        using HttpClient api = session.Rig.ApiClient();
        using JsonDocument json = JsonDocument.Parse(await api.GetStringAsync($"/api/recordings/{row.Id}/get_url/"));
        string url = json.RootElement.GetProperty("url").GetString()!;
        double duration = json.RootElement.GetProperty("duration").GetDouble();

        using var browser = new HttpClient();
        byte[] bytes = await browser.GetByteArrayAsync(url);
        Assert.Equal(row.Sha256, Media.Sha256Of(bytes));

        string downloaded = Path.Combine(session.Rig.DataDir, "downloaded.mp4");
        await File.WriteAllBytesAsync(downloaded, bytes);
        await Media.DecodeAsync(downloaded);
        double probed = await Media.ProbeDurationAsync(downloaded);
        Assert.InRange(probed, 1.5, 2.6);
        Assert.InRange(Math.Abs(probed - duration), 0, 0.25);
    }

    [Fact]
    public async Task TheListApi_ShowsTheDemoCamerasRecordings()
    {
        using HttpClient api = session.Rig.ApiClient();
        using HttpResponseMessage response = await api.GetAsync("/api/recordings/?camera_id=cam2&page_size=500");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using JsonDocument json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var items = json.RootElement.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(session.Rig.Edge.Outbox.All().Count(r => r.CameraId == "cam2"), items.Count);
        Assert.All(items, i => Assert.Equal("archived", i.GetProperty("state").GetString()));
        Assert.Equal(items.Select(i => i.GetProperty("start_time").GetString()).OrderDescending(StringComparer.Ordinal), items.Select(i => i.GetProperty("start_time").GetString()));
    }
}
