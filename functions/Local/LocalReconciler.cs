using Cctv.Functions.Finalize;
using Cctv.Shared.Domain;
using Cctv.Shared.Ports;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Cctv.Functions.Local;

/// <summary>
/// The embedded backend's reconcile on a timer: recordings announced (or being salvaged) but not archived whose staging object
/// exists (a lost event, an object staged before its announcement, a crash between two steps) are
/// processed again. Idempotent, like every handler here.
/// </summary>
public sealed class LocalReconciler(ArchiveService archive, ICatalog catalog, IObjectStore store, TimeProvider time, ILogger<LocalReconciler> log)
    : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Interval, time, stoppingToken);
                int redriven = await SweepOnceAsync(stoppingToken);
                if (redriven > 0)
                {
                    log.LogInformation("Reconcile re-drove {Count} recordings", redriven);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                log.LogError(e, "Reconcile pass failed; trying again in {Interval}", Interval);
            }
        }
    }

    public async Task<int> SweepOnceAsync(CancellationToken cancellationToken)
    {
        int count = 0;
        foreach (CloudState state in (CloudState[])[CloudState.Announced, CloudState.Staged, CloudState.Salvaging])
        {
            foreach (Recording recording in await catalog.ListByStateAsync(state, 500, cancellationToken))
            {
                if (await store.GetAsync(archive.Buckets.Staging, recording.Announcement.StagingObject, cancellationToken) is not null)
                {
                    await archive.ProcessAsync(recording.Announcement.StagingObject, cancellationToken);
                    count++;
                }
            }
        }
        return count;
    }
}
