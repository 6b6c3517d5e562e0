using Cctv.Shared.Domain;
using Cctv.Shared.Ports;

namespace Cctv.Benchmarks.EdgeCpu;

/// <summary>
/// The cloud's side for the benchmark, in the benchmark's own process (not measured): what the finalize function does to
/// an announced recording whose staging object arrived with the announced CRC32C (staged, archived, staging copy removed),
/// once a second, over either backend's catalog and store (the embedded SQLite catalog and object store in the agent's data
/// directory; Firestore's emulator and the test GCS server). With <c>--lagging-verification</c> it is not run at all: every
/// upload waits for its verification for the whole run, the case where the issue saw the agent's CPU creep.
/// </summary>
internal static class CloudVerifier
{
    public static async Task RunAsync(ICatalog catalog, IObjectStore store, string stagingBucket, CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                foreach (Recording r in await catalog.ListByStateAsync(CloudState.Announced, 500, stopping))
                {
                    RecordingAnnouncement a = r.Announcement;
                    if (await store.GetAsync(stagingBucket, a.StagingObject, stopping) is { } staged && staged.Crc32C == a.Crc32C)
                    {
                        await catalog.MarkStagedAsync(a.Id, staged.Generation, stopping);
                        await catalog.MarkArchivedAsync(a.Id, $"archive/{a.StagingObject}", staged.Generation, stopping);
                        await store.DeleteAsync(stagingBucket, a.StagingObject, staged.Generation, stopping);
                    }
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is ObjectStoreException or Cctv.Shared.Gcp.GcpApiException or IOException or HttpRequestException or Microsoft.Data.Sqlite.SqliteException)
            {
                Console.Error.WriteLine($"  verifier: {e.Message}");
            }
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), stopping); // after a failed pass too: never a tight loop
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
