using System.Diagnostics;
using System.Globalization;
using Cctv.EdgeRecorder.Cameras;
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
/// Real FFmpeg with the recorder's own arguments (<see cref="FfmpegArguments.ForRecording"/>, fed a 1 Mbit/s H.264 file
/// in real time) writing a segment while the live tailer uploads it into the real embedded store: the fragments reach
/// the file promptly enough that the footage confirmed in the store is never more than a few seconds old.
/// </summary>
[Trait("Category", "Slow")]
public sealed class LiveTailFfmpegTests : IDisposable
{
    private readonly TempDir _dir = new("live-ffmpeg");

    public void Dispose() => _dir.Dispose();

    private static async Task RunAsync(IReadOnlyList<string> args)
    {
        var start = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true, RedirectStandardInput = true };
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }
        using Process p = Process.Start(start)!;
        string stderr = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, $"ffmpeg failed ({p.ExitCode}): {stderr}");
    }

    [Fact]
    public async Task ASegmentFfmpegIsWriting_IsConfirmedInTheStoreWithinAFewSecondsOfCapture_AndSealingMakesOneObjectOfTheWholeFile()
    {
        string source = _dir.Combine("camera.mp4");
        await RunAsync(["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=640x360:rate=25", "-t", "9",
            "-c:v", "libx264", "-preset", "ultrafast", "-g", "50", "-b:v", "1M", "-pix_fmt", "yuv420p", source]);
        var options = new RecorderOptions { Id = "site-a", DataDir = _dir.Combine("data"), LiveTail = new LiveTailOptions { FlushInterval = TimeSpan.FromSeconds(2) } };
        options.Cameras.Add(new CameraOptions { Id = "cam1", Name = "Gate", Url = source });
        using ILoggerFactory logs = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Warning));
        var store = new QuantizedAppendStore(new LocalObjectStore(_dir.Combine("cloud"), TimeProvider.System), quantum: 1);
        var context = new EdgeContext(options, store, LocalBackend.StagingBucket, catalog: null, TimeProvider.System, logs);
        CameraRun run = context.Outbox.StartRun("cam1");
        string runDir = context.Paths.RunDirectory("cam1", run.Run);
        Directory.CreateDirectory(runDir);
        // The recorder's arguments exactly, but reading the file at its own pace as a camera sends it.
        var args = FfmpegArguments.ForRecording(options.Cameras[0], 60, runDir).ToList();
        args.Insert(args.IndexOf("-i"), "-re");

        using var stop = new CancellationTokenSource();
        Task tailing = context.CreateLiveTailer().RunAsync(stop.Token);
        Task recording = RunAsync(args);
        string id = RecordingId.For("site-a", "cam1", run.Run, 0);
        var lags = new List<double>();
        while (!recording.IsCompleted)
        {
            await Task.Delay(100);
            if (context.Outbox.GetLiveTail(id)?.ConfirmedUpTo is { } upTo)
            {
                lags.Add((DateTimeOffset.UtcNow - upTo).TotalSeconds);
            }
        }
        await recording;
        await stop.CancelAsync();
        await tailing;

        // At 1 Mbit/s and without flush_packets the file grew in 256 KiB steps (2 s apart, after 4.5 s of nothing).
        Assert.True(lags.Count > 30, $"footage was confirmed only {lags.Count} times in 9 s");
        Assert.True(lags.Max() < 3.5, $"footage confirmed in the store lagged capture by up to {lags.Max().ToString("F1", CultureInfo.InvariantCulture)} s");
        Assert.True(store.Appends.Count >= 4, $"only {store.Appends.Count} appends in 9 s");

        SegmentDigest digest = SegmentHasher.HashFile(Path.Combine(runDir, "seg_000000.mp4"), CancellationToken.None);
        OutboxSegment segment = OutboxRows.Sealed("site-a", "cam1", run.Run, 0, Path.Combine(runDir, "seg_000000.mp4"),
            DateTimeOffset.UtcNow.AddSeconds(-9), DateTimeOffset.UtcNow, digest, DateTimeOffset.UtcNow);
        Assert.True(context.Outbox.InsertSealed(segment));
        Assert.Equal(1, await context.CreateUploader().UploadDueAsync(CancellationToken.None));
        StoredObject stored = (await store.GetAsync(LocalBackend.StagingBucket, segment.ObjectName, CancellationToken.None))!;
        Assert.Equal((digest.Size, digest.Crc32CBase64, 1, 0), (stored.Size, stored.Crc32C, store.Finishes, store.Uploads));
    }
}
