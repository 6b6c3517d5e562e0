using System.CommandLine;
using System.CommandLine.Invocation;
using Cctv.Functions.Hosting;
using Cctv.Functions.Reconcile;
using Cctv.Shared.Domain;
using Cctv.Shared.Gcp;
using Cctv.Shared.Gcp.Firestore;
using Cctv.Shared.Gcp.Storage;
using Cctv.Shared.Local;
using Cctv.Shared.Ports;

namespace Cctv.Functions.Operator;

/// <summary>
/// <c>legal-hold</c>: places or releases a legal hold on a recording, in the catalog the retention job reads (the
/// embedded backend's in --data-dir, or with CCTV_BACKEND=gcp the Firestore catalog of GCP_STORAGE_PROJECT_ID). While
/// the hold stands, retention never deletes the recording, and the archived object is under an event-based hold in the
/// archive bucket (or the embedded backend's store), so nothing else can delete or overwrite it either (see
/// <see cref="LegalHolds"/> for the order of the steps). Exit codes: 0 done (or already so), 1 no such recording or a
/// recording retention already deleted, 2 bad arguments, 3 the catalog changed but the object's hold did not (run it again).
/// </summary>
public static class LegalHoldCommand
{
    public static Command Create()
    {
        var dataDir = new Option<string>("--data-dir", () => Environment.GetEnvironmentVariable("CCTV_DATA_DIR") ?? Path.Combine(Environment.CurrentDirectory, "cctv-data"),
            "The embedded backend's data directory (ignored with CCTV_BACKEND=gcp).");
        var recording = new Option<string>("--recording", "The recording ID.") { IsRequired = true };
        var reason = new Option<string>("--reason", "Why it is held (a case number, who asked); kept with the hold.") { IsRequired = true };
        var place = new Command("place", "Keep a recording from retention until the hold is released.") { recording, reason };
        place.SetHandler(context => RunAsync(context, dataDir, recording, hold: true, context.ParseResult.GetValueForOption(reason)));
        var release = new Command("release", "Let retention apply to the recording again.") { recording };
        release.SetHandler(context => RunAsync(context, dataDir, recording, hold: false, null));
        var command = new Command("legal-hold", "Place or release a legal hold on a recording (retention never deletes a held recording).") { place, release };
        command.AddGlobalOption(dataDir);
        return command;
    }

    private static async Task RunAsync(InvocationContext context, Option<string> dataDir, Option<string> recording, bool hold, string? reason)
    {
        CancellationToken ct = context.GetCancellationToken();
        string id = context.ParseResult.GetValueForOption(recording)!.Trim();
        if (!RecordingId.IsValid(id))
        {
            await Console.Error.WriteLineAsync($"legal-hold: '{id}' is not a recording ID (a lowercase UUID)");
            context.ExitCode = 2;
            return;
        }
        if (hold && string.IsNullOrWhiteSpace(reason))
        {
            await Console.Error.WriteLineAsync("legal-hold: --reason must say why the recording is held");
            context.ExitCode = 2;
            return;
        }
        try
        {
            string data = context.ParseResult.GetValueForOption(dataDir)!;
            (ICatalog catalog, IDisposable? owned) = await OpenCatalogAsync(data, ct);
            using (owned)
            {
                (IObjectStore store, string archiveBucket, IDisposable? ownedStore) = await OpenArchiveAsync(data, ct);
                using (ownedStore)
                {
                    var holds = new LegalHolds(catalog, store, archiveBucket);
                    HoldResult result = hold ? await holds.PlaceAsync(id, reason!.Trim(), ct) : await holds.ReleaseAsync(id, ct);
                    (string message, int code) = Describe(id, hold, result);
                    await (code == 0 ? Console.Out : Console.Error).WriteLineAsync(message);
                    context.ExitCode = code;
                }
            }
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync("legal-hold: " + e.Message);
            context.ExitCode = 2;
        }
    }

    /// <summary>The message and exit code of a hold's outcome.</summary>
    internal static (string Message, int Code) Describe(string id, bool hold, HoldResult result)
    {
        if (result.StorageProblem is { } problem)
        {
            return (hold
                ? $"recording {id} is under a legal hold in the catalog (retention will not delete it), but its archived object could not be held: {problem}. Run the command again, or the reconcile sweep will hold it"
                : $"the legal hold on recording {id} is NOT released: its archived object could not be released ({problem}); the catalog still holds it. Run the command again", 3);
        }
        string storage = result.Storage switch
        {
            true => "; its archived object is under an event-based hold",
            false => "; its archived object's event-based hold is released",
            null => hold ? "; it is not archived yet: the reconcile sweep holds its object once it is" : "",
        };
        return result.Catalog switch
        {
            TransitionOutcome.Applied => ((hold ? $"recording {id} is under a legal hold: retention will not delete it" : $"the legal hold on recording {id} is released") + storage, 0),
            TransitionOutcome.AlreadyDone => ((hold ? $"recording {id} was already under a legal hold" : $"recording {id} was not under a legal hold") + storage, 0),
            TransitionOutcome.NotFound => ($"no recording {id} in the catalog", 1),
            _ => ($"recording {id} was already deleted by retention; there is nothing left to hold", 1),
        };
    }

    /// <summary>The archive an operator command changes: the embedded backend's in <paramref name="dataDir"/>, or with CCTV_BACKEND=gcp the bucket GCP_STORAGE_BUCKET_NAME.</summary>
    internal static async Task<(IObjectStore, string, IDisposable?)> OpenArchiveAsync(string dataDir, CancellationToken ct)
    {
        if (Environment.GetEnvironmentVariable(FunctionEnvironment.Backend) != "gcp")
        {
            return (new LocalBackend(dataDir, TimeProvider.System).Store, LocalBackend.ArchiveBucket, null);
        }
        string bucket = Environment.GetEnvironmentVariable(FunctionEnvironment.ArchiveBucket) is { Length: > 0 } b
            ? b
            : throw new ArgumentException($"{FunctionEnvironment.ArchiveBucket} is not set: it must name the archive bucket whose objects to hold");
        GcsObjectStore store = await GcsObjectStore.CreateAsync(new GcsSettings(), ct);
        return (store, bucket, store);
    }

    /// <summary>The catalog an operator command changes: the embedded backend's in <paramref name="dataDir"/>, or with CCTV_BACKEND=gcp Firestore.</summary>
    internal static async Task<(ICatalog, IDisposable?)> OpenCatalogAsync(string dataDir, CancellationToken ct)
    {
        if (Environment.GetEnvironmentVariable(FunctionEnvironment.Backend) != "gcp")
        {
            return (new LocalBackend(dataDir, TimeProvider.System).Catalog, null);
        }
        string project = Environment.GetEnvironmentVariable(FunctionEnvironment.ProjectId) is { Length: > 0 } p
            ? p
            : throw new ArgumentException($"{FunctionEnvironment.ProjectId} is not set: it must name the GCP project whose Firestore catalog to change");
        GcpEndpoint firestore = await GcpEndpoint.FromEnvironmentAsync(GcpService.Firestore, new GcpEndpointOptions(), ct);
        string database = Environment.GetEnvironmentVariable(FunctionEnvironment.FirestoreDatabase) is { Length: > 0 } d ? d : FirestoreClient.DefaultDatabase;
        return (new FirestoreCatalog(new FirestoreClient(firestore, project, database), TimeProvider.System), firestore);
    }
}
