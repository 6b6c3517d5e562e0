using Cctv.Shared.Domain;
using Cctv.Shared.Local;
using Cctv.Shared.Ports;

namespace Cctv.Benchmarks.EdgeCpu;

/// <summary>
/// The cloud's side for the benchmark, in the benchmark's own process (not measured): what the finalize function does to
/// an announced recording whose staging object arrived with the announced CRC32C (staged, archived, staging copy removed),
/// once a second. With <c>--lagging-verification</c> it is not run at all: every upload waits for its verification for
/// the whole run, the case where the issue saw the agent's CPU creep.
/// </summary>
internal static class CloudVerifier
{
    public static async Task RunAsync(string dataDir, CancellationToken stopping)
    {
        var backend = new LocalBackend(dataDir, TimeProvider.System);
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                foreach (Recording r in await backend.Catalog.ListByStateAsync(CloudState.Announced, 500, stopping))
                {
                    RecordingAnnouncement a = r.Announcement;
                    if (await backend.Store.GetAsync(LocalBackend.StagingBucket, a.StagingObject, stopping) is { } staged && staged.Crc32C == a.Crc32C)
                    {
                        await backend.Catalog.MarkStagedAsync(a.Id, staged.Generation, stopping);
                        await backend.Catalog.MarkArchivedAsync(a.Id, $"archive/{a.StagingObject}", staged.Generation, stopping);
                        await backend.Store.DeleteAsync(LocalBackend.StagingBucket, a.StagingObject, staged.Generation, stopping);
                    }
                }
                await Task.Delay(TimeSpan.FromSeconds(1), stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is ObjectStoreException or IOException or Microsoft.Data.Sqlite.SqliteException)
            {
                Console.Error.WriteLine($"  verifier: {e.Message}");
            }
        }
    }
}
