using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Cctv.EdgeRecorder.Cameras;
using Cctv.EdgeRecorder.Configuration;
using Cctv.Functions.Hosting;
using Cctv.Shared.Domain;
using Cctv.Shared.Hashing;
using Cctv.Shared.Local;
using Cctv.Shared.Ports;
using Cctv.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace Cctv.EndToEnd.Tests;

/// <summary>
/// An HLS playlist over more than ten minutes of one camera, played end to end by FFmpeg over HTTP.
/// <para>
/// How the footage is made, faster than real time: the synthetic camera's source (FFmpeg's testsrc2 pattern, encoded
/// as SyntheticCameras encodes it: H.264, 15 fps, a keyframe a second) is rendered to a file, and the edge's own
/// recording command (<see cref="FfmpegArguments.ForRecording"/>: stream copy into 4-second fragmented-MP4 segments
/// with a CSV segment list) records that file instead of an RTSP stream, so it runs at disk speed. The source is
/// stopped once: two runs, 5 minutes and 5 minutes 20 seconds, with the camera gone for one minute between them. The
/// test places the runs on the clock (what the sealer does from file times in real time), records the gap with the
/// reason the edge gives a lost stream, and announces and uploads each segment as the edge does; the functions host
/// archives them through its own finalize path. Then FFmpeg reads the playlist from the API with a bearer token,
/// follows every playback link's redirect to its signed storage URL, and copies the whole range into one file.
/// </para>
/// </summary>
public sealed class HlsPlaybackTests
{
    private const string Token = "hls-e2e-token-0123456789";
    private const int SegmentSeconds = 4;
    private static readonly TimeSpan Gap = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task APlaylistOverTenMinutesWithAStoppedSource_IsCopiedEndToEndByFfmpeg_WithTheFootagesDuration_AndOneDiscontinuityAtTheGap()
    {
        string ffmpeg = RequiredTool.Find("ffmpeg", "ffmpeg");
        RequiredTool.Find("ffprobe", "ffmpeg");
        using var dir = new TempDir("hls-e2e");
        await using WebApplication host = FunctionsHost.Build(new FunctionsHostSettings(dir.Path, Token, Urls: ["http://127.0.0.1:0"], MinimumLogLevel: LogLevel.Warning));
        await host.StartAsync();
        var api = new Uri(host.Urls.First());
        var backend = new LocalBackend(dir.Path, TimeProvider.System);
        // The camera as its recorder registers it at start; the API names it by its key.
        await backend.Catalog.UpsertCameraAsync(new CameraInfo("cam1", "cam1", "hls"), CancellationToken.None);

        // Two runs of the camera on the clock, ending a few minutes ago, one minute apart.
        DateTimeOffset now = DateTimeOffset.UtcNow;
        DateTimeOffset start = new DateTimeOffset(now.Ticks - now.Ticks % TimeSpan.TicksPerSecond, TimeSpan.Zero).AddMinutes(-20);
        var segments = new List<RecordingAnnouncement>();
        segments.AddRange(await RecordRunAsync(ffmpeg, dir, backend, run: 1, seconds: 300, anchor: start));
        DateTimeOffset stopped = segments[^1].EndTime;
        DateTimeOffset restarted = stopped + Gap;
        await backend.Catalog.RecordGapAsync(new RecordingGap("gap-cam1-1", "hls", "cam1", stopped, restarted,
            "camera stream lost: the source stopped sending (Connection timed out)"), CancellationToken.None);
        segments.AddRange(await RecordRunAsync(ffmpeg, dir, backend, run: 2, seconds: 320, anchor: restarted));
        await WaitUntilArchivedAsync(backend.Catalog, segments);

        DateTimeOffset to = segments[^1].EndTime;
        Assert.True(to - start >= TimeSpan.FromMinutes(10), $"the range is {(to - start).TotalMinutes:F1} minutes");
        string query = $"from={Uri.EscapeDataString(Iso(start))}&to={Uri.EscapeDataString(Iso(to))}";
        var playlistUrl = new Uri(api, $"/api/cameras/hls~cam1/playlist.m3u8?{query}");
        using var client = new HttpClient { BaseAddress = api };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Token);
        string[] playlist = (await client.GetStringAsync(playlistUrl)).Split('\n');

        // The playlist: every segment once, in order, and one discontinuity, right where the source came back.
        string[] uris = [.. playlist.Where(l => l.StartsWith("/playback/", StringComparison.Ordinal))];
        Assert.Equal(segments.Select(s => s.Id), uris.Select(u => u["/playback/".Length..u.IndexOf(".mp4", StringComparison.Ordinal)]));
        int discontinuity = Array.IndexOf(playlist, "#EXT-X-DISCONTINUITY");
        Assert.Single(playlist, l => l == "#EXT-X-DISCONTINUITY");
        Assert.Equal($"#EXT-X-PROGRAM-DATE-TIME:{Iso(restarted)}", playlist[discontinuity + 1]);
        Assert.StartsWith($"# gap {Iso(stopped)} to {Iso(restarted)}: camera_offline (camera stream lost", playlist[discontinuity - 1], StringComparison.Ordinal);
        double listed = playlist.Where(l => l.StartsWith("#EXTINF:", StringComparison.Ordinal))
            .Sum(l => double.Parse(l["#EXTINF:".Length..].TrimEnd(','), CultureInfo.InvariantCulture));
        Assert.Equal(620, listed, 0.5);

        // FFmpeg reads it all over HTTP (playlist with the token, links through their redirects) and copies it.
        string output = Path.Combine(dir.Path, "range.mp4");
        (int exit, string log) = await RunAsync(ffmpeg, "-hide_banner", "-nostdin", "-y", "-headers", $"Authorization: Bearer {Token}\r\n",
            "-i", playlistUrl.AbsoluteUri, "-c", "copy", output);
        Assert.True(exit == 0, log);
        Assert.Equal(segments.Count, log.Split('\n').Count(l => l.Contains("Opening '" + api.AbsoluteUri.TrimEnd('/') + "/playback/", StringComparison.Ordinal)));
        double copied = await Media.ProbeDurationAsync(output);
        Assert.True(Math.Abs(copied - listed) < 1.0, $"FFmpeg copied {copied:F2} s of the {listed:F2} s the playlist lists");
        await Media.DecodeAsync(output);

        // The timeline says what the playlist skips, and why.
        using JsonDocument timeline = JsonDocument.Parse(await client.GetStringAsync($"/api/cameras/hls~cam1/timeline/?{query}"));
        JsonElement gap = Assert.Single(timeline.RootElement.GetProperty("entries").EnumerateArray(), e => e.GetProperty("type").GetString() == "gap");
        Assert.Equal(("camera_offline", 60.0), (gap.GetProperty("reason").GetString(), gap.GetProperty("duration").GetDouble()));
        await host.StopAsync();
    }

    /// <summary>
    /// Renders <paramref name="seconds"/> of the synthetic camera's picture to a file, records it with the edge's own
    /// segmenting command, and announces and uploads every segment it wrote, timed from <paramref name="anchor"/> by
    /// the segment list, as the sealer times them.
    /// </summary>
    private static async Task<List<RecordingAnnouncement>> RecordRunAsync(string ffmpeg, TempDir dir, LocalBackend backend, long run, int seconds, DateTimeOffset anchor)
    {
        string source = Path.Combine(dir.Path, $"source-{run}.mp4");
        (int exit, string log) = await RunAsync(ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", $"testsrc2=size=320x240:rate=15:duration={seconds}",
            "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "15", "-pix_fmt", "yuv420p", "-y", source);
        Assert.True(exit == 0, log);
        string runDir = Path.Combine(dir.Path, "spool", $"run-{run}");
        Directory.CreateDirectory(runDir);
        var camera = new CameraOptions { Id = "cam1", Name = "Camera 1", Url = new Uri(source).AbsoluteUri };
        (exit, log) = await RunAsync(ffmpeg, [.. FfmpegArguments.ForRecording(camera, SegmentSeconds, runDir)]);
        Assert.True(exit == 0, log);

        var announced = new List<RecordingAnnouncement>();
        foreach (SegmentListEntry entry in SegmentList.Read(runDir))
        {
            string path = Path.Combine(runDir, entry.FileName);
            SegmentDigest digest = SegmentHasher.HashFile(path, CancellationToken.None);
            string id = RecordingId.For("hls", "cam1", run, entry.Sequence);
            var a = new RecordingAnnouncement(id, "hls", "cam1", "Camera 1", run, entry.Sequence,
                anchor.AddMilliseconds(Math.Round(entry.Start * 1000)), anchor.AddMilliseconds(Math.Round(entry.End * 1000)),
                digest.Size, digest.Sha256, digest.Crc32CBase64, digest.Md5, "video/mp4", ObjectNames.Staging("hls", "cam1", id));
            await backend.Catalog.AnnounceAsync(a, CancellationToken.None);
            await using FileStream bytes = File.OpenRead(path);
            await backend.Store.UploadAsync(new UploadRequest(LocalBackend.StagingBucket, a.StagingObject, "video/mp4", digest.Crc32CBase64, digest.Md5, 0,
                new Dictionary<string, string> { ["sha256"] = digest.Sha256 }), bytes, CancellationToken.None);
            announced.Add(a);
        }
        Assert.Equal(seconds / SegmentSeconds, announced.Count);
        return announced;
    }

    private static async Task WaitUntilArchivedAsync(SqliteCatalog catalog, List<RecordingAnnouncement> segments)
    {
        DateTime deadline = DateTime.UtcNow.AddMinutes(3);
        while (true)
        {
            IReadOnlyList<Recording> found = await catalog.GetManyAsync([.. segments.Select(s => s.Id)], CancellationToken.None);
            int archived = found.Count(r => r.State == CloudState.Archived);
            if (archived == segments.Count)
            {
                return;
            }
            Assert.True(DateTime.UtcNow < deadline, $"{archived} of {segments.Count} segments archived after 3 minutes");
            await Task.Delay(250);
        }
    }

    private static async Task<(int Exit, string Log)> RunAsync(string executable, params string[] args)
    {
        var start = new ProcessStartInfo(executable) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }
        using Process p = Process.Start(start)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        string stderr = await p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await p.WaitForExitAsync(timeout.Token);
        return (p.ExitCode, await stdout + stderr);
    }

    private static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
