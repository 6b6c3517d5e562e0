using Cctv.Functions.Hosting;
using Cctv.Shared.CloudEvents;
using Microsoft.Extensions.Logging;

namespace Cctv.Functions.Finalize;

/// <summary>
/// google.cloud.storage.object.v1.finalized on the staging bucket: verify the object against the
/// announcement, archive it, update the catalog. Events for other buckets are refused.
/// </summary>
public sealed class StagingObjectFinalizedFunction(ArchiveService archive, ILogger<StagingObjectFinalizedFunction> log)
    : ICloudEventFunction<StorageObjectData>
{
    public async Task HandleAsync(CloudEvent cloudEvent, StorageObjectData data, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(data.Bucket) || string.IsNullOrEmpty(data.Name))
        {
            throw new BadEventException("the event data has no bucket or object name");
        }
        if (data.Bucket != archive.Buckets.Staging)
        {
            throw new BadEventException($"bucket '{data.Bucket}' is not the staging bucket this function serves");
        }
        ArchiveOutcome outcome = await archive.ProcessAsync(data.Name, cancellationToken);
        log.LogInformation("Event {EventId} for gs://{Bucket}/{Object} (generation {Generation}): {Outcome}",
            cloudEvent.Id, data.Bucket, data.Name, data.Generation, outcome);
    }
}
