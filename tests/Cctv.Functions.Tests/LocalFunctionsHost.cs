using System.Net.Http.Headers;
using Cctv.Functions.Hosting;
using Cctv.Shared.Domain;
using Cctv.Shared.Hashing;
using Cctv.Shared.Local;
using Cctv.Shared.Ports;
using Cctv.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace Cctv.Functions.Tests;

/// <summary>The functions host on a real loopback port over a fresh data directory, and a client with the token.</summary>
public sealed class LocalFunctionsHost : IAsyncDisposable
{
    public const string Token = "test-token-0123456789";
    private readonly TempDir _dir = new("functions");
    private WebApplication? _app;

    public ManualClock Clock { get; } = new(DateTimeOffset.UtcNow);

    public LocalBackend Backend { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    public Uri BaseUri { get; private set; } = null!;

    public string DataDir => _dir.Path;

    /// <summary>Starts the host; <paramref name="configure"/> changes its settings (a target, a public base URL, a log provider).</summary>
    public static async Task<LocalFunctionsHost> StartAsync(Func<FunctionsHostSettings, FunctionsHostSettings>? configure = null)
    {
        var host = new LocalFunctionsHost();
        var settings = new FunctionsHostSettings(host._dir.Path, Token, Urls: ["http://127.0.0.1:0"], Time: host.Clock, MinimumLogLevel: LogLevel.Warning);
        host._app = FunctionsHost.Build(configure is null ? settings : configure(settings));
        await host._app.StartAsync();
        host.BaseUri = new Uri(host._app.Urls.First());
        host.Backend = new LocalBackend(host._dir.Path, host.Clock);
        host.Client = new HttpClient { BaseAddress = host.BaseUri };
        host.Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        return host;
    }

    /// <summary>Announces a recording and uploads its bytes to staging, as the edge does.</summary>
    public async Task<RecordingAnnouncement> RecordAsync(string camera, int seq, byte[] bytes, string? announcedCrc = null)
    {
        SegmentDigest digest = await SegmentHasher.HashAsync(new MemoryStream(bytes), CancellationToken.None);
        string id = RecordingId.For("r1", camera, 1, seq);
        DateTimeOffset start = Clock.GetUtcNow().AddMinutes(-10).AddSeconds(seq * 4);
        var announcement = new RecordingAnnouncement(id, "r1", camera, "Camera " + camera, 1, seq, start, start.AddSeconds(4), digest.Size,
            digest.Sha256, announcedCrc ?? digest.Crc32CBase64, digest.Md5, "video/mp4", ObjectNames.Staging("r1", camera, id));
        await Backend.Catalog.UpsertCameraAsync(new CameraInfo(camera, "Camera " + camera, "r1"), CancellationToken.None); // as the edge does on start
        await Backend.Catalog.AnnounceAsync(announcement, CancellationToken.None);
        await Backend.Store.UploadAsync(new UploadRequest(LocalBackend.StagingBucket, announcement.StagingObject, "video/mp4", digest.Crc32CBase64, digest.Md5, 0,
            new Dictionary<string, string> { [ObjectMetadata.Sha256] = digest.Sha256 }), new MemoryStream(bytes), CancellationToken.None);
        return announcement;
    }

    /// <summary>
    /// Waits (20 s at most) until the object is gone: the finalize function removes the staging copy after the catalog's
    /// transition (so a crash between the two leaves a leftover the sweep removes, never a recording without bytes),
    /// so a test that has seen the state may still see the copy for a moment.
    /// </summary>
    public async Task WaitForRemovalAsync(string bucket, string name)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(20);
        while (await Backend.Store.GetAsync(bucket, name, CancellationToken.None) is not null)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{bucket}/{name} is still there after 20 s");
            }
            await Task.Delay(50);
        }
    }

    public async Task<Recording> WaitForStateAsync(string id, CloudState state)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            Recording? r = await Backend.Catalog.GetAsync(id, CancellationToken.None);
            if (r?.State == state)
            {
                return r;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"recording {id} is {r?.State.ToString() ?? "unknown"}, not {state}, after 20 s");
            }
            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        _dir.Dispose();
    }
}
