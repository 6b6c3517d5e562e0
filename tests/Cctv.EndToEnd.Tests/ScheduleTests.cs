using System.Globalization;
using System.Text.Json;
using Cctv.Demo;
using Cctv.EdgeRecorder.Cameras;
using Cctv.EdgeRecorder.Configuration;
using Cctv.EdgeRecorder.Outbox;
using Cctv.EdgeRecorder.Pipeline;
using Cctv.Shared.Local;
using Cctv.TestSupport;
using Microsoft.Extensions.Logging;

namespace Cctv.EndToEnd.Tests;

/// <summary>Schedules with real parts: a synthetic RTSP camera, FFmpeg, the agent, and a configuration file edited while it records.</summary>
[Trait("Category", "Slow")]
public sealed class ScheduleTests : IAsyncLifetime, IDisposable
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
    private readonly TempDir _dir = new("schedule");
    private readonly ILoggerFactory _logs = LoggerFactory.Create(b => b.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning));
    private SyntheticCameras _cameras = null!;

    public async Task InitializeAsync()
    {
        RequiredTool.Find("ffmpeg", "ffmpeg");
        RequiredTool.Find(SyntheticCameras.RtspServerExecutable, "rtsp-server-perl");
        _cameras = new SyntheticCameras(new ProcessRegistry(_dir.Combine("cameras"), _logs.CreateLogger("cameras")), _logs.CreateLogger("cameras"));
        await _cameras.StartAsync("cam1", CancellationToken.None);
    }

    public async Task DisposeAsync() => await _cameras.DisposeAsync();

    public void Dispose()
    {
        _logs.Dispose();
        _dir.Dispose();
    }

    private string WriteConfig(object schedule)
    {
        var config = new
        {
            Recorder = new
            {
                Id = "site",
                DataDir = _dir.Combine("data"),
                SegmentSeconds = 2,
                StallTimeout = "00:00:08",
                TimeZone = "Europe/Paris",
                Cameras = new[] { new { Id = "cam1", Name = "Gate", Url = _cameras.UrlOf("cam1").ToString(), RtspTransport = "udp", Schedule = schedule } },
            },
        };
        string path = _dir.Combine("agent.json");
        File.WriteAllText(path + ".tmp", JsonSerializer.Serialize(config, Indented));
        File.Move(path + ".tmp", path, overwrite: true);
        return path;
    }

    private (EdgeContext Edge, RecorderAgent Agent) Agent(string config)
    {
        RecorderOptions options = RecorderConfiguration.Load(config, environment: new Dictionary<string, string?>());
        var backend = new LocalBackend(options.DataDir, TimeProvider.System);
        var edge = new EdgeContext(options, backend.Store, LocalBackend.StagingBucket, backend.Catalog, TimeProvider.System, _logs);
        return (edge, new RecorderAgent(edge));
    }

    [Fact]
    public async Task AOneTimeRecording_RecordsOnlyInsideItsWindow_AndTheRunEndsWithTheScheduleAsItsReason()
    {
        DateTimeOffset start = DateTimeOffset.UtcNow.AddSeconds(5);
        TimeSpan length = TimeSpan.FromSeconds(8);
        string config = WriteConfig(new { Mode = "off", OneTime = new[] { new { Start = start.ToString("O", CultureInfo.InvariantCulture), Duration = "00:00:08" } } });
        (EdgeContext edge, RecorderAgent agent) = Agent(config);
        await agent.RecoverAsync(CancellationToken.None);

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(22));
        await agent.RunAsync(stop.Token, CancellationToken.None);
        await agent.DrainAsync(TimeSpan.FromSeconds(10), CancellationToken.None);

        IReadOnlyList<OutboxSegment> rows = edge.Outbox.All();
        Assert.NotEmpty(rows);
        // FFmpeg needs a moment to connect, and its last segment closes a moment after the stop (the camera wakes at the window's
        // end; about 0.2 s here, more on a loaded machine): a second before, a second and a half after.
        Assert.All(rows, r => Assert.True(r.StartTime >= start - TimeSpan.FromSeconds(1) && r.EndTime <= start + length + TimeSpan.FromSeconds(1.5),
            $"segment {r.StartTime:O}..{r.EndTime:O} is outside the window {start:O}..{start + length:O}"));
        Assert.True(rows.Sum(r => (r.EndTime - r.StartTime).TotalSeconds) >= 4, "less than half the window was recorded");
        CameraRun run = Assert.Single(edge.Outbox.AllRuns());
        Assert.Equal(CameraSupervisor.OutsideSchedule, run.EndReason);
    }

    [Fact]
    public async Task AConfigurationChange_TakesEffectWithinSeconds_AndABrokenOne_LeavesTheLastGoodOneRecording()
    {
        string config = WriteConfig(new { Mode = "off" });
        (EdgeContext edge, RecorderAgent agent) = Agent(config);
        await agent.RecoverAsync(CancellationToken.None);
        using var stop = new CancellationTokenSource();
        Task running = agent.RunAsync(stop.Token, CancellationToken.None, config);

        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Empty(edge.Outbox.AllRuns());

        DateTimeOffset changed = DateTimeOffset.UtcNow;
        WriteConfig(new { Mode = "continuous" });
        await CameraDropTests.WaitUntilAsync(() => edge.Outbox.AllRuns().Count > 0, TimeSpan.FromSeconds(10), "recording to start after the change");
        Assert.True(edge.Outbox.AllRuns()[0].StartedAt - changed < TimeSpan.FromSeconds(5), "the change took more than 5 seconds to apply");
        await CameraDropTests.WaitUntilAsync(() => edge.Outbox.All().Count >= 2, TimeSpan.FromSeconds(20), "two segments");

        WriteConfig(new { Mode = "weekly", Windows = new[] { new { Days = "Mon-Fri", Start = "25:00", End = "06:00" } } });
        await Task.Delay(TimeSpan.FromSeconds(3));
        int before = edge.Outbox.All().Count;
        await CameraDropTests.WaitUntilAsync(() => edge.Outbox.All().Count >= before + 2, TimeSpan.FromSeconds(20), "recording to go on under the last good configuration");
        Assert.Single(edge.Outbox.AllRuns());
        Assert.Null(edge.Outbox.AllRuns()[0].EndedAt);

        await stop.CancelAsync();
        await running;
    }

    [Fact]
    public async Task Record_WithNoAgentRunning_RecordsTheCameraForTheDuration_AndReturnsItsArchivedSegments()
    {
        string config = WriteConfig(new { Mode = "off" });
        (EdgeContext edge, _) = Agent(config);
        await using Microsoft.AspNetCore.Builder.WebApplication host = Cctv.Functions.Hosting.FunctionsHost.Build(
            new Cctv.Functions.Hosting.FunctionsHostSettings(edge.Options.DataDir, "token-0123456789abcdef", Urls: ["http://127.0.0.1:0"], MinimumLogLevel: LogLevel.Warning));
        await host.StartAsync();

        Cctv.EdgeRecorder.Commands.RecordResult result = await Cctv.EdgeRecorder.Commands.RecordCommand.RunAsync(
            edge, "cam1", TimeSpan.FromSeconds(6), TimeSpan.FromSeconds(60), CancellationToken.None);

        Assert.True(result.Complete, string.Join("; ", result.Segments.Select(s => $"{s.Id} {s.State}")));
        Assert.True(result.Segments.Sum(s => (s.EndTime - s.StartTime).TotalSeconds) >= 3, "less than half the requested duration was recorded");
        Assert.All(result.Segments, s => Assert.True(s.StartTime >= result.Request.Start - TimeSpan.FromSeconds(1) && s.EndTime <= result.Request.End + TimeSpan.FromSeconds(2)));
        Assert.All(result.Segments, s => Assert.Equal(Cctv.Shared.Domain.EdgeState.Verified, s.State));
        await host.StopAsync();
    }
}
