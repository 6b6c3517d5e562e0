using System.CommandLine;
using Cctv.EdgeRecorder.Configuration;
using Cctv.EdgeRecorder.Outbox;
using Cctv.EdgeRecorder.Pipeline;
using Cctv.Shared.Domain;
using Cctv.Shared.Ports;
using Microsoft.Extensions.Logging;

namespace Cctv.EdgeRecorder.Commands;

/// <summary>What the safety check found.</summary>
/// <param name="Unchecked">Could not be checked (the bucket did not answer), or could not be settled (not in the bucket nor archived, and no local file).</param>
public sealed record EnsureUploadsReport(int Checked, int Confirmed, int Verified, int Requeued, int Expired, int Unchecked);

/// <summary>
/// <c>ensure-uploads</c>: the seed's safety check (run it hourly from cron, or by hand). Trusts nothing the outbox
/// says: every segment marked uploaded is looked up, in the catalog (archived: verified) or in the bucket (present
/// with our CRC32C: confirmed), expired in the catalog (final: never sent again). One that is in neither goes back to
/// the outbox if its file is here; if not, it is reported and left uploaded (the bucket confirmed it once, so a missing
/// local copy never makes it lost). Then everything pending is synced. <c>--force</c> sends every local file again
/// (create-only, so intact objects are confirmed, never replaced).
/// </summary>
public static class EnsureUploadsCommand
{
    public static Command Create()
    {
        var config = new Option<FileInfo>("--config", "The agent's JSON configuration file.") { IsRequired = true };
        var force = new Option<bool>("--force", "Send every local file again (an intact object is only confirmed).");
        var command = new Command("ensure-uploads", "Check every uploaded segment against the bucket and the catalog, re-queue what is missing, then sync.") { config, force };
        command.SetHandler(async context =>
        {
            context.ExitCode = await EdgeCli.Guarded(async (logs, ct) =>
            {
                RecorderOptions options = RecorderConfiguration.Load(context.ParseResult.GetValueForOption(config)!.FullName);
                bool forced = context.ParseResult.GetValueForOption(force);
                using EdgeBackend backend = await EdgeBackend.OpenAsync(options, TimeProvider.System, ct);
                var edge = backend.ContextFor(options, logs);
                EnsureUploadsReport report = await CheckAsync(edge, ct);
                Console.WriteLine($"ensure-uploads: {report.Checked} checked, {report.Confirmed} confirmed in the bucket, {report.Verified} verified by the catalog, " +
                    $"{report.Requeued} re-queued, {report.Expired} expired (final), {report.Unchecked} could not be checked or settled");
                int sync = await SyncCommand.RunAsync(options, new SyncSettings(false, 50, SkipMissing: true, forced, null), logs, ct);
                return report.Unchecked == 0 ? sync : 1;
            }, context);
        });
        return command;
    }

    public static async Task<EnsureUploadsReport> CheckAsync(EdgeContext context, CancellationToken cancellationToken)
    {
        ILogger log = context.Logs.CreateLogger("EnsureUploads");
        await context.Claims.EnsureAsync(cancellationToken); // refused when another installation holds this recorder ID
        IReadOnlyList<OutboxSegment> uploaded = context.Outbox.ListByState(EdgeState.Uploaded, int.MaxValue);
        var cloud = context.Catalog is null
            ? new Dictionary<string, Recording>()
            : (await context.Catalog.GetManyAsync(uploaded.Select(s => s.Id).ToList(), cancellationToken)).ToDictionary(r => r.Id);
        int confirmed = 0, verified = 0, requeued = 0, expired = 0, notChecked = 0;
        foreach (OutboxSegment segment in uploaded)
        {
            cloud.TryGetValue(segment.Id, out Recording? recording);
            if (recording is { State: CloudState.Archived } && recording.Announcement.Sha256 == segment.Sha256)
            {
                context.Outbox.MarkVerified(segment.Id);
                verified++;
                continue;
            }
            if (recording is { State: CloudState.Expired })
            {
                // Retention deleted it from the archive: final, never uploaded again.
                context.Outbox.MarkExpired(segment.Id, $"the catalog says expired: {recording.Reason}");
                expired++;
                continue;
            }
            StoredObject? stored;
            try
            {
                stored = await context.Store.GetAsync(context.StagingBucket, segment.ObjectName, cancellationToken);
            }
            catch (ObjectStoreException e)
            {
                log.LogWarning("Could not check {RecordingId} in the bucket: {Error}", segment.Id, e.Message);
                notChecked++;
                continue;
            }
            if (stored is not null && stored.Crc32C == segment.Crc32C && stored.Size == segment.Size)
            {
                confirmed++;
            }
            else if (File.Exists(segment.Path))
            {
                string why = stored is null ? "not in the bucket" : $"the bucket holds other bytes (CRC32C {stored.Crc32C})";
                log.LogWarning("{RecordingId} was marked uploaded but is {Why}: uploading it again", segment.Id, why);
                if (context.Outbox.RequeueForUpload(segment.Id, EdgeState.Uploaded, $"ensure-uploads: {why}"))
                {
                    requeued++;
                }
            }
            else
            {
                // The bucket confirmed this object once (the row is uploaded): a missing local copy does not make it lost.
                // It may be staged, being archived, or expired; the catalog decides, and an operator is told.
                log.LogWarning("{RecordingId} was confirmed in the bucket, is not there now, is not archived ({State}), and its local file is gone; left uploaded for the catalog to settle",
                    segment.Id, recording?.State.ToWire() ?? "not in the catalog");
                notChecked++;
            }
        }
        return new EnsureUploadsReport(uploaded.Count, confirmed, verified, requeued, expired, notChecked);
    }
}
