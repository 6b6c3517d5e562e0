using Cctv.Functions.Hosting;
using Cctv.Functions.Retry;
using Cctv.Shared.CloudEvents;
using CloudNative.CloudEvents;
using Cctv.Shared.Domain;
using Microsoft.Extensions.Logging;

namespace Cctv.Functions.Finalize;

/// <summary>
/// google.cloud.storage.object.v1.finalized on the staging bucket: verify the object against the announcement,
/// archive it, update the catalog. Events for other buckets, and for names that are not the staging object a recording
/// was announced with (<see cref="StagingName"/>; <see cref="ArchiveOutcome.NotTheStagingObject"/>), are refused for
/// good (<see cref="BadEventException"/>: 400 and a dead letter), never retried. When processing fails and a retry queue is
/// configured (the Pub/Sub retry topic on GCP), the object is handed to it and the event is acknowledged; if even
/// that fails, the failure goes back to the host, which answers 503 so the event itself is redelivered.
/// </summary>
public sealed class StagingObjectFinalizedFunction(ArchiveService archive, ILogger<StagingObjectFinalizedFunction> log, TimeProvider time,
    IRetryQueue? retry = null, ManifestVerifier? manifests = null) : ICloudEventFunction<StorageObjectData>
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
        if (manifests is not null && ManifestVerifier.Parse(data.Name) is not null)
        {
            // An evidence manifest beside the segments: kept in the archive and checked; a break goes to the catalog, not back as an error.
            ManifestCheck? check = await manifests.VerifyAsync(data.Name, cancellationToken);
            log.LogInformation("Event {EventId} for manifest gs://{Bucket}/{Object}: {Breaks} break(s)", cloudEvent.Id, data.Bucket, data.Name, check?.Breaks.Count);
            return;
        }
        if (StagingName.RecordingIdOf(data.Name, out string? malformed) is null)
        {
            throw new BadEventException(malformed!);
        }
        ArchiveOutcome outcome;
        try
        {
            outcome = await archive.ProcessAsync(data.Name, cancellationToken);
        }
        catch (Exception e) when (retry is not null && e is not OperationCanceledException)
        {
            long? generation = long.TryParse(data.Generation, System.Globalization.CultureInfo.InvariantCulture, out long g) ? g : null;
            var message = new RetryMessage(data.Bucket, data.Name, generation, ObjectNames.RecordingIdOf(data.Name), e.Message, "finalize", time.GetUtcNow());
            string messageId = await retry.EnqueueAsync(message, cancellationToken);
            log.LogWarning("Event {EventId} for gs://{Bucket}/{Object} (generation {Generation}) failed ({Error}); handed to the retry topic as message {MessageId}",
                cloudEvent.Id, data.Bucket, data.Name, data.Generation, e.Message, messageId);
            return;
        }
        if (outcome == ArchiveOutcome.NotTheStagingObject)
        {
            throw new BadEventException($"'{data.Name}' is not the staging object its recording was announced with");
        }
        log.LogInformation("Event {EventId} for gs://{Bucket}/{Object} (generation {Generation}): {Outcome}",
            cloudEvent.Id, data.Bucket, data.Name, data.Generation, outcome);
    }
}
