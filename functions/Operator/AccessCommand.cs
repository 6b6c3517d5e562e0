using System.CommandLine;
using System.CommandLine.Invocation;
using Cctv.Functions.Auth;
using Cctv.Functions.Hosting;
using Cctv.Shared.Domain;
using Cctv.Shared.Gcp;
using Cctv.Shared.Gcp.Firestore;
using Cctv.Shared.Local;
using Cctv.Shared.Ports;

namespace Cctv.Functions.Operator;

/// <summary>
/// <c>access</c>: who may see what, in the catalog the player API reads (the embedded backend's in --data-dir, or with
/// CCTV_BACKEND=gcp the Firestore catalog of GCP_STORAGE_PROJECT_ID): assign recorders to sites, grant and revoke
/// sites, cameras or everything to principals (user:EMAIL, firebase:UID, key:NAME; a bare email means user:EMAIL); a
/// camera is named with its recorder (<c>--camera rec-a~cam1</c> or <c>--recorder rec-a --camera cam1</c>) or its site
/// (<c>--site site-a --camera cam1</c>), never by a bare camera ID, which another site may use too; list
/// a principal's grants, and make or revoke the API keys of service clients (a new key is printed once, alone on stdout).
/// </summary>
public static class AccessCommand
{
    public static Command Create()
    {
        var dataDir = new Option<string>("--data-dir", () => Environment.GetEnvironmentVariable("CCTV_DATA_DIR") ?? Path.Combine(Environment.CurrentDirectory, "cctv-data"),
            "The embedded backend's data directory (ignored with CCTV_BACKEND=gcp).");
        var command = new Command("access", "Sites of recorders, grants of sites and cameras to users and keys, and API keys.");
        command.AddGlobalOption(dataDir);

        var recorder = new Option<string>("--recorder", "The recorder ID.") { IsRequired = true };
        var siteRequired = new Option<string>("--site", "The site ID.") { IsRequired = true };
        var site = new Command("site", "Assign a recorder to a site (again: move it).") { recorder, siteRequired };
        site.SetHandler(context => RunAsync(context, dataDir, async (catalog, ct) =>
        {
            var assignment = new RecorderSite(Value(context, recorder), Value(context, siteRequired));
            if (!Identifiers.IsValidSlug(assignment.RecorderId) || !Identifiers.IsValidSlug(assignment.SiteId))
            {
                throw new ArgumentException($"recorder and site IDs are {Identifiers.SlugRule}");
            }
            await catalog.SetRecorderSiteAsync(assignment, ct);
            await Console.Error.WriteLineAsync($"recorder {assignment.RecorderId} records for site {assignment.SiteId}");
        }));

        var principal = new Option<string>("--principal", "user:EMAIL, firebase:UID or key:NAME (a bare email means user:EMAIL).") { IsRequired = true };
        var grantSite = new Option<string?>("--site", "A site (with --camera: that camera on the site's recorders).");
        var grantRecorder = new Option<string?>("--recorder", "The recorder of --camera.");
        var grantCamera = new Option<string?>("--camera", "A camera: its key RECORDER~CAMERA, or its ID with --recorder or --site.");
        var grantAll = new Option<bool>("--all", "Everything (operators: also GET /api/status).");
        var grant = new Command("grant", "Let a principal see a site, a camera, or everything.") { principal, grantSite, grantRecorder, grantCamera, grantAll };
        grant.SetHandler(context => RunAsync(context, dataDir, async (catalog, ct) =>
        {
            AccessGrant g = GrantOf(context, principal, grantSite, grantRecorder, grantCamera, grantAll);
            await catalog.GrantAsync(g, ct);
            await Console.Error.WriteLineAsync($"granted {g.Scope.ToWire()} {g.ScopeId} to {g.Principal}");
        }));
        var revoke = new Command("revoke", "Take a grant back.") { principal, grantSite, grantRecorder, grantCamera, grantAll };
        revoke.SetHandler(context => RunAsync(context, dataDir, async (catalog, ct) =>
        {
            AccessGrant g = GrantOf(context, principal, grantSite, grantRecorder, grantCamera, grantAll, forRevoke: true);
            bool removed = await catalog.RevokeAsync(g, ct);
            await Console.Error.WriteLineAsync(removed ? $"revoked {g.Scope.ToWire()} {g.ScopeId} from {g.Principal}" : $"{g.Principal} had no such grant");
        }));
        var list = new Command("list", "A principal's grants, one per line: scope and ID.") { principal };
        list.SetHandler(context => RunAsync(context, dataDir, async (catalog, ct) =>
        {
            foreach (AccessGrant g in await catalog.ListGrantsAsync(PrincipalOf(Value(context, principal)), ct))
            {
                Console.Out.WriteLine($"{g.Scope.ToWire()}\t{g.ScopeId}");
                if (g.IsBareCameraGrant)
                {
                    await Console.Error.WriteLineAsync($"camera grant '{g.ScopeId}' opens nothing any more: {AccessGrant.CameraGrantRule(g.ScopeId)}; then revoke it with --camera {g.ScopeId}");
                }
            }
        }));

        var name = new Option<string>("--name", "The service client's name; the key acts as key:NAME.") { IsRequired = true };
        var keyCreate = new Command("key-create", "Make an API key for a service client; it is printed once, alone on stdout (grant key:NAME what it may see).") { name };
        keyCreate.SetHandler(context => RunAsync(context, dataDir, async (catalog, ct) =>
        {
            (string key, ApiKeyRecord record) = await ApiKeys.CreateAsync(catalog, Value(context, name), TimeProvider.System, ct);
            Console.Out.WriteLine(key);
            await Console.Error.WriteLineAsync($"API key {record.KeyId} acts as {record.Principal}; only its hash is stored, so keep it now");
        }));
        var id = new Option<string>("--id", "The key's public ID (the 12 hex characters after cctv_), or the key itself.") { IsRequired = true };
        var keyRevoke = new Command("key-revoke", "Revoke an API key from now on.") { id };
        keyRevoke.SetHandler(context => RunAsync(context, dataDir, async (catalog, ct) =>
        {
            string keyId = ApiKeys.IdOf(Value(context, id)) ?? Value(context, id);
            bool revoked = await catalog.RevokeApiKeyAsync(keyId, ct);
            await Console.Error.WriteLineAsync(revoked ? $"API key {keyId} revoked" : $"no unrevoked API key {keyId}");
        }));

        command.AddCommand(site);
        command.AddCommand(grant);
        command.AddCommand(revoke);
        command.AddCommand(list);
        command.AddCommand(keyCreate);
        command.AddCommand(keyRevoke);
        return command;
    }

    private static T Value<T>(InvocationContext context, Option<T> option) => context.ParseResult.GetValueForOption(option)!;

    private static string PrincipalOf(string value) =>
        !value.Contains(':', StringComparison.Ordinal) && value.Contains('@', StringComparison.Ordinal) ? Principals.User(value) : value.Trim();

    /// <param name="forRevoke">A revoke may name a bare camera grant of the layout before camera keys, to remove it.</param>
    private static AccessGrant GrantOf(InvocationContext context, Option<string> principal, Option<string?> site, Option<string?> recorder, Option<string?> camera,
        Option<bool> all, bool forRevoke = false)
    {
        string p = PrincipalOf(Value(context, principal));
        string? s = context.ParseResult.GetValueForOption(site);
        string? r = context.ParseResult.GetValueForOption(recorder);
        string? c = context.ParseResult.GetValueForOption(camera);
        bool everything = context.ParseResult.GetValueForOption(all);
        AccessGrant grant = (s, r, c, everything) switch
        {
            ({ } one, null, null, false) => AccessGrant.ToSite(p, one),
            ({ } one, null, { } cam, false) => AccessGrant.ToSiteCamera(p, one, cam),
            (null, { } rec, { } cam, false) => new AccessGrant(p, GrantScope.Camera, rec + CameraKey.Separator + cam),
            (null, null, { } key, false) => new AccessGrant(p, GrantScope.Camera, key),
            (null, null, null, true) => AccessGrant.ToEverything(p),
            _ => throw new ArgumentException("give --site, --site with --camera, --recorder with --camera, --camera RECORDER~CAMERA, or --all"),
        };
        if (!(forRevoke && grant.IsBareCameraGrant))
        {
            grant.Validate();
        }
        return grant;
    }

    private static async Task RunAsync(InvocationContext context, Option<string> dataDir, Func<ICatalog, CancellationToken, Task> action)
    {
        CancellationToken ct = context.GetCancellationToken();
        try
        {
            if (Environment.GetEnvironmentVariable(FunctionEnvironment.Backend) == "gcp")
            {
                string project = Environment.GetEnvironmentVariable(FunctionEnvironment.ProjectId) is { Length: > 0 } p
                    ? p
                    : throw new ArgumentException($"{FunctionEnvironment.ProjectId} is not set: it must name the GCP project whose Firestore catalog to change");
                using GcpEndpoint firestore = await GcpEndpoint.FromEnvironmentAsync(GcpService.Firestore, new GcpEndpointOptions(), ct);
                string database = Environment.GetEnvironmentVariable(FunctionEnvironment.FirestoreDatabase) is { Length: > 0 } d ? d : FirestoreClient.DefaultDatabase;
                await action(new FirestoreCatalog(new FirestoreClient(firestore, project, database), TimeProvider.System), ct);
            }
            else
            {
                await action(new LocalBackend(Value(context, dataDir), TimeProvider.System).Catalog, ct);
            }
            context.ExitCode = 0;
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync("access: " + e.Message);
            context.ExitCode = 2;
        }
    }
}
