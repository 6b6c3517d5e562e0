using System.Net.Http.Headers;
using Cctv.Functions.Tests.Gcp;
using Cctv.Shared.Domain;
using Cctv.Shared.Hashing;
using Cctv.Shared.Local;
using Cctv.Shared.Ports;

namespace Cctv.Functions.Tests.Auth;

/// <summary>
/// Two sites on the gcp-shaped host: recorder r-hq records camera hq-gate for site "hq", recorder r-depot records
/// camera depot-door for site "depot". Alice may see site hq, Bob site depot, Carol only the camera depot-door, Dave
/// nothing; users sign in with ID tokens from the test issuer. Each camera has archived recordings over the last hour.
/// </summary>
public sealed class AccessRig : IAsyncDisposable
{
    public const string Alice = "alice@example.com";
    public const string Bob = "bob@example.com";
    public const string Carol = "carol@example.com";
    public const string Dave = "dave@example.com";

    private AccessRig(GcpShapedHost host)
    {
        Host = host;
        Client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = host.BaseUri };
    }

    public GcpShapedHost Host { get; }

    /// <summary>A client that shows redirects instead of following them (they lead to storage.googleapis.com).</summary>
    public HttpClient Client { get; }

    public ICatalog Catalog => Host.Catalog;

    public DateTimeOffset Start { get; private set; }

    public List<Recording> Hq { get; } = [];

    public List<Recording> Depot { get; } = [];

    public static async Task<AccessRig> StartAsync(int recordingsPerCamera = 3)
    {
        var rig = new AccessRig(await GcpShapedHost.StartAsync());
        ICatalog c = rig.Catalog;
        CancellationToken ct = CancellationToken.None;
        await c.SetRecorderSiteAsync(new RecorderSite("r-hq", "hq"), ct);
        await c.SetRecorderSiteAsync(new RecorderSite("r-depot", "depot"), ct);
        await c.UpsertCameraAsync(new CameraInfo("hq-gate", "HQ gate", "r-hq"), ct);
        await c.UpsertCameraAsync(new CameraInfo("depot-door", "Depot door", "r-depot"), ct);
        await c.GrantAsync(AccessGrant.ToSite(Principals.User(Alice), "hq"), ct);
        await c.GrantAsync(AccessGrant.ToSite(Principals.User(Bob), "depot"), ct);
        await c.GrantAsync(AccessGrant.ToCamera(Principals.User(Carol), new CameraKey("r-depot", "depot-door")), ct);
        rig.Start = rig.Host.Clock.GetUtcNow().AddHours(-1);
        for (int i = 0; i < recordingsPerCamera; i++)
        {
            rig.Hq.Add(await rig.ArchiveAsync("r-hq", "hq-gate", i));
            rig.Depot.Add(await rig.ArchiveAsync("r-depot", "depot-door", i));
        }
        return rig;
    }

    /// <summary>An archived 4-second recording (bytes in the archive bucket, catalog archived), <paramref name="seq"/> × 4 s after <see cref="Start"/>.</summary>
    public async Task<Recording> ArchiveAsync(string recorder, string camera, int seq, byte[]? bytes = null)
    {
        bytes ??= System.Text.Encoding.UTF8.GetBytes($"{recorder}/{camera}/{seq}: footage of this site only");
        SegmentDigest digest = await SegmentHasher.HashAsync(new MemoryStream(bytes), CancellationToken.None);
        string id = RecordingId.For(recorder, camera, 1, seq);
        DateTimeOffset start = Start.AddSeconds(seq * 4);
        var a = new RecordingAnnouncement(id, recorder, camera, camera, 1, seq, start, start.AddSeconds(4), digest.Size, digest.Sha256,
            digest.Crc32CBase64, digest.Md5, "video/mp4", ObjectNames.Staging(recorder, camera, id));
        string archiveName = ObjectNames.Archive(a.Camera, start, id);
        StoredObject stored = await Host.Local.Store.UploadAsync(new UploadRequest(LocalBackend.ArchiveBucket, archiveName, "video/mp4", digest.Crc32CBase64, digest.Md5, 0,
            new Dictionary<string, string>()), new MemoryStream(bytes), CancellationToken.None);
        await Catalog.AnnounceAsync(a, CancellationToken.None);
        await Catalog.MarkStagedAsync(id, 1, CancellationToken.None);
        await Catalog.MarkArchivedAsync(id, archiveName, stored.Generation, CancellationToken.None);
        return (await Catalog.GetAsync(id, CancellationToken.None))!;
    }

    public string TokenOf(string email) => Host.Issuer.Token(GcpShapedHost.PlayerAudience, email);

    public async Task<HttpResponseMessage> GetAsync(string path, string? bearer)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }
        return await Client.SendAsync(request);
    }

    /// <summary>A range query string covering every seeded recording.</summary>
    public string Range => $"from={Uri.EscapeDataString(RecordingIso(Start.AddMinutes(-1)))}&to={Uri.EscapeDataString(RecordingIso(Start.AddMinutes(10)))}";

    private static string RecordingIso(DateTimeOffset t) => Cctv.Functions.Api.RecordingItem.Iso(t);

    public ValueTask DisposeAsync()
    {
        Client.Dispose();
        return Host.DisposeAsync();
    }
}
