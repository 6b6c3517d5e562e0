using System.CommandLine;
using System.CommandLine.Invocation;
using System.Globalization;
using Cctv.Shared.Domain;
using Cctv.Shared.Ports;

namespace Cctv.Functions.Operator;

/// <summary>
/// <c>recorder</c>: the claims on recorder IDs, in the catalog the agents claim in (the embedded backend's in --data-dir,
/// or with CCTV_BACKEND=gcp the Firestore catalog of GCP_STORAGE_PROJECT_ID). A recorder ID belongs to the installation
/// key that first started under it; <c>release</c> lets the next installation that starts under it claim it (a replaced
/// recorder, a restored data directory on new hardware), and keeps who released it and why with the claim.
/// Exit codes: 0 done, 1 no claim to release, 2 bad arguments.
/// </summary>
public static class RecorderCommand
{
    public static Command Create()
    {
        var dataDir = new Option<string>("--data-dir", () => Environment.GetEnvironmentVariable("CCTV_DATA_DIR") ?? Path.Combine(Environment.CurrentDirectory, "cctv-data"),
            "The embedded backend's data directory (ignored with CCTV_BACKEND=gcp).");
        var recorder = new Option<string>("--recorder", "The recorder ID.") { IsRequired = true };
        var reason = new Option<string>("--reason", "Why (hardware replaced, recorder retired); kept with the claim.") { IsRequired = true };
        var by = new Option<string?>("--by", "Who releases it (default: this user at this host); kept with the claim.");
        var show = new Command("show", "Whose a recorder ID is: installation key, credential, host, when; and any release.") { recorder };
        show.SetHandler(context => RunAsync(context, dataDir, recorder, async (catalog, id, ct) =>
        {
            RecorderClaim? claim = await catalog.GetRecorderClaimAsync(id, ct);
            await Console.Out.WriteLineAsync(claim is null ? $"recorder {id} is not claimed: the next installation that starts under it claims it" : Describe(claim));
            return 0;
        }));
        var release = new Command("release",
            "Release a recorder ID's claim, so the next installation that starts under it claims it. Only for a recorder that is replaced or retired: two running installations under one ID write each other's recordings.")
        {
            recorder, reason, by,
        };
        release.SetHandler(context => RunAsync(context, dataDir, recorder, async (catalog, id, ct) =>
        {
            string why = context.ParseResult.GetValueForOption(reason)?.Trim() ?? "";
            if (why.Length == 0)
            {
                throw new ArgumentException("--reason must say why the claim is released");
            }
            string who = context.ParseResult.GetValueForOption(by)?.Trim() is { Length: > 0 } given ? given : $"{Environment.UserName}@{Environment.MachineName}";
            RecorderClaim? released = await catalog.ReleaseRecorderClaimAsync(id, who, why, ct);
            if (released is null)
            {
                RecorderClaim? current = await catalog.GetRecorderClaimAsync(id, ct);
                await Console.Error.WriteLineAsync(current is null ? $"recorder {id} is not claimed: nothing to release" : $"nothing to release: {Describe(current)}");
                return 1;
            }
            await Console.Out.WriteLineAsync(
                $"released recorder {id} ({released.Describe()}) by {who}: {why}. The next installation that starts as {id} claims it; " +
                $"until then the old one is refused only if it restarts, so stop it first.");
            return 0;
        }));
        var command = new Command("recorder", "Claims on recorder IDs: show whose one is, release one for a replacement.") { show, release };
        command.AddGlobalOption(dataDir);
        return command;
    }

    private static string Describe(RecorderClaim c) =>
        $"recorder {c.RecorderId}: {c.Describe()}; key {c.KeyFingerprint}" +
        (c.PreviousFingerprint is { } previous ? $"; replaced key {previous}" : "") +
        (c.ReleasedAt is { } at
            ? $"; RELEASED {at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC by {c.ReleasedBy}: {c.ReleaseReason}"
            : "");

    private static async Task RunAsync(InvocationContext context, Option<string> dataDir, Option<string> recorder, Func<ICatalog, string, CancellationToken, Task<int>> action)
    {
        CancellationToken ct = context.GetCancellationToken();
        string id = context.ParseResult.GetValueForOption(recorder)!.Trim();
        try
        {
            if (!Identifiers.IsValidSlug(id))
            {
                throw new ArgumentException($"'{id}' is not a recorder ID: recorder IDs are {Identifiers.SlugRule}");
            }
            (ICatalog catalog, IDisposable? owned) = await LegalHoldCommand.OpenCatalogAsync(context.ParseResult.GetValueForOption(dataDir)!, ct);
            using (owned)
            {
                context.ExitCode = await action(catalog, id, ct);
            }
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync("recorder: " + e.Message);
            context.ExitCode = 2;
        }
    }
}
