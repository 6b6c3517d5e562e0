using System.Diagnostics;
using Cctv.EdgeRecorder.Cameras;
using Cctv.EdgeRecorder.Configuration;
using Cctv.EdgeRecorder.Demo;
using Cctv.EdgeRecorder.Outbox;
using Cctv.EdgeRecorder.Pipeline;
using Cctv.Functions.Hosting;
using Cctv.Shared.Domain;
using Cctv.Shared.Local;
using Cctv.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace Cctv.Player.Tests;

/// <summary>
/// Real footage behind the demo's host: the demo's synthetic RTSP cameras recorded by the agent with FFmpeg, each
/// segment uploaded, verified and archived by the functions host on a loopback port (built as the demo builds it),
/// with a gap in cam1's footage made by taking its camera away for a few seconds, and a cam2 that never answers. The
/// host keeps serving until
/// <see cref="StopHostAsync"/> or disposal.
/// </summary>
public sealed class FootageRig : IAsyncDisposable
{
    public const string Token = "player-e2e-token-0123456789";
    public const int SegmentSeconds = 2;

    private readonly TempDir _dir = new("player-e2e");
    private readonly ILoggerFactory _logs = LoggerFactory.Create(b => b.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning));
    private SyntheticCameras? _cameras;
    private WebApplication? _host;

    private FootageRig()
    {
    }

    public Uri BaseUrl { get; private set; } = null!;
    public LocalBackend Backend { get; private set; } = null!;

    /// <summary>The gap the camera's absence left in cam1's footage, as the catalog has it.</summary>
    public RecordingGap Gap { get; private set; } = null!;

    public static async Task<FootageRig> RecordAsync(Action<string> log)
    {
        RequiredTool.Find("ffmpeg", "ffmpeg");
        RequiredTool.Find("ffprobe", "ffmpeg");
        RequiredTool.Find(SyntheticCameras.RtspServerExecutable, "rtsp-server-perl");
        var rig = new FootageRig();
        try
        {
            await rig.RecordWithAGapAsync(log);
            return rig;
        }
        catch
        {
            await rig.DisposeAsync();
            throw;
        }
    }

    private async Task RecordWithAGapAsync(Action<string> log)
    {
        var clock = Stopwatch.StartNew();
        ILogger cameraLog = _logs.CreateLogger("cameras");
        _cameras = new SyntheticCameras(new ProcessRegistry(Path.Combine(_dir.Path, "demo", "pids"), cameraLog), cameraLog);
        var options = new RecorderOptions
        {
            Id = DemoCommand.RecorderId,
            DataDir = _dir.Path,
            SegmentSeconds = SegmentSeconds,
            StallTimeout = TimeSpan.FromSeconds(8),
            HeartbeatInterval = TimeSpan.FromSeconds(2),
            Upload = new UploadOptions { Parallelism = 2, RetryDelay = TimeSpan.FromMilliseconds(200) },
        };
        options.Cameras.Add(new CameraOptions { Id = "cam1", Name = "Camera 1", Url = _cameras.UrlOf("cam1").ToString(), RtspTransport = "udp" });
        await _cameras.StartAsync("cam1", CancellationToken.None);
        // A camera that never answers (nothing listens on the discard port): listed, with no footage at all. (Not a
        // second synthetic camera: with another camera keeping the RTSP server up, cam1's FFmpeg found no codec
        // parameters in its stream once it came back, and recorded nothing more.)
        options.Cameras.Add(new CameraOptions { Id = "cam2", Name = "Camera 2", Url = "rtsp://127.0.0.1:9/cam2", RtspTransport = "tcp" });
        RecorderConfiguration.Validate(options);

        _host = FunctionsHost.Build(new FunctionsHostSettings(_dir.Path, Token, Urls: ["http://127.0.0.1:0"], MinimumLogLevel: LogLevel.Warning));
        await _host.StartAsync();
        BaseUrl = new Uri(_host.Urls.First());
        Backend = new LocalBackend(_dir.Path, TimeProvider.System);
        var edge = new EdgeContext(options, Backend.Store, LocalBackend.StagingBucket, Backend.Catalog, TimeProvider.System, _logs);
        var agent = new RecorderAgent(edge);
        await agent.RecoverAsync(CancellationToken.None);

        using var stop = new CancellationTokenSource();
        Task running = agent.RunAsync(stop.Token, CancellationToken.None);
        try
        {
            // 7 segments (14 s) before the gap: more than the 5 s the browser plays before it jumps.
            await WaitUntilAsync(() => Cam1(edge).Count >= 7, TimeSpan.FromSeconds(90), "cam1 to record 7 segments");
            log($"{clock.Elapsed.TotalSeconds:0} s: cam1 recorded {Cam1(edge).Count} segments; taking its camera away");
            _cameras.Stop("cam1");
            await Task.Delay(TimeSpan.FromSeconds(10));
            long runBefore = Cam1(edge).Max(r => r.Run);
            await _cameras.StartAsync("cam1", CancellationToken.None);
            await WaitUntilAsync(() => Cam1(edge).Count(r => r.Run > runBefore) >= 5, TimeSpan.FromSeconds(90), "cam1 to record again after its camera came back");
            log($"{clock.Elapsed.TotalSeconds:0} s: cam1 recording again; stopping the agent");
        }
        finally
        {
            await stop.CancelAsync();
            await running;
        }
        Assert.True(await agent.DrainAsync(TimeSpan.FromSeconds(90), CancellationToken.None), "the pipeline did not drain");
        foreach (OutboxSegment row in edge.Outbox.All())
        {
            Recording? archived = await Backend.Catalog.GetAsync(row.Id, CancellationToken.None);
            Assert.True(archived?.State == CloudState.Archived, $"{row.Id} ({row.CameraId}) is {archived?.State.ToString() ?? "not in the catalog"}");
        }
        IReadOnlyList<RecordingGap> gaps = await Backend.Catalog.ListGapsAsync(new CameraKey(DemoCommand.RecorderId, "cam1"), DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow, CancellationToken.None);
        Gap = Assert.Single(gaps, g => g.EndTime is { } end && end - g.StartTime >= TimeSpan.FromSeconds(5));
        log($"{clock.Elapsed.TotalSeconds:0} s: {edge.Outbox.All().Count} segments archived; cam1's gap {Gap.StartTime:HH:mm:ss.fff}–{Gap.EndTime:HH:mm:ss.fff}: {Gap.Reason}");
    }

    /// <summary>Stops the functions host: the page's backend is then unreachable.</summary>
    public async Task StopHostAsync()
    {
        if (_host is not null)
        {
            await _host.StopAsync();
            await _host.DisposeAsync();
            _host = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_cameras is not null)
        {
            await _cameras.DisposeAsync();
        }
        await StopHostAsync();
        _logs.Dispose();
        _dir.Dispose();
    }

    private static List<OutboxSegment> Cam1(EdgeContext edge) => [.. edge.Outbox.All().Where(r => r.CameraId == "cam1")];

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out after {timeout} waiting for {what}");
            }
            await Task.Delay(200);
        }
    }
}
