using Cctv.EdgeRecorder.Configuration;
using Cctv.EdgeRecorder.Pipeline;
using Microsoft.Extensions.Logging;

namespace Cctv.EdgeRecorder.Commands;

/// <summary>
/// The <c>run</c> command: recover, then record and upload until a stop signal; then stop in order (FFmpeg closes its
/// segments, they are sealed, uploads get <see cref="RecorderOptions.StopGrace"/>) and exit 0, so that the next start has
/// nothing to recover; 1 when the last seal failed (its error is logged, and the next start seals what is left).
/// </summary>
public static class AgentRunner
{
    public static async Task<int> RunAsync(RecorderOptions options, ILoggerFactory logs, StopSignals signals, string? configFile = null)
    {
        CancellationToken stopping = signals.Stopping;
        using AgentLock instance = AgentLock.Acquire(new EdgePaths(options.DataDir));
        using EdgeBackend backend = await EdgeBackend.OpenAsync(options, TimeProvider.System, stopping);
        var context = backend.ContextFor(options, logs);
        var agent = new RecorderAgent(context);
        await agent.RecoverAsync(stopping, recordingFollows: true);
        ILogger log = logs.CreateLogger("Agent");
        if (options.Backend == "local")
        {
            log.LogInformation("Recorder {RecorderId} recording {Count} cameras into {DataDir}; serve the embedded cloud with: dotnet run --project functions -- --data-dir {DataDir}",
                options.Id, options.Cameras.Count, options.DataDir, options.DataDir);
        }
        else
        {
            log.LogInformation("Recorder {RecorderId} recording {Count} cameras into {DataDir}, uploading to gs://{Bucket} at {Endpoint}",
                options.Id, options.Cameras.Count, options.DataDir, backend.StagingBucket, (backend.Store as Cctv.Shared.Gcp.Storage.GcsObjectStore)?.Endpoint);
        }
        if (!await agent.RunAsync(stopping, signals.Hurry, configFile).ConfigureAwait(false))
        {
            log.LogError("Recorder {RecorderId} stopped: every FFmpeg stopped, but not every segment is sealed (above); the next start seals them", options.Id);
            return 1;
        }
        log.LogInformation("Recorder {RecorderId} stopped: every FFmpeg stopped, every segment sealed", options.Id);
        return 0;
    }
}
