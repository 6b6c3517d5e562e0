using System.Diagnostics;
using Cctv.Demo;
using Cctv.EdgeRecorder.Cameras;
using Cctv.EdgeRecorder.Configuration;
using Cctv.EdgeRecorder.Outbox;
using Cctv.EdgeRecorder.Pipeline;
using Cctv.Functions.Auth;
using Cctv.Functions.Hosting;
using Cctv.Shared.Domain;
using Cctv.Shared.Local;
using Cctv.TestSupport;
using Cctv.TestSupport.Sites;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace Cctv.Player.Tests;

/// <summary>
/// Real footage of two sites behind the demo's host, laid out as <see cref="TwoSites"/> lays them out: recorder rec-a on
/// site-a and recorder rec-b on site-b, each with a camera <c>cam1</c> (both called "Camera 1", as installers type them)
/// and a camera that never answers (site A's gate, site B's dock). Both recorders are agents recording with FFmpeg at the
/// same time, each its own synthetic RTSP camera (the same pattern in a hue of its own: no two segments alike), each segment uploaded,
/// verified and archived by the functions host on a loopback port (built as the demo builds it). Each cam1 has a gap of
/// its own while the other site's cam1 records: site B's recorder stops for a while, then site A's. The operator assigns
/// the sites and grants them as the fixture does, and makes an API key for each site. The host keeps serving until
/// <see cref="StopHostAsync"/> or disposal.
/// </summary>
public sealed class FootageRig : IAsyncDisposable
{
    /// <summary>The embedded backend's operator token: sees both sites.</summary>
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

    /// <summary>Site A (site-a, rec-a: cam1 and gate); its cam1's gap is its recorder's restart, while rec-b recorded.</summary>
    public RecordedSite A { get; private set; } = null!;

    /// <summary>Site B (site-b, rec-b: cam1 and dock); its cam1's gap is its recorder's restart, while rec-a recorded.</summary>
    public RecordedSite B { get; private set; } = null!;

    public static async Task<FootageRig> RecordAsync(Action<string> log)
    {
        RequiredTool.Find("ffmpeg", "ffmpeg");
        RequiredTool.Find("ffprobe", "ffmpeg");
        RequiredTool.Find(SyntheticCameras.RtspServerExecutable, "rtsp-server-perl");
        var rig = new FootageRig();
        try
        {
            await rig.RecordBothSitesAsync(log);
            return rig;
        }
        catch
        {
            await rig.DisposeAsync();
            throw;
        }
    }

    private async Task RecordBothSitesAsync(Action<string> log)
    {
        var clock = Stopwatch.StartNew();
        ILogger cameraLog = _logs.CreateLogger("cameras");
        _cameras = new SyntheticCameras(new ProcessRegistry(Path.Combine(_dir.Path, "demo", "pids"), cameraLog), cameraLog);
        // Each site's cam1 is a camera of its own (its own picture: its recordings' bytes are its own).
        foreach (string recorder in (string[])[TwoSites.RecA, TwoSites.RecB])
        {
            await _cameras.StartAsync(SourceOf(recorder), CancellationToken.None);
        }

        _host = FunctionsHost.Build(new FunctionsHostSettings(_dir.Path, Token, Urls: ["http://127.0.0.1:0"], MinimumLogLevel: LogLevel.Warning));
        await _host.StartAsync();
        BaseUrl = new Uri(_host.Urls.First());
        Backend = new LocalBackend(_dir.Path, TimeProvider.System);
        await TwoSites.AssignSitesAndGrantAsync(Backend.Catalog);
        string keyA = (await ApiKeys.CreateAsync(Backend.Catalog, TwoSites.KeyA, TimeProvider.System, CancellationToken.None)).Key;
        string keyB = (await ApiKeys.CreateAsync(Backend.Catalog, TwoSites.KeyB, TimeProvider.System, CancellationToken.None)).Key;

        // A camera that never answers on each site (nothing listens on the discard port): listed, with no footage at all.
        EdgeContext a = Edge(TwoSites.RecA, "gate", "Gate");
        EdgeContext b = Edge(TwoSites.RecB, "dock", "Dock");
        var agentA = new RecorderAgent(a);
        await agentA.RecoverAsync(CancellationToken.None);
        var agentB = new RecorderAgent(b);
        await agentB.RecoverAsync(CancellationToken.None);

        // Each cam1 gets a gap while the other site's cam1 records, so footage of one site on the other's timeline
        // would fill that gap: site B's recorder stops first, then site A's (a restart each, as an installer's). (Not a
        // camera taken away: with another camera keeping the RTSP server up, a camera's FFmpeg found no codec parameters
        // in its stream once it came back, and recorded nothing more.)
        var stops = new List<CancellationTokenSource>();
        Task runningA = Run(agentA);
        Task runningB = Run(agentB);
        try
        {
            await WaitUntilAsync(() => Cam1(b).Count >= 3, TimeSpan.FromSeconds(90), "rec-b's cam1 to record 3 segments");
            log($"{clock.Elapsed.TotalSeconds:0} s: rec-b's cam1 recorded {Cam1(b).Count} segments; stopping rec-b");
            await stops[1].CancelAsync();
            await runningB;
            long firstRunB = Cam1(b).Max(r => r.Run);
            await Task.Delay(TimeSpan.FromSeconds(8));
            (agentB, runningB) = await RestartAsync(b);
            // 7 segments (14 s) before the gap: more than the 5 s the browser plays before it jumps.
            await WaitUntilAsync(() => Cam1(a).Count >= 7 && Cam1(b).Count(r => r.Run > firstRunB) >= 2, TimeSpan.FromSeconds(90),
                "rec-a's cam1 to record 7 segments and rec-b's to record again");
            log($"{clock.Elapsed.TotalSeconds:0} s: rec-a's cam1 recorded {Cam1(a).Count} segments, rec-b's is back; stopping rec-a");
            await stops[0].CancelAsync();
            await runningA;
            long firstRunA = Cam1(a).Max(r => r.Run);
            await Task.Delay(TimeSpan.FromSeconds(10));
            (agentA, runningA) = await RestartAsync(a);
            await WaitUntilAsync(() => Cam1(a).Count(r => r.Run > firstRunA) >= 5, TimeSpan.FromSeconds(90), "rec-a's cam1 to record again");
            log($"{clock.Elapsed.TotalSeconds:0} s: both cam1s recording again; stopping both recorders");
        }
        finally
        {
            foreach (CancellationTokenSource stop in stops)
            {
                await stop.CancelAsync();
            }
            await Task.WhenAll(runningA, runningB);
            stops.ForEach(s => s.Dispose());
        }
        Assert.True(await agentA.DrainAsync(TimeSpan.FromSeconds(90), CancellationToken.None), "rec-a's pipeline did not drain");
        Assert.True(await agentB.DrainAsync(TimeSpan.FromSeconds(90), CancellationToken.None), "rec-b's pipeline did not drain");
        A = await RecordedAsync(a, TwoSites.SiteA, "gate", "Gate", keyA);
        B = await RecordedAsync(b, TwoSites.SiteB, "dock", "Dock", keyB);
        Assert.True((A.Gap.StartTime - B.Gap.StartTime).Duration() > TimeSpan.FromSeconds(3),
            $"the two cam1s' gaps start together ({A.Gap.StartTime:HH:mm:ss.fff}, {B.Gap.StartTime:HH:mm:ss.fff}): the page could not tell them apart");
        Assert.Empty(A.Recordings.Select(r => r.Announcement.Sha256).Intersect(B.Recordings.Select(r => r.Announcement.Sha256)));
        log($"{clock.Elapsed.TotalSeconds:0} s: archived {A.Recordings.Count} recordings of {A.RecorderId} and {B.Recordings.Count} of {B.RecorderId}, no two alike; "
            + $"{A.Cam1}'s gap {A.Gap.StartTime:HH:mm:ss.fff}–{A.Gap.EndTime:HH:mm:ss.fff} ({A.Gap.Reason}), "
            + $"{B.Cam1}'s gap {B.Gap.StartTime:HH:mm:ss.fff}–{B.Gap.EndTime:HH:mm:ss.fff} ({B.Gap.Reason})");

        Task Run(RecorderAgent agent)
        {
            var stop = new CancellationTokenSource();
            stops.Add(stop);
            return agent.RunAsync(stop.Token, CancellationToken.None);
        }

        async Task<(RecorderAgent, Task)> RestartAsync(EdgeContext edge)
        {
            var agent = new RecorderAgent(edge);
            await agent.RecoverAsync(CancellationToken.None);
            log($"{clock.Elapsed.TotalSeconds:0} s: {edge.Options.Id} started again");
            return (agent, Run(agent));
        }

        EdgeContext Edge(string recorderId, string otherCamera, string otherName)
        {
            var options = new RecorderOptions
            {
                Id = recorderId,
                DataDir = Path.Combine(_dir.Path, "edge-" + recorderId),
                SegmentSeconds = SegmentSeconds,
                StallTimeout = TimeSpan.FromSeconds(8),
                HeartbeatInterval = TimeSpan.FromSeconds(2),
                Upload = new UploadOptions { Parallelism = 2, RetryDelay = TimeSpan.FromMilliseconds(200) },
            };
            options.Cameras.Add(new CameraOptions { Id = "cam1", Name = RecordedSite.Cam1Name, Url = _cameras.UrlOf(SourceOf(recorderId)).ToString(), RtspTransport = "udp" });
            options.Cameras.Add(new CameraOptions { Id = otherCamera, Name = otherName, Url = $"rtsp://127.0.0.1:9/{otherCamera}", RtspTransport = "tcp" });
            RecorderConfiguration.Validate(options);
            return new EdgeContext(options, Backend.Store, LocalBackend.StagingBucket, Backend.Catalog, TimeProvider.System, _logs);
        }
    }

    /// <summary>What a recorder archived (every segment it recorded, or the test fails) and its cam1's gap, as the catalog has them.</summary>
    private async Task<RecordedSite> RecordedAsync(EdgeContext edge, string site, string otherCamera, string otherName, string apiKey)
    {
        var recordings = new List<Recording>();
        foreach (OutboxSegment row in edge.Outbox.All())
        {
            Recording? archived = await Backend.Catalog.GetAsync(row.Id, CancellationToken.None);
            Assert.True(archived?.State == CloudState.Archived, $"{row.Id} ({edge.Options.Id}/{row.CameraId}) is {archived?.State.ToString() ?? "not in the catalog"}");
            recordings.Add(archived!);
        }
        IReadOnlyList<RecordingGap> gaps = await Backend.Catalog.ListGapsAsync(new CameraKey(edge.Options.Id, "cam1"), DateTimeOffset.UtcNow.AddHours(-1),
            DateTimeOffset.UtcNow, CancellationToken.None);
        RecordingGap gap = Assert.Single(gaps, g => g.EndTime is { } end && end - g.StartTime >= TimeSpan.FromSeconds(5));
        return new RecordedSite(site, edge.Options.Id, otherCamera, otherName, apiKey, gap, recordings);
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

    /// <summary>The synthetic camera a recorder's cam1 records.</summary>
    private static string SourceOf(string recorderId) => $"{recorderId}-cam1";

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
