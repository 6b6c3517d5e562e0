using Cctv.EdgeRecorder.Configuration;
using Cctv.EdgeRecorder.Pipeline;
using Cctv.Shared.Local;
using Microsoft.Extensions.Logging;

namespace Cctv.EdgeRecorder.Commands;

/// <summary>The <c>run</c> command: recover, then record and upload until stopped.</summary>
public static class AgentRunner
{
    public static async Task<int> RunAsync(RecorderOptions options, ILoggerFactory logs, CancellationToken stopping)
    {
        var backend = new LocalBackend(options.DataDir, TimeProvider.System);
        var context = new EdgeContext(options, backend.Store, LocalBackend.StagingBucket, backend.Catalog, TimeProvider.System, logs);
        var agent = new RecorderAgent(context);
        await agent.RecoverAsync(stopping);
        logs.CreateLogger("Agent").LogInformation("Recorder {RecorderId} recording {Count} cameras into {DataDir}; serve the embedded cloud with: dotnet run --project functions -- --data-dir {DataDir}",
            options.Id, options.Cameras.Count, options.DataDir, options.DataDir);
        await agent.RunAsync(stopping, CancellationToken.None).ConfigureAwait(false);
        return 0;
    }
}
