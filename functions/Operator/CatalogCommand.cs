using System.CommandLine;
using System.CommandLine.Invocation;
using Cctv.Shared.Gcp.Firestore;

namespace Cctv.Functions.Operator;

/// <summary>
/// <c>catalog backfill-shards</c>: once after upgrading a gcp deployment to the sharded catalog (issue 14), gives every
/// recording written before it its shard, so the sweep, the operator's view of everything and the delivery counts see
/// it again (<see cref="FirestoreCatalog.BackfillShardsAsync"/>). Reads every recording once; running it again changes
/// nothing. The embedded backend's catalog has no shards: nothing to do. Exit codes: 0 done, 2 bad settings.
/// </summary>
public static class CatalogCommand
{
    public static Command Create()
    {
        var dataDir = new Option<string>("--data-dir", () => Environment.GetEnvironmentVariable("CCTV_DATA_DIR") ?? Path.Combine(Environment.CurrentDirectory, "cctv-data"),
            "The embedded backend's data directory (ignored with CCTV_BACKEND=gcp).");
        var pageSize = new Option<int>("--page-size", () => 300, "Recordings read per query (1 to 500).");
        var backfill = new Command("backfill-shards", "Give recordings written before the sharded catalog their shard (gcp backend; once after upgrading).") { pageSize };
        backfill.SetHandler(context => BackfillAsync(context, dataDir, pageSize));
        var command = new Command("catalog", "Maintenance of the catalog.") { backfill };
        command.AddGlobalOption(dataDir);
        return command;
    }

    private static async Task BackfillAsync(InvocationContext context, Option<string> dataDir, Option<int> pageSize)
    {
        int size = context.ParseResult.GetValueForOption(pageSize);
        if (size is < 1 or > FirestoreClient.MaxWritesPerCommit)
        {
            await Console.Error.WriteLineAsync($"catalog backfill-shards: --page-size must be 1 to {FirestoreClient.MaxWritesPerCommit}, not {size}");
            context.ExitCode = 2;
            return;
        }
        try
        {
            (Shared.Ports.ICatalog catalog, IDisposable? owned) = await LegalHoldCommand.OpenCatalogAsync(context.ParseResult.GetValueForOption(dataDir)!, context.GetCancellationToken());
            using (owned)
            {
                if (catalog is not FirestoreCatalog firestore)
                {
                    await Console.Out.WriteLineAsync("the embedded backend's catalog keeps no shards: nothing to do");
                    return;
                }
                (long read, long changed) = await firestore.BackfillShardsAsync(size, context.GetCancellationToken());
                await Console.Out.WriteLineAsync($"read {read} recordings; gave {changed} of them their shard");
            }
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync("catalog backfill-shards: " + e.Message);
            context.ExitCode = 2;
        }
    }
}
