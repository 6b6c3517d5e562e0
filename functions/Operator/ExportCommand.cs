using System.CommandLine;
using System.CommandLine.Invocation;
using Cctv.Functions.Api;
using Cctv.Functions.Evidence;
using Cctv.Shared.Domain;
using Cctv.Shared.Ports;

namespace Cctv.Functions.Operator;

/// <summary>
/// <c>export</c>: an operator writes the evidence bundle (docs/evidence-bundle.md) of one camera over a range to a
/// file, from the catalog and archive the other operator commands change (the embedded backend's in --data-dir, or
/// with CCTV_BACKEND=gcp Firestore and the archive bucket). The operator sees every camera; the custody record and the
/// audit name them as <c>operator:USER@HOST</c> (or --by), the identity the recorder command records a release under.
/// Exit codes: 0 written, 1 nothing to export (no footage or no signed manifest yet) or a bundle written with problems
/// (segments the archive does not hold as signed: <c>verify</c> will report them), 2 bad arguments (an unknown camera,
/// a reversed or too long range, an existing --out).
/// </summary>
public static class ExportCommand
{
    public static Command Create()
    {
        var dataDir = new Option<string>("--data-dir", () => Environment.GetEnvironmentVariable("CCTV_DATA_DIR") ?? Path.Combine(Environment.CurrentDirectory, "cctv-data"),
            "The embedded backend's data directory (ignored with CCTV_BACKEND=gcp).");
        var camera = new Option<string>("--camera", "The camera's key, RECORDER~CAMERA (or RECORDER/CAMERA).") { IsRequired = true };
        var from = new Option<string>("--from", "The start of the range, ISO 8601 with Z or an offset (e.g. 2026-01-15T03:10:00Z).") { IsRequired = true };
        var to = new Option<string>("--to", "The end of the range (exclusive); at most 24 hours after --from.") { IsRequired = true };
        var output = new Option<FileInfo>("--out", "The bundle file to write (a zip); it must not exist.") { IsRequired = true };
        var by = new Option<string?>("--by", "Who exports, for the custody record (default: USER@HOST of this shell).");
        var command = new Command("export", "Write the evidence bundle of a camera over a time range (verify it with `verify`).") { dataDir, camera, from, to, output, by };
        command.SetHandler(async (InvocationContext context) =>
        {
            T? Get<T>(Option<T> option) => context.ParseResult.GetValueForOption(option);
            context.ExitCode = await RunAsync(Get(dataDir)!, Get(camera)!, Get(from)!, Get(to)!, Get(output)!, Get(by), context.GetCancellationToken());
        });
        return command;
    }

    private static async Task<int> RunAsync(string dataDir, string cameraText, string fromText, string toText, FileInfo output, string? by, CancellationToken ct)
    {
        string partial = output.FullName + ".partial";
        try
        {
            if (!CameraKey.TryParse(cameraText.Trim().Replace('/', CameraKey.Separator), out CameraKey camera))
            {
                throw new ArgumentException($"--camera '{cameraText}' is not a camera key: write RECORDER~CAMERA, e.g. rec-a~cam1");
            }
            if (!IsoTime.TryParse(fromText, out DateTimeOffset from))
            {
                throw new ArgumentException($"--from '{fromText}' is not an ISO 8601 time with Z or an offset, e.g. 2026-01-15T03:10:00Z");
            }
            if (!IsoTime.TryParse(toText, out DateTimeOffset to))
            {
                throw new ArgumentException($"--to '{toText}' is not an ISO 8601 time with Z or an offset, e.g. 2026-01-15T03:10:00Z");
            }
            EvidenceExport.CheckRange(from, to);
            if (output.Exists)
            {
                throw new ArgumentException($"--out {output.FullName} exists: a bundle is never written over another file");
            }
            string who = by?.Trim() is { Length: > 0 } given ? given : $"operator:{Environment.UserName}@{Environment.MachineName}";
            (ICatalog catalog, IDisposable? owned) = await LegalHoldCommand.OpenCatalogAsync(dataDir, ct);
            using (owned)
            {
                (IObjectStore store, string archiveBucket, IDisposable? ownedStore) = await LegalHoldCommand.OpenArchiveAsync(dataDir, ct);
                using (ownedStore)
                {
                    var export = new EvidenceExport(catalog, store, archiveBucket, TimeProvider.System);
                    string commandLine = $"export --camera {camera} --from {RecordingItem.Iso(from)} --to {RecordingItem.Iso(to)} (operator command on {Environment.MachineName})";
                    var request = new ExportRequest(camera, from, to, CatalogScope.Everything, who, "operator-command (catalog credentials of this machine)", commandLine);
                    ExportResult result;
                    await using (var file = new FileStream(partial, FileMode.CreateNew, FileAccess.Write))
                    {
                        result = await export.WriteAsync(request, file, ct);
                    }
                    File.Move(partial, output.FullName, overwrite: false);
                    var index = result.Bundle.Index;
                    await Console.Out.WriteLineAsync(
                        $"wrote {output.FullName}: camera {camera}, {RecordingItem.Iso(index.From)} to {RecordingItem.Iso(index.To)}, {index.Segments.Count} segment(s), " +
                        $"{index.SalvagedSegments.Count} salvaged segment(s) (unsigned), " +
                        $"{index.ManifestFiles.Count} manifest(s), {index.Gaps.Count} gap(s), {index.Custody.Reads.Count} recorded read(s)");
                    foreach (string problem in result.Bundle.Problems)
                    {
                        await Console.Error.WriteLineAsync("export: " + problem);
                    }
                    return result.Bundle.Problems.Count == 0 ? 0 : 1;
                }
            }
        }
        catch (ExportRefusedException e)
        {
            File.Delete(partial);
            await Console.Error.WriteLineAsync("export: " + e.Message);
            return e.Refusal == ExportRefusal.NoFootage ? 1 : 2;
        }
        catch (ArgumentException e)
        {
            File.Delete(partial);
            await Console.Error.WriteLineAsync("export: " + e.Message);
            return 2;
        }
        catch (ExportNotRecordedException e)
        {
            File.Delete(partial);
            await Console.Error.WriteLineAsync($"export: {e.Message} ({e.InnerException?.Message})");
            return 1;
        }
        catch (ObjectStoreException e)
        {
            File.Delete(partial);
            await Console.Error.WriteLineAsync($"export: the archive could not be read: {e.Message}");
            return 1;
        }
        catch (IOException e)
        {
            File.Delete(partial);
            await Console.Error.WriteLineAsync($"export: {output.FullName} could not be written: {e.Message}");
            return 1;
        }
    }
}
