using System.CommandLine;
using Cctv.EdgeRecorder.Cameras;
using Cctv.EdgeRecorder.Configuration;
using Cctv.EdgeRecorder.Outbox;
using Cctv.EdgeRecorder.Pipeline;
using Cctv.Shared.Domain;
using Cctv.Shared.Hashing;
using Cctv.Shared.Local;
using Microsoft.Extensions.Logging;

namespace Cctv.EdgeRecorder.Commands;

/// <summary>What to import, and how.</summary>
public sealed record MigrateSettings(string Source, string CameraId, int BatchSize, bool SkipMissing, bool CleanupTmp, bool DryRun);

/// <summary>What an import did.</summary>
public sealed record MigrateReport(int Found, int Imported, int AlreadyImported, int Skipped, int TempFiles, int Uploaded, IReadOnlyList<string> Problems);

/// <summary>
/// <c>migrate</c>: brings recordings made before this agent (an older recorder's folder of MP4 files) into the same
/// path as every segment: each file is copied into the spool, fsynced, hashed and
/// sealed into the outbox under a run of its own, then uploaded in batches. Times come from the file (its
/// modification time is the end, ffprobe gives the length). Importing the same bytes twice does nothing the second
/// time. The source files are left in place: remove them once <c>status</c> shows the import verified.
/// <c>--cleanup-tmp</c> removes the <c>.tmp</c> files an interrupted recorder leaves (listed only, with --dry-run).
/// </summary>
public static class MigrateCommand
{
    public static Command Create()
    {
        var config = new Option<FileInfo>("--config", "The agent's JSON configuration file.") { IsRequired = true };
        var source = new Option<DirectoryInfo>("--source", "The folder of existing recordings (searched recursively for .mp4 files).") { IsRequired = true };
        var camera = new Option<string>("--camera", "The camera ID the recordings belong to.") { IsRequired = true };
        var batch = new Option<int>("--batch-size", () => 3, "Files imported and uploaded per batch (1-1000; the seed uses 3).");
        var skipMissing = new Option<bool>("--skip-missing", "Skip files that cannot be read (vanished, unreadable) instead of stopping.");
        var cleanupTmp = new Option<bool>("--cleanup-tmp", "Remove .tmp files (incomplete recordings) from the source folder.");
        var dryRun = new Option<bool>("--dry-run", "List what would be imported and removed; change nothing.");
        var command = new Command("migrate", "Import existing local recordings into the outbox and upload them.")
        {
            config, source, camera, batch, skipMissing, cleanupTmp, dryRun,
        };
        command.SetHandler(async context =>
        {
            context.ExitCode = await EdgeCli.Guarded(async (logs, ct) =>
            {
                var r = context.ParseResult;
                var problems = new List<string>();
                DirectoryInfo dir = r.GetValueForOption(source)!;
                if (!dir.Exists)
                {
                    problems.Add($"--source '{dir.FullName}' does not exist.");
                }
                string cameraId = r.GetValueForOption(camera)!;
                if (!Identifiers.IsValidSlug(cameraId))
                {
                    problems.Add($"--camera '{cameraId}' is not a valid camera ID: use {Identifiers.SlugRule}.");
                }
                if (r.GetValueForOption(batch) is < 1 or > 1000)
                {
                    problems.Add($"--batch-size is {r.GetValueForOption(batch)}: use 1 to 1000.");
                }
                if (problems.Count > 0)
                {
                    throw new ConfigurationException(problems);
                }
                RecorderOptions options = RecorderConfiguration.Load(r.GetValueForOption(config)!.FullName);
                var settings = new MigrateSettings(dir.FullName, cameraId, r.GetValueForOption(batch), r.GetValueForOption(skipMissing),
                    r.GetValueForOption(cleanupTmp), r.GetValueForOption(dryRun));
                using EdgeBackend backend = await EdgeBackend.OpenAsync(options, TimeProvider.System, ct);
                var edge = backend.ContextFor(options, logs);
                MigrateReport report = await RunAsync(edge, settings, ct);
                Console.WriteLine($"migrate{(settings.DryRun ? " (dry run)" : "")}: {report.Found} recordings found, {report.Imported} imported, " +
                    $"{report.AlreadyImported} imported before, {report.Skipped} skipped, {report.Uploaded} uploaded, {report.TempFiles} .tmp files " +
                    (settings.CleanupTmp && !settings.DryRun ? "removed" : "found"));
                foreach (string problem in report.Problems)
                {
                    Console.WriteLine("  " + problem);
                }
                return report.Problems.Count == 0 ? 0 : 1;
            }, context);
        });
        return command;
    }

    public static async Task<MigrateReport> RunAsync(EdgeContext context, MigrateSettings settings, CancellationToken cancellationToken)
    {
        ILogger log = context.Logs.CreateLogger("Migrate");
        var files = Directory.EnumerateFiles(settings.Source, "*.mp4", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        var temps = Directory.EnumerateFiles(settings.Source, "*.tmp", SearchOption.AllDirectories).ToList();
        var problems = new List<string>();
        if (settings.DryRun)
        {
            foreach (string f in files)
            {
                Console.WriteLine($"would import {f}");
            }
            foreach (string t in temps)
            {
                Console.WriteLine(settings.CleanupTmp ? $"would remove {t}" : $"incomplete (use --cleanup-tmp to remove): {t}");
            }
            return new MigrateReport(files.Count, 0, 0, 0, temps.Count, 0, problems);
        }
        await context.Claims.EnsureAsync(cancellationToken); // refused when another installation holds this recorder ID
        if (settings.CleanupTmp)
        {
            foreach (string t in temps)
            {
                File.Delete(t);
                log.LogInformation("Removed the incomplete recording {Path}", t);
            }
        }

        CameraRun? run = null;
        long seq = 0;
        int imported = 0, before = 0, skipped = 0, uploaded = 0;
        var uploader = context.CreateUploader();
        bool stopped = false;
        await CommandProgress.RunAsync("imported", files.Count, async report =>
        {
            foreach (string[] batch in files.Chunk(settings.BatchSize))
            {
                if (stopped)
                {
                    break;
                }
                foreach (string source in batch)
                {
                    SegmentDigest digest;
                    try
                    {
                        digest = SegmentHasher.HashFile(source, cancellationToken);
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                    {
                        if (!settings.SkipMissing)
                        {
                            problems.Add($"{source} could not be read ({e.Message}); nothing after it was imported. Use --skip-missing to go on past such files.");
                            stopped = true;
                            break;
                        }
                        log.LogWarning("Skipped {Path}: {Error}", source, e.Message);
                        skipped++;
                        continue;
                    }
                    if (context.Outbox.ImportedAs(digest.Sha256) is not null)
                    {
                        before++;
                        continue;
                    }

                    run ??= context.Outbox.StartImportRun(settings.CameraId, $"imported from {settings.Source} by migrate");
                    string runDir = context.Paths.RunDirectory(settings.CameraId, run.Run);
                    Directory.CreateDirectory(runDir);
                    string target = Path.Combine(runDir, $"seg_{seq:D6}.mp4");
                    PlaceCopy(source, target);
                    Durability.FsyncFile(target);
                    Durability.FsyncDirectory(runDir);

                    double seconds = await MediaProbe.DurationAsync(context.Options.Ffmpeg.ProbePath, target, cancellationToken) ?? 0;
                    DateTimeOffset end = new(File.GetLastWriteTimeUtc(source));
                    DateTimeOffset start = end - TimeSpan.FromSeconds(seconds);
                    OutboxSegment row = OutboxRows.Sealed(context.Options.Id, settings.CameraId, run.Run, seq, target, start, end, digest, context.Time.GetUtcNow());
                    if (context.Outbox.InsertImported(row, source))
                    {
                        imported++;
                        seq++;
                    }
                    else
                    {
                        File.Delete(target);
                        before++;
                    }
                }
                // Upload what this batch imported before importing the next (the seed's batches keep each step small).
                int sent;
                do
                {
                    sent = await uploader.UploadDueAsync(cancellationToken, settings.BatchSize);
                    uploaded += sent;
                }
                while (sent > 0);
                report(imported + before + skipped);
            }
        });
        return new MigrateReport(files.Count, imported, before, skipped, temps.Count, uploaded, problems);
    }

    /// <summary>
    /// A copy, not a hard link: an older recorder that rewrites its files in place must not change bytes already
    /// sealed here.
    /// </summary>
    private static void PlaceCopy(string source, string target) => File.Copy(source, target, overwrite: true);
}
