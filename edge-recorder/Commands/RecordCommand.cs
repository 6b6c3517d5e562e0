using System.CommandLine;
using Cctv.EdgeRecorder.Cameras;
using Cctv.EdgeRecorder.Configuration;
using Cctv.EdgeRecorder.Outbox;
using Cctv.EdgeRecorder.Pipeline;
using Cctv.Shared.Domain;
using Cctv.Shared.Local;
using Cctv.Shared.Ports;
using Microsoft.Extensions.Logging;

namespace Cctv.EdgeRecorder.Commands;

/// <summary>What an on-demand recording produced.</summary>
public sealed record RecordResult(OnDemandRecording Request, IReadOnlyList<OutboxSegment> Segments, bool Complete);

/// <summary>
/// <c>record --camera ID --duration 5m</c> (the seed's <c>auto_record_5min</c>): records one camera now, for a
/// duration, through the same path as every segment (sealed, uploaded, verified). With the agent running it asks the
/// agent (an on-demand request it picks up within a second); with none running it records itself. It prints the
/// request's ID and, once each segment is archived, its ID and a link.
/// </summary>
public static class RecordCommand
{
    public static Command Create()
    {
        var config = new Option<FileInfo>("--config", "The agent's JSON configuration file.") { IsRequired = true };
        var camera = new Option<string>("--camera", "The camera to record.") { IsRequired = true };
        var duration = new Option<string>("--duration", () => "5m", "How long: 30s, 5m, 1h.");
        var wait = new Option<string>("--wait", () => "10m", "How long to wait after the recording for it to be archived.");
        var baseUrl = new Option<string>("--base-url", () => "http://127.0.0.1:8080", "Embedded backend: where the functions host serves the links.");
        var command = new Command("record", "Record one camera now for a duration, and print the recording once it is archived.") { config, camera, duration, wait, baseUrl };
        command.SetHandler(async context =>
        {
            context.ExitCode = await EdgeCli.GuardedWithSignals(async (logs, signals) =>
            {
                CancellationToken ct = signals.Stopping;
                var r = context.ParseResult;
                var problems = new List<string>();
                if (!DurationText.TryParse(r.GetValueForOption(duration)!, out TimeSpan length) || length <= TimeSpan.Zero || length > TimeSpan.FromDays(1))
                {
                    problems.Add($"--duration '{r.GetValueForOption(duration)}' is not a duration from 1s to 24h: use e.g. 30s, 5m or 1h.");
                }
                if (!DurationText.TryParse(r.GetValueForOption(wait)!, out TimeSpan waitFor))
                {
                    problems.Add($"--wait '{r.GetValueForOption(wait)}' is not a duration: use e.g. 10m.");
                }
                if (!Uri.TryCreate(r.GetValueForOption(baseUrl), UriKind.Absolute, out Uri? linkBase))
                {
                    problems.Add($"--base-url '{r.GetValueForOption(baseUrl)}' is not an absolute URL.");
                }
                RecorderOptions options = RecorderConfiguration.Load(r.GetValueForOption(config)!.FullName);
                string cameraId = r.GetValueForOption(camera)!;
                if (options.Cameras.All(c => c.Id != cameraId))
                {
                    problems.Add($"--camera '{cameraId}' is not in the configuration (cameras: {string.Join(", ", options.Cameras.Select(c => c.Id))}).");
                }
                if (problems.Count > 0)
                {
                    throw new ConfigurationException(problems);
                }

                using EdgeBackend backend = await EdgeBackend.OpenAsync(options, TimeProvider.System, ct);
                var edge = backend.ContextFor(options, logs);
                RecordResult result = await RunAsync(edge, cameraId, length, waitFor, ct, signals.Hurry);
                await PrintAsync(result, edge, options, linkBase!, ct);
                return result.Complete && result.Segments.Count > 0 ? 0 : 1;
            }, context);
        });
        return command;
    }

    /// <summary>Asks for the recording (or makes it, with no agent running) and waits until it is verified or the wait is over.</summary>
    /// <param name="cancellationToken">A stop: recording here ends as the agent's does (FFmpeg closes its segment, it is sealed, uploads get their grace).</param>
    /// <param name="endGrace">Ends that upload grace at once.</param>
    public static async Task<RecordResult> RunAsync(EdgeContext context, string cameraId, TimeSpan duration, TimeSpan wait, CancellationToken cancellationToken,
        CancellationToken endGrace = default)
    {
        ILogger log = context.Logs.CreateLogger("Record");
        await context.Claims.EnsureAsync(cancellationToken); // refused when another installation holds this recorder ID
        var requests = new OnDemandRequests(context.Paths.DataDir);
        OnDemandRecording request = requests.Add(cameraId, context.Time.GetUtcNow(), duration);
        Console.WriteLine($"recording {request.Id}: {cameraId} from {request.Start:O} for {duration}");

        using (AgentLock? alone = AgentLock.TryAcquire(context.Paths, out string? holder))
        {
            if (alone is null)
            {
                log.LogInformation("The agent (pid {Pid}) records it", holder);
                await Task.Delay(duration, context.Time, cancellationToken);
            }
            else
            {
                // No agent: record this camera here, following the same schedule book (only the request makes it record).
                foreach (CameraOptions c in context.Options.Cameras.Where(c => c.Id != cameraId).ToList())
                {
                    context.Options.Cameras.Remove(c);
                }
                context.Options.Cameras.Single().Schedule = new ScheduleOptions { Mode = CameraSchedule.Off };
                context.Schedules.Replace(context.Options);
                context.Schedules.SetOnDemand([request]);
                var agent = new RecorderAgent(context);
                await agent.RecoverAsync(cancellationToken, recordingFollows: true);
                using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                stop.CancelAfter(duration + TimeSpan.FromSeconds(1));
                await agent.RunAsync(stop.Token, endGrace);
                await agent.DrainAsync(wait, cancellationToken);
            }
        }

        // The segments that overlap the request, once each is as far as it can get (verified, or uploaded without a catalog).
        DateTimeOffset deadline = context.Time.GetUtcNow() + wait;
        EdgeState done = context.Catalog is null ? EdgeState.Uploaded : EdgeState.Verified;
        while (true)
        {
            List<OutboxSegment> segments = context.Outbox.All()
                .Where(s => s.CameraId == cameraId && s.EndTime > request.Start && s.StartTime < request.End).OrderBy(s => s.StartTime).ToList();
            bool complete = segments.Count > 0 && segments.All(s => s.State == done || s.State == EdgeState.Evicted);
            if (complete || context.Time.GetUtcNow() >= deadline)
            {
                return new RecordResult(request, segments, complete);
            }
            await Task.Delay(TimeSpan.FromSeconds(1), context.Time, cancellationToken);
        }
    }

    private static async Task PrintAsync(RecordResult result, EdgeContext context, RecorderOptions options, Uri linkBase, CancellationToken cancellationToken)
    {
        if (result.Segments.Count == 0)
        {
            Console.WriteLine($"recording {result.Request.Id}: nothing was recorded (is the camera reachable? try: validate --config ...)");
            return;
        }
        LocalBackend? local = options.Backend == "local" ? new LocalBackend(options.LocalCloudDataDir, context.Time) : null;
        Dictionary<string, Recording> cloud = context.Catalog is null
            ? new Dictionary<string, Recording>()
            : (await context.Catalog.GetManyAsync(result.Segments.Select(s => s.Id).ToList(), cancellationToken)).ToDictionary(r => r.Id);
        foreach (OutboxSegment s in result.Segments)
        {
            string where = s.State.ToWire();
            if (cloud.TryGetValue(s.Id, out Recording? r) && r.ArchiveObject is { } archived)
            {
                where = local is not null
                    ? (await local.Signer.SignAsync(new SignedUrlRequest(LocalBackend.ArchiveBucket, archived, TimeSpan.FromMinutes(120),
                        ResponseContentType: "video/mp4", Endpoint: linkBase), cancellationToken)).AbsoluteUri
                    : $"archived as {archived}; a link: GET /api/recordings/{s.Id}/get_url/";
            }
            Console.WriteLine($"  {s.Id}  {s.StartTime:O} .. {s.EndTime:O}  {where}");
        }
        Console.WriteLine(result.Complete
            ? $"recording {result.Request.Id}: {result.Segments.Count} segments, all {(context.Catalog is null ? "uploaded" : "archived and verified")}"
            : $"recording {result.Request.Id}: not every segment was {(context.Catalog is null ? "uploaded" : "verified")} within the wait; see status" +
              (local is not null ? $" (on the embedded backend the functions host verifies: dotnet run --project functions -- --data-dir {options.DataDir})" : ""));
    }
}
