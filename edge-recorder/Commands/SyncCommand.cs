using System.CommandLine;
using Cctv.EdgeRecorder.Configuration;
using Cctv.EdgeRecorder.Outbox;
using Cctv.EdgeRecorder.Pipeline;
using Cctv.Shared.Domain;
using Microsoft.Extensions.Logging;

namespace Cctv.EdgeRecorder.Commands;

/// <summary>What a manual sync should do.</summary>
public sealed record SyncSettings(bool DryRun, int BatchSize, bool SkipMissing, bool Force, string? RecordingId);

/// <summary>
/// <c>sync</c>: the manual layer of the guarantee. Uploads what the outbox still holds, now, ignoring back-off, in
/// batches, oldest first, until nothing is left or nothing more can go; then reports what did not. A missing file
/// stops it (naming the file) unless <c>--skip-missing</c> says to record such segments as lost and go on.
/// <c>--force</c> sends segments already uploaded again, those whose file is still here (a segment in the bucket is never
/// made lost because its local copy is gone; an expired one is never sent again): create-only, so an intact object is confirmed, not replaced.
/// Safe to run beside the agent: segments are claimed in the outbox before they are uploaded.
/// </summary>
public static class SyncCommand
{
    public static Command Create()
    {
        var config = new Option<FileInfo>("--config", "The agent's JSON configuration file.") { IsRequired = true };
        var dataDir = new Option<string?>("--data-dir", "Overrides Recorder:DataDir.");
        var dryRun = new Option<bool>("--dry-run", "List what would be uploaded; change nothing.");
        var batch = new Option<int>("--batch-size", () => 50, "Segments claimed per batch (1-1000).");
        var skipMissing = new Option<bool>("--skip-missing", "Record segments whose file is gone as lost and go on, instead of stopping.");
        var force = new Option<bool>("--force", "Also send segments already uploaded (an intact object is only confirmed).");
        var id = new Option<string?>("--recording-id", "Only this recording.");
        var command = new Command("sync", "Upload everything the outbox still holds, now, and report what could not go.")
        {
            config, dataDir, dryRun, batch, skipMissing, force, id,
        };
        command.SetHandler(async context =>
        {
            context.ExitCode = await EdgeCli.Guarded(async (logs, ct) =>
            {
                var r = context.ParseResult;
                if (r.GetValueForOption(batch) is < 1 or > 1000)
                {
                    throw new ConfigurationException([$"--batch-size is {r.GetValueForOption(batch)}: use 1 to 1000."]);
                }
                string? dir = r.GetValueForOption(dataDir);
                RecorderOptions options = RecorderConfiguration.Load(r.GetValueForOption(config)!.FullName,
                    dir is null ? null : new Dictionary<string, string?> { ["Recorder:DataDir"] = dir });
                var settings = new SyncSettings(r.GetValueForOption(dryRun), r.GetValueForOption(batch), r.GetValueForOption(skipMissing),
                    r.GetValueForOption(force), r.GetValueForOption(id));
                return await RunAsync(options, settings, logs, ct);
            }, context);
        });
        return command;
    }

    public static async Task<int> RunAsync(RecorderOptions options, SyncSettings settings, ILoggerFactory logs, CancellationToken cancellationToken)
    {
        ILogger log = logs.CreateLogger("Sync");
        using EdgeBackend backend = await EdgeBackend.OpenAsync(options, TimeProvider.System, cancellationToken);
        var context = backend.ContextFor(options, logs);
        OutboxStore outbox = context.Outbox;
        if (settings.RecordingId is { } only && outbox.Get(only) is null)
        {
            await Console.Error.WriteLineAsync($"No recording {only} in the outbox at {context.Paths.Outbox}.");
            return 1;
        }

        List<OutboxSegment> Pending() => outbox.NotYetUploaded(int.MaxValue)
            .Where(s => s.State != EdgeState.Uploading && (settings.RecordingId is null || s.Id == settings.RecordingId)).ToList();

        if (settings.DryRun)
        {
            List<OutboxSegment> pending = Pending();
            if (settings.Force)
            {
                // As the forced re-queue does: only rows whose file is here (a row whose file is gone reached the bucket and stays as it is).
                pending.AddRange(outbox.ListByState(EdgeState.Uploaded, int.MaxValue).Concat(outbox.ListByState(EdgeState.Verified, int.MaxValue))
                    .Where(s => (settings.RecordingId is null || s.Id == settings.RecordingId) && File.Exists(s.Path)));
            }
            foreach (OutboxSegment s in pending)
            {
                string file = File.Exists(s.Path) ? $"{s.Size} bytes" : "FILE MISSING";
                Console.WriteLine($"would upload {s.Id} {s.CameraId} {s.StartTime:O} {s.State.ToWire()} ({file}) -> gs://{backend.StagingBucket}/{s.ObjectName}");
            }
            Console.WriteLine($"{pending.Count} segments would be uploaded (dry run: nothing was changed)");
            return 0;
        }

        await context.Claims.EnsureAsync(cancellationToken); // refused when another installation holds this recorder ID
        List<OutboxSegment> missing = Pending().Where(s => !File.Exists(s.Path)).ToList();
        if (missing.Count > 0 && !settings.SkipMissing)
        {
            await Console.Error.WriteLineAsync($"{missing.Count} segments have no local file any more, e.g. {missing[0].Path} ({missing[0].Id}). " +
                "Nothing was uploaded. Restore the files, or run again with --skip-missing to record them as lost and upload the rest.");
            return 1;
        }
        if (settings.Force)
        {
            int again = outbox.RequeueUploaded(settings.RecordingId);
            log.LogInformation("--force: {Count} segments already uploaded go again (create-only: an intact object is confirmed)", again);
        }
        // Segments on disk go too: with no agent running, sync recovers as the agent would (leftover FFmpeg stopped,
        // runs ended, every file sealed); beside a running agent it seals only what FFmpeg has closed.
        using (AgentLock? alone = AgentLock.TryAcquire(context.Paths, out _))
        {
            if (alone is not null)
            {
                await new RecorderAgent(context).RecoverAsync(cancellationToken);
            }
            else
            {
                await context.CreateSealer().SealAsync(cancellationToken);
            }
        }
        outbox.MakeDueNow(settings.RecordingId);

        var uploader = context.CreateUploader();
        int total = Pending().Count, uploaded = 0;
        await CommandProgress.RunAsync("uploaded", total, async report =>
        {
            while (true)
            {
                int sent = await uploader.UploadDueAsync(cancellationToken, settings.BatchSize, settings.RecordingId);
                uploaded += sent;
                report(uploaded);
                // Failed ones were given a back-off; a manual sync tries each once more, then reports.
                if (sent == 0)
                {
                    break;
                }
                outbox.MakeDueNow(settings.RecordingId);
            }
        });

        // The evidence chain goes up with the footage: the agent signs and uploads it as it runs; a sync signs what is
        // due and sends every manifest still waiting (with auto-upload off the agent signs and keeps them).
        int manifests = await context.CreateManifestPublisher().PublishAsync(upload: true, cancellationToken);

        List<OutboxSegment> left = Pending();
        var lost = outbox.ListByState(EdgeState.Lost, int.MaxValue).Where(s => settings.RecordingId is null || s.Id == settings.RecordingId).ToList();
        Console.WriteLine($"sync: {uploaded} uploaded, {left.Count} still pending, {lost.Count} lost in all; {manifests} evidence manifests uploaded");
        foreach (OutboxSegment s in left.Take(20))
        {
            Console.WriteLine($"  pending {s.Id} {s.CameraId} {s.StartTime:O}: {s.LastError ?? "not tried yet"}");
        }
        return left.Count == 0 ? 0 : 1;
    }
}
