using Cctv.Demo;
using Cctv.EdgeRecorder.Cameras;
using Cctv.EdgeRecorder.Configuration;
using Cctv.EdgeRecorder.Pipeline;
using Cctv.Functions.Hosting;
using Cctv.Shared.Local;
using Cctv.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace Cctv.EndToEnd.Tests;

/// <summary>
/// Real parts, in one test process: an RTSP server with FFmpeg publishers (the cameras), the agent recording
/// them over the network with FFmpeg, and the functions host on a loopback port over the same data directory.
/// </summary>
public sealed class RecordingRig : IAsyncDisposable
{
    public const string Token = "e2e-token-0123456789";
    private readonly TempDir _dir = new("e2e");
    private readonly ILoggerFactory _logs = LoggerFactory.Create(b => b.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning));
    private WebApplication? _host;

    private RecordingRig()
    {
    }

    public string DataDir => _dir.Path;
    public SyntheticCameras Cameras { get; private set; } = null!;
    public EdgeContext Edge { get; private set; } = null!;
    public RecorderAgent Agent { get; private set; } = null!;
    public LocalBackend Backend { get; private set; } = null!;
    public Uri ApiBase { get; private set; } = null!;

    /// <param name="time">The agent's clock (the system's unless a test steps it); the functions host keeps the system's.</param>
    public static async Task<RecordingRig> StartAsync(int cameras, int segmentSeconds, TimeProvider? time = null)
    {
        RequiredTool.Find("ffmpeg", "ffmpeg");
        RequiredTool.Find("ffprobe", "ffmpeg");
        RequiredTool.Find(SyntheticCameras.RtspServerExecutable, "rtsp-server-perl");
        var rig = new RecordingRig();
        var edgePaths = new EdgePaths(rig.DataDir);
        rig.Cameras = new SyntheticCameras(new ProcessRegistry(Path.Combine(rig.DataDir, "demo", "pids"), rig._logs.CreateLogger("cameras")), rig._logs.CreateLogger("cameras"));
        var options = new RecorderOptions
        {
            Id = "e2e",
            DataDir = rig.DataDir,
            SegmentSeconds = segmentSeconds,
            StallTimeout = TimeSpan.FromSeconds(8),
            Upload = new UploadOptions { RetryDelay = TimeSpan.FromMilliseconds(200) },
        };
        for (int i = 1; i <= cameras; i++)
        {
            options.Cameras.Add(new CameraOptions { Id = $"cam{i}", Name = $"Camera {i}", Url = rig.Cameras.UrlOf($"cam{i}").ToString(), RtspTransport = "udp" });
            await rig.Cameras.StartAsync($"cam{i}", CancellationToken.None);
        }
        RecorderConfiguration.Validate(options);

        rig._host = FunctionsHost.Build(new FunctionsHostSettings(rig.DataDir, Token, Urls: ["http://127.0.0.1:0"], MinimumLogLevel: LogLevel.Warning));
        await rig._host.StartAsync();
        rig.ApiBase = new Uri(rig._host.Urls.First());
        rig.Backend = new LocalBackend(rig.DataDir, TimeProvider.System);
        rig.Edge = new EdgeContext(options, rig.Backend.Store, LocalBackend.StagingBucket, rig.Backend.Catalog, time ?? TimeProvider.System, rig._logs);
        rig.Agent = new RecorderAgent(rig.Edge);
        await rig.Agent.RecoverAsync(CancellationToken.None);
        _ = edgePaths;
        return rig;
    }

    public HttpClient ApiClient()
    {
        var client = new HttpClient { BaseAddress = ApiBase };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Token);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await Cameras.DisposeAsync();
        if (_host is not null)
        {
            await _host.StopAsync();
            await _host.DisposeAsync();
        }
        _logs.Dispose();
        _dir.Dispose();
    }
}
