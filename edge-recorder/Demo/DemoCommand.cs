using Cctv.EdgeRecorder.Cameras;
using Cctv.EdgeRecorder.Commands;
using Cctv.EdgeRecorder.Configuration;
using Cctv.EdgeRecorder.Outbox;
using Cctv.EdgeRecorder.Pipeline;
using Cctv.Functions.Api;
using Cctv.Functions.Hosting;
using Cctv.Shared.Domain;
using Cctv.Shared.Local;
using Cctv.Shared.Ports;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace Cctv.Demo;

/// <summary>The demo's settings, from its command line.</summary>
public sealed record DemoSettings(int Cameras, int SegmentSeconds, TimeSpan Duration, string DataDir, bool Serve, int Port, TimeSpan DrainTimeout);

/// <summary>
/// The whole path on one machine: synthetic RTSP cameras, the agent recording them over the network,
/// the local functions host verifying and archiving, then a summary and a link to a recording.
/// Exits 0 only when every segment recorded (in this run and any before it in the same data directory)
/// is archived and verified.
/// </summary>
public static class DemoCommand
{
    public const string RecorderId = "demo";

    /// <summary>
    /// Runs the demo. A stop signal (see <see cref="StopSignals"/>) stops it as <c>run</c> stops: the recording ends early,
    /// FFmpeg closes its segments, they are sealed, uploads get <see cref="RecorderOptions.StopGrace"/>, the summary shows
    /// where everything is, and the cameras and the functions host stop; it exits 0 when everything was verified anyway,
    /// else 130 (the next demo in the same data directory finishes the rest). During <c>--serve</c> a signal ends it with 0.
    /// </summary>
    public static async Task<int> RunAsync(DemoSettings settings, ILoggerFactory logs, StopSignals signals)
    {
        CancellationToken cancellationToken = signals.Stopping;
        ILogger log = logs.CreateLogger("Demo");
        // Before anything starts: FFmpeg and rtsp-server-perl installed (when it may), or one line saying what to run.
        await DemoTools.ForThisProcess().EnsureAsync(cancellationToken);
        var options = new RecorderOptions
        {
            Id = RecorderId,
            DataDir = settings.DataDir,
            SegmentSeconds = settings.SegmentSeconds,
            StallTimeout = TimeSpan.FromSeconds(Math.Max(8, settings.SegmentSeconds * 2)),
            Upload = new UploadOptions { Parallelism = 2, RetryDelay = TimeSpan.FromSeconds(1) },
        };
        var paths = new EdgePaths(settings.DataDir);
        using AgentLock instance = AgentLock.Acquire(paths);
        // The synthetic cameras are not the agent's children: the agent's crash recovery must not stop them.
        var registry = new ProcessRegistry(Path.Combine(paths.DataDir, "demo", "pids"), log);
        await using var cameras = new SyntheticCameras(registry, log);
        for (int i = 1; i <= settings.Cameras; i++)
        {
            options.Cameras.Add(new CameraOptions { Id = $"cam{i}", Name = $"Synthetic camera {i}", Url = cameras.UrlOf($"cam{i}").ToString(), RtspTransport = "udp" });
        }
        RecorderConfiguration.Validate(options);

        registry.KillLeftovers();
        foreach (CameraOptions camera in options.Cameras)
        {
            await cameras.StartAsync(camera.Id, cancellationToken);
        }

        string token = Environment.GetEnvironmentVariable("CCTV_API_TOKEN") is { Length: > 0 } given ? given : ApiToken.Generate();
        await using WebApplication host = FunctionsHost.Build(new FunctionsHostSettings(settings.DataDir, token,
            Urls: [$"http://127.0.0.1:{settings.Port}"],
            MinimumLogLevel: Environment.GetEnvironmentVariable("CCTV_LOG_LEVEL") is { } level && Enum.TryParse(level, true, out LogLevel l) ? l : LogLevel.Warning));
        // The web host's console lifetime sees the same signals, but only raises its ApplicationStopping: it keeps serving
        // (verifying what is uploaded during the grace) until the demo stops it last.
        await host.StartAsync(cancellationToken);
        string baseUrl = host.Urls.First();

        var backend = new LocalBackend(settings.DataDir, TimeProvider.System);
        var context = new EdgeContext(options, backend.Store, LocalBackend.StagingBucket, backend.Catalog, TimeProvider.System, logs);
        var agent = new RecorderAgent(context);
        await agent.RecoverAsync(cancellationToken, recordingFollows: true);

        AnsiConsole.MarkupLine($"[bold]Recording {settings.Cameras} synthetic cameras for {settings.Duration}[/] in {Markup.Escape(paths.DataDir)}; functions host at {baseUrl}");
        using var recording = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        recording.CancelAfter(settings.Duration);
        await agent.RunAsync(recording.Token, signals.Hurry);
        foreach (CameraOptions camera in options.Cameras)
        {
            cameras.Stop(camera.Id);
        }

        bool drained = false;
        if (!cancellationToken.IsCancellationRequested)
        {
            AnsiConsole.MarkupLine("[bold]Recording stopped; waiting for every segment to be archived and verified…[/]");
            try
            {
                drained = await agent.DrainAsync(settings.DrainTimeout, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
            }
        }
        bool stopped = cancellationToken.IsCancellationRequested;
        if (stopped)
        {
            AnsiConsole.MarkupLine($"[bold]Stopped by {signals.Received}[/]: every camera's last segment is sealed; what is not verified yet is finished by the next demo in {Markup.Escape(paths.DataDir)}.");
        }

        // The summary reads local state only: it is shown even after a stop signal.
        string? problem = await PrintSummaryAsync(context, backend, baseUrl, token, drainTimedOut: !drained && !stopped, settings.Serve && !stopped, CancellationToken.None);
        if (settings.Serve && problem is null && !stopped)
        {
            AnsiConsole.MarkupLine($"[bold]Serving the API until Ctrl+C (or SIGTERM).[/] Player page: {baseUrl}/player/ (sign in with the API token {Markup.Escape(token)})");
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
            }
        }
        await host.StopAsync(CancellationToken.None);
        if (problem is not null)
        {
            await Console.Error.WriteLineAsync((stopped ? $"demo stopped by {signals.Received} before it finished: " : "demo failed: ") + problem);
            return stopped ? 130 : 1;
        }
        return 0;
    }

    private static async Task<string?> PrintSummaryAsync(EdgeContext context, LocalBackend backend, string baseUrl, string token, bool drainTimedOut, bool serving,
        CancellationToken cancellationToken)
    {
        IReadOnlyList<OutboxSegment> rows = context.Outbox.All();
        var cloud = (await backend.Catalog.GetManyAsync(rows.Select(r => r.Id).ToList(), cancellationToken)).ToDictionary(r => r.Id);
        var table = new Table().AddColumns("camera", "segments", "recorded", "MB", "archived", "verified", "lost", "pending");
        foreach (IGrouping<string, OutboxSegment> camera in rows.GroupBy(r => r.CameraId).OrderBy(g => g.Key))
        {
            table.AddRow(camera.Key, camera.Count().ToString(), $"{camera.Sum(s => (s.EndTime - s.StartTime).TotalSeconds):F0} s",
                $"{camera.Sum(s => s.Size) / 1048576.0:F1}",
                camera.Count(s => cloud.TryGetValue(s.Id, out Recording? r) && r.State == CloudState.Archived).ToString(),
                camera.Count(s => s.State is EdgeState.Verified or EdgeState.Evicted).ToString(),
                camera.Count(s => s.State == EdgeState.Lost).ToString(),
                camera.Count(s => s.State is not (EdgeState.Verified or EdgeState.Evicted or EdgeState.Lost)).ToString());
        }
        AnsiConsole.Write(table);

        int notVerified = rows.Count(r => r.State is not (EdgeState.Verified or EdgeState.Evicted));
        int notArchived = rows.Count(r => !cloud.TryGetValue(r.Id, out Recording? c) || c.State != CloudState.Archived);
        IReadOnlyList<(RecordingGap Gap, bool Synced)> gaps = context.Outbox.Gaps(unsyncedOnly: false, context.Options.Id);
        foreach ((RecordingGap gap, _) in gaps.Where(g => g.Gap.EndTime is { } end && end - g.Gap.StartTime > TimeSpan.FromSeconds(1)))
        {
            AnsiConsole.MarkupLine($"gap: {gap.CameraId} {RecordingItem.Iso(gap.StartTime)} – {RecordingItem.Iso(gap.EndTime!.Value)}: {Markup.Escape(gap.Reason)}");
        }

        OutboxSegment? example = rows.Where(r => r.State is EdgeState.Verified or EdgeState.Evicted).OrderByDescending(r => r.StartTime).FirstOrDefault();
        if (example is not null && cloud.TryGetValue(example.Id, out Recording? archived) && archived.ArchiveObject is not null)
        {
            Uri url = await backend.Signer.SignAsync(new SignedUrlRequest(LocalBackend.ArchiveBucket, archived.ArchiveObject, TimeSpan.FromMinutes(120),
                ResponseContentType: "video/mp4", Endpoint: new Uri(baseUrl)), cancellationToken);
            AnsiConsole.MarkupLine(serving
                ? $"A recording you can open (valid 120 minutes while the demo serves {Markup.Escape(context.Paths.DataDir)} at {baseUrl}):"
                : $"A recording (valid 120 minutes, but only while something serves {baseUrl}: the demo stops serving when it exits; add [bold]--serve[/] to keep it open until Ctrl+C):");
            Console.WriteLine(url.AbsoluteUri);
            AnsiConsole.MarkupLine($"API token: {Markup.Escape(token)}   e.g. curl -H 'Authorization: Bearer {Markup.Escape(token)}' {baseUrl}/api/recordings/{example.Id}/get_url/");
        }

        if (rows.Count == 0)
        {
            return "no segment was recorded (is FFmpeg installed, and did the synthetic cameras start?)";
        }
        if (rows.Any(r => r.State == EdgeState.Lost))
        {
            return $"{rows.Count(r => r.State == EdgeState.Lost)} segments were lost: " + string.Join("; ", rows.Where(r => r.State == EdgeState.Lost).Select(r => r.LastError).Distinct());
        }
        if (drainTimedOut || notVerified > 0 || notArchived > 0)
        {
            IEnumerable<string> stuck = rows.Where(r => r.State is not (EdgeState.Verified or EdgeState.Evicted)
                    || !cloud.TryGetValue(r.Id, out Recording? c) || c.State != CloudState.Archived)
                .Take(10)
                .Select(r => $"{r.Id} ({r.CameraId} run {r.Run} segment {r.Sequence}): edge {r.State.ToWire()} after {r.Attempts} attempts" +
                    (r.LastError is null ? "" : $", last error: {r.LastError}") +
                    (cloud.TryGetValue(r.Id, out Recording? c) ? $"; cloud {c.State.ToWire()}{(c.Reason is null ? "" : $" ({c.Reason})")}" : "; not in the catalog"));
            return $"{notVerified} of {rows.Count} segments not verified and {notArchived} not archived{(drainTimedOut ? " when the drain timed out" : "")}:\n  " + string.Join("\n  ", stuck);
        }
        AnsiConsole.MarkupLine($"[green]All {rows.Count} segments archived and verified.[/]");
        return null;
    }
}
