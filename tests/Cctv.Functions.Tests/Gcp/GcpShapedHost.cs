using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Cctv.Functions.Finalize;
using Cctv.Functions.Gcp;
using Cctv.Functions.Hosting;
using Cctv.Functions.Reconcile;
using Cctv.Functions.Retry;
using Cctv.Shared.Domain;
using Cctv.Shared.Gcp.Storage;
using Cctv.Shared.Hashing;
using Cctv.Shared.Local;
using Cctv.Shared.Ports;
using Cctv.TestSupport;
using Cctv.TestSupport.Gcp;
using Cctv.TestSupport.Logging;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace Cctv.Functions.Tests.Gcp;

/// <summary>
/// The functions host as the gcp backend builds it (its routes, token checks, retry hand-off, JSON logs), on a real
/// loopback port, but over the embedded backend's store and catalog, a recording retry queue and the embedded backend's
/// dead-letter files, so that these tests need no emulator (a test may hand it the Pub/Sub dead letters instead). The
/// same host over Cloud Storage, Firestore and Pub/Sub is tested in Cctv.Cloud.Tests.
/// </summary>
public sealed class GcpShapedHost : IAsyncDisposable
{
    public const string Project = "test-project";
    public const string Audience = "cctv-functions.test-project";
    public const string PushAccount = "cctv-pubsub-push@test-project.iam.gserviceaccount.com";
    public const string SchedulerAccount = "cctv-scheduler@test-project.iam.gserviceaccount.com";
    public const string EventarcAccount = "cctv-eventarc@test-project.iam.gserviceaccount.com";
    public const string PlayerAudience = "player-app.apps.googleusercontent.com";
    public const string OperatorEmail = "operator@example.com";
    public const string SignerAccount = "cctv-url-signer@test-project.iam.gserviceaccount.com";
    public const string Staging = LocalBackend.StagingBucket;
    public const string Archive = LocalBackend.ArchiveBucket;

    private readonly TempDir _dir = new("gcp-host");
    private WebApplication? _app;

    private GcpShapedHost()
    {
    }

    public ManualClock Clock { get; } = new(DateTimeOffset.UtcNow);

    public LocalBackend Local { get; private set; } = null!;

    public FlakyObjectStore Store { get; private set; } = null!;

    public ICatalog Catalog => Local.Catalog;

    public RecordingRetryQueue Retry { get; } = new();

    /// <summary>Where the host records events refused for good: the given port, or files in the host's data directory.</summary>
    public IDeadLetters DeadLetters { get; private set; } = null!;

    public TestTokenIssuer Issuer { get; private set; } = null!;

    public LogCapture Logs { get; } = new();

    public HttpClient Client { get; private set; } = null!;

    public Uri BaseUri { get; private set; } = null!;

    public static async Task<GcpShapedHost> StartAsync(string? target = null, SweepOptions? sweep = null, IDeadLetters? deadLetters = null)
    {
        var host = new GcpShapedHost();
        host.Issuer = await TestTokenIssuer.StartAsync();
        host.Local = new LocalBackend(host._dir.Path, host.Clock);
        host.DeadLetters = deadLetters ?? LocalDeadLetters.For(host.Local);
        host.Store = new FlakyObjectStore(host.Local.Store);
        var settings = new GcpFunctionsSettings
        {
            ProjectId = Project,
            StagingBucket = Staging,
            ArchiveBucket = Archive,
            RetryTopic = "cctv-retry",
            DeadLetterTopic = "cctv-retry-dead-letter",
            OidcAudience = Audience,
            InvokerServiceAccounts = [PushAccount, SchedulerAccount, EventarcAccount],
            UserTokenAudiences = [PlayerAudience],
            TokenCertificatesUrl = host.Issuer.CertificatesUrl,
            Sweep = sweep ?? new SweepOptions { RedriveAfter = TimeSpan.FromMinutes(2) },
        };
        // V4 URLs signed with a throwaway key (the conformance vectors check the signing itself, in Cctv.Shared.Tests).
        var signer = new GcsUrlSigner(new ServiceAccountKeySigner(SignerAccount, System.Security.Cryptography.RSA.Create(2048)), host.Clock);
        var gcp = new GcpBackend(settings, host.Store, host.Local.Catalog, host.Retry, signer, host.DeadLetters);
        // /api/status shows every site: only operators (a grant of everything) may read it.
        await host.Local.Catalog.GrantAsync(AccessGrant.ToEverything(Principals.User(OperatorEmail)), CancellationToken.None);
        host._app = FunctionsHost.Build(FunctionsHostSettings.ForGcp(gcp, target, ["http://127.0.0.1:0"], host.Clock, LogLevel.Information,
            logging => logging.AddProvider(host.Logs)));
        await host._app.StartAsync();
        host.BaseUri = new Uri(host._app.Urls.First());
        host.Client = new HttpClient { BaseAddress = host.BaseUri };
        return host;
    }

    public string TokenFor(string account, string audience = Audience) => Issuer.Token(audience, account);

    /// <summary>Announces a recording and uploads its bytes to staging, as the edge does (no event is delivered).</summary>
    public async Task<RecordingAnnouncement> RecordAsync(string camera, int seq, byte[] bytes, string? announcedCrc = null, bool announce = true, bool upload = true)
    {
        SegmentDigest digest = await SegmentHasher.HashAsync(new MemoryStream(bytes), CancellationToken.None);
        string id = RecordingId.For("r1", camera, 1, seq);
        DateTimeOffset start = Clock.GetUtcNow().AddSeconds(-8 + seq * 4);
        var announcement = new RecordingAnnouncement(id, "r1", camera, "Camera " + camera, 1, seq, start, start.AddSeconds(4), digest.Size,
            digest.Sha256, announcedCrc ?? digest.Crc32CBase64, digest.Md5, "video/mp4", ObjectNames.Staging("r1", camera, id));
        await Catalog.UpsertCameraAsync(new CameraInfo(camera, "Camera " + camera, "r1"), CancellationToken.None); // as the edge does on start
        if (announce)
        {
            await Catalog.AnnounceAsync(announcement, CancellationToken.None);
        }
        if (upload)
        {
            await Local.Store.UploadAsync(new UploadRequest(Staging, announcement.StagingObject, "video/mp4", digest.Crc32CBase64, digest.Md5, 0,
                new Dictionary<string, string> { [ObjectMetadata.Sha256] = digest.Sha256 }), new MemoryStream(bytes), CancellationToken.None);
        }
        return announcement;
    }

    /// <summary>A push request as Pub/Sub sends it for a retry message, with the push account's token unless told otherwise.</summary>
    public HttpRequestMessage Push(RetryMessage message, string path = FunctionsHost.RetryPath, string? token = "", string messageId = "1001")
    {
        var body = new
        {
            message = new
            {
                data = Convert.ToBase64String(message.ToJson()),
                attributes = message.Attributes(),
                messageId,
                publishTime = "2026-01-15T03:00:00Z",
            },
            subscription = $"projects/{Project}/subscriptions/cctv-retry-push",
        };
        var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"),
        };
        Authorize(request, token == "" ? TokenFor(PushAccount) : token);
        return request;
    }

    public RetryMessage RetryOf(RecordingAnnouncement a) =>
        new(Staging, a.StagingObject, 1, a.Id, "copy failed: 503", "finalize", Clock.GetUtcNow());

    public static void Authorize(HttpRequestMessage request, string? token)
    {
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        if (Issuer is not null)
        {
            await Issuer.DisposeAsync();
        }
        _dir.Dispose();
    }
}
