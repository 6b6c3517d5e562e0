using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Cctv.EdgeRecorder.Cameras;
using Cctv.EdgeRecorder.Configuration;
using Cctv.EdgeRecorder.Pipeline;
using Cctv.Shared.Domain;
using Cctv.Shared.Gcp.Storage;
using Cctv.Shared.Hashing;
using Cctv.Shared.Ports;
using Microsoft.Extensions.Logging;

namespace Cctv.EdgeRecorder.Commands;

/// <summary>One line of the installer's checklist: what was checked, whether it passed, and the detail or the fix.</summary>
public sealed record ValidationCheck(string Name, bool Passed, string Detail);

/// <summary>
/// <c>validate</c>: everything an installer needs to know before leaving the site. The configuration, FFmpeg, the
/// data directory and its free space, every camera (does it answer, with what stream), and on the gcp backend the
/// credentials, the bucket (it exists, a probe object can be written to it), the clock against Cloud Storage's, and
/// the catalog. Each failed check says what to do. Exit 0 when all pass, 1 when one fails, 2 for a broken configuration.
/// </summary>
public static class ValidateCommand
{
    public static readonly TimeSpan MaxClockSkew = TimeSpan.FromMinutes(2);

    public static Command Create()
    {
        var config = new Option<FileInfo>("--config", "The agent's JSON configuration file.") { IsRequired = true };
        var skipCameras = new Option<bool>("--skip-cameras", "Do not connect to the cameras.");
        var command = new Command("validate", "Check the configuration, FFmpeg, the disk, the cameras and the cloud before recording.") { config, skipCameras };
        command.SetHandler(async context =>
        {
            context.ExitCode = await EdgeCli.Guarded(async (logs, ct) =>
            {
                RecorderOptions options = RecorderConfiguration.Load(context.ParseResult.GetValueForOption(config)!.FullName);
                IReadOnlyList<ValidationCheck> checks = await RunAsync(options, !context.ParseResult.GetValueForOption(skipCameras), logs, ct);
                foreach (ValidationCheck check in checks)
                {
                    Console.WriteLine($"{(check.Passed ? "ok  " : "FAIL")}  {check.Name}: {check.Detail}");
                }
                int failed = checks.Count(c => !c.Passed);
                Console.WriteLine(failed == 0 ? $"All {checks.Count} checks passed." : $"{failed} of {checks.Count} checks failed.");
                return failed == 0 ? 0 : 1;
            }, context);
        });
        return command;
    }

    public static async Task<IReadOnlyList<ValidationCheck>> RunAsync(RecorderOptions options, bool probeCameras, ILoggerFactory logs, CancellationToken cancellationToken)
    {
        _ = logs;
        var checks = new List<ValidationCheck>
        {
            new("configuration", true, $"recorder {options.Id}, {options.Cameras.Count} cameras, backend {options.Backend}" +
                (options.Backend == "gcp" ? $" (bucket {options.Gcp.StagingBucket}, catalog {options.Gcp.Catalog})" : "")),
        };
        checks.Add(await ToolAsync("FFmpeg", options.Ffmpeg.Path, cancellationToken));
        checks.Add(await ToolAsync("ffprobe", options.Ffmpeg.ProbePath, cancellationToken));
        checks.Add(DataDirectory(options));
        if (probeCameras)
        {
            foreach (CameraOptions camera in options.Cameras)
            {
                checks.Add(await CameraAsync(options, camera, cancellationToken));
            }
        }
        if (options.Backend == "gcp")
        {
            checks.AddRange(await CloudAsync(options, cancellationToken));
        }
        checks.Add(await Identity.RecorderClaimCheck.RunAsync(options, cancellationToken));
        return checks;
    }

    private static async Task<ValidationCheck> ToolAsync(string name, string path, CancellationToken cancellationToken)
    {
        (int exit, string output) = await RunProcessAsync(path, ["-version"], TimeSpan.FromSeconds(10), cancellationToken);
        return exit == 0
            ? new ValidationCheck(name, true, output.Split('\n')[0].Trim())
            : new ValidationCheck(name, false, $"'{path}' does not run ({output.Trim()}). Install it (Debian: apt-get install ffmpeg) or set Recorder:Ffmpeg:Path / ProbePath.");
    }

    private static ValidationCheck DataDirectory(RecorderOptions options)
    {
        try
        {
            Directory.CreateDirectory(options.DataDir);
            string probe = Path.Combine(options.DataDir, $".validate-{Guid.NewGuid():N}");
            File.WriteAllText(probe, "probe");
            File.Delete(probe);
            long free = new DriveInfo(Path.GetFullPath(options.DataDir)).AvailableFreeSpace;
            long floor = options.DiskBudget.MinFreeBytes;
            string budget = options.DiskBudget.MaxBytes is { } max ? $", spool budget {max / 1048576} MiB" : "";
            return free < floor
                ? new ValidationCheck("data directory", false, $"{options.DataDir} has {free / 1048576} MiB free, under the {floor / 1048576} MiB floor (Recorder:DiskBudget:MinFreeBytes): free space or lower the floor.")
                : new ValidationCheck("data directory", true, $"{options.DataDir} is writable, {free / 1048576} MiB free{budget}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new ValidationCheck("data directory", false, $"{options.DataDir} is not writable ({e.Message}): create it and give the agent's user write access (Recorder:DataDir).");
        }
    }

    /// <summary>The camera's codec, resolution and frame rate, read by ffprobe through FFMpegCore; its password never printed.</summary>
    private static async Task<ValidationCheck> CameraAsync(RecorderOptions options, CameraOptions camera, CancellationToken cancellationToken)
    {
        string name = $"camera {camera.Id}";
        string shown = RecorderConfiguration.Redact(camera.Url);
        try
        {
            CameraStream? video = await MediaProbe.CameraAsync(options.Ffmpeg.ProbePath, camera.Url, camera.RtspTransport, TimeSpan.FromSeconds(15), cancellationToken);
            return video is { } v
                ? new ValidationCheck(name, true, string.Create(CultureInfo.InvariantCulture,
                    $"{v.Codec} {v.Width}x{v.Height} at {v.FrameRate:0.##} fps{(v.HasAudio ? ", with audio" : "")}"))
                : new ValidationCheck(name, false, $"{shown} has no video stream.");
        }
        catch (FfmpegNotFoundException e)
        {
            // A checklist line like the others (the ffprobe line above says the same), not the end of the checklist.
            return new ValidationCheck(name, false, $"not probed: {e.Message}");
        }
        catch (MediaProbeException e)
        {
            return new ValidationCheck(name, false, $"{shown} did not answer with a stream ({e.Message}). Check the address, the credentials in the URL and the network; for RTSP try RtspTransport 'tcp' or 'udp'.");
        }
    }

    private static async Task<IEnumerable<ValidationCheck>> CloudAsync(RecorderOptions options, CancellationToken cancellationToken)
    {
        var checks = new List<ValidationCheck>();
        GcsSettings settings = EdgeBackend.GcsSettingsOf(options);
        GcsObjectStore store;
        try
        {
            store = await GcsObjectStore.CreateAsync(settings, cancellationToken);
            checks.Add(new ValidationCheck("credentials", true, settings.Anonymous ? $"none (emulator at {settings.Endpoint})"
                : settings.CredentialsPath is { } key ? $"service account key {key}" : "application default credentials"));
        }
        catch (GcsCredentialException e)
        {
            checks.Add(new ValidationCheck("credentials", false, e.Message));
            return checks;
        }
        using (store)
        {
            string bucket = options.Gcp.StagingBucket;
            try
            {
                (bool exists, DateTimeOffset? serverTime) = await store.ProbeBucketAsync(bucket, cancellationToken);
                checks.Add(exists
                    ? new ValidationCheck("bucket", true, $"gs://{bucket} exists")
                    : new ValidationCheck("bucket", false, $"gs://{bucket} does not exist: check Recorder:Gcp:StagingBucket (GCP_STORAGE_BUCKET_NAME) against terraform's staging_bucket output."));
                if (serverTime is { } server)
                {
                    TimeSpan skew = DateTimeOffset.UtcNow - server;
                    checks.Add(skew.Duration() <= MaxClockSkew
                        ? new ValidationCheck("clock", true, $"within {Math.Ceiling(skew.Duration().TotalSeconds)} s of Cloud Storage's")
                        : new ValidationCheck("clock", false, $"{skew.TotalSeconds:F0} s off Cloud Storage's clock: enable NTP (timedatectl set-ntp true); recording times and signed URLs depend on it."));
                }
                if (exists)
                {
                    checks.Add(await WriteProbeAsync(store, options, cancellationToken));
                }
            }
            catch (ObjectStoreException e)
            {
                checks.Add(new ValidationCheck("bucket", false, e.Message));
            }
        }
        if (options.Gcp.Catalog == "firestore")
        {
            try
            {
                using EdgeBackend backend = await EdgeBackend.OpenAsync(options, TimeProvider.System, cancellationToken);
                IReadOnlyList<Cctv.Shared.Domain.CameraInfo> cameras = await backend.Catalog!.ListCamerasAsync(
                    Cctv.Shared.Domain.CatalogScope.Of([options.Id], []), cancellationToken);
                checks.Add(new ValidationCheck("catalog", true, $"Firestore in {options.Gcp.ProjectId} answers ({cameras.Count} cameras of recorder {options.Id} known)"));
            }
            catch (Exception e) when (e is Cctv.Shared.Gcp.GcpApiException or GcsCredentialException or HttpRequestException)
            {
                checks.Add(new ValidationCheck("catalog", false, $"Firestore in {options.Gcp.ProjectId} did not answer ({e.Message}): check Recorder:Gcp:ProjectId and that the recorder's service account has roles/datastore.user."));
            }
        }
        return checks;
    }

    /// <summary>Writes a small object the way a segment is written (resumable, create-only, with its CRC32C), outside the recordings' prefix.</summary>
    private static async Task<ValidationCheck> WriteProbeAsync(GcsObjectStore store, RecorderOptions options, CancellationToken cancellationToken)
    {
        byte[] bytes = Encoding.UTF8.GetBytes($"validate {options.Id} {DateTimeOffset.UtcNow:O}\n");
        string name = $"_validate/{options.Id}/{DateTimeOffset.UtcNow:yyyyMMddTHHmmssfff}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}.txt";
        var request = new UploadRequest(options.Gcp.StagingBucket, name, "text/plain", Crc32C.ToBase64(Crc32C.Compute(bytes)), null, IfGenerationMatch: 0,
            new Dictionary<string, string> { [ObjectMetadata.RecorderId] = options.Id });
        try
        {
            StoredObject stored = await store.UploadAsync(request, new MemoryStream(bytes), cancellationToken);
            return new ValidationCheck("upload", true, $"wrote gs://{stored.Bucket}/{stored.Name} ({stored.Size} bytes, CRC32C confirmed)");
        }
        catch (ObjectStoreException e)
        {
            return new ValidationCheck("upload", false, e.Message);
        }
    }

    private static async Task<(int Exit, string Output)> RunProcessAsync(string file, IEnumerable<string> args, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        try
        {
            using Process process = Process.Start(psi)!;
            Task<string> stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            Task<string> stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter(timeout);
            try
            {
                await process.WaitForExitAsync(limit.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                process.Kill(entireProcessTree: true);
                return (-1, $"no answer within {timeout.TotalSeconds:0} s");
            }
            string output = await stdout;
            string errors = await stderr;
            return (process.ExitCode, process.ExitCode == 0 ? output : errors + output);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, e.Message);
        }
    }
}
