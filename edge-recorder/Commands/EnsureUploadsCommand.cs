using System.CommandLine;
using Cctv.EdgeRecorder.Configuration;
using Cctv.EdgeRecorder.Outbox;
using Cctv.EdgeRecorder.Pipeline;
using Cctv.Shared.Domain;
using Cctv.Shared.Ports;
using Microsoft.Extensions.Logging;

namespace Cctv.EdgeRecorder.Commands;

/// <summary>What the safety check found.</summary>
public sealed record EnsureUploadsReport(int Checked, int Confirmed, int Verified, int Requeued, int Lost, int Unchecked);

/// <summary>
/// <c>ensure-uploads</c>: the seed's safety check (run it hourly from cron, or by hand). Trusts nothing the outbox
/// says: every segment marked uploaded is looked up, in the catalog (archived: verified) or in the bucket (present
/// with our CRC32C: confirmed). One that is in neither goes back to the outbox if its file is here, or is recorded
/// lost with the reason if not. Then everything pending is synced. <c>--force</c> sends every local file again
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
                    $"{report.Requeued} re-queued, {report.Lost} lost, {report.Unchecked} could not be checked");
                int sync = await SyncCommand.RunAsync(options, new SyncSettings(false, 50, SkipMissing: true, forced, null), logs, ct);
                return report.Unchecked == 0 && report.Lost == 0 ? sync : 1;
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
        int confirmed = 0, verified = 0, requeued = 0, lost = 0, notChecked = 0;
        foreach (OutboxSegment segment in uploaded)
        {
            if (cloud.TryGetValue(segment.Id, out Recording? recording) && recording.State == CloudState.Archived && recording.Announcement.Sha256 == segment.Sha256)
            {
                context.Outbox.MarkVerified(segment.Id);
                verified++;
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
                context.Outbox.RequeueForUpload(segment.Id, $"ensure-uploads: {why}");
                requeued++;
            }
            else
            {
                Losses.Record(context, segment, "ensure-uploads: not in the bucket, not archived, and the local file is gone", log);
                lost++;
            }
        }
        return new EnsureUploadsReport(uploaded.Count, confirmed, verified, requeued, lost, notChecked);
    }
}
