using System.Security.Cryptography;
using Cctv.EdgeRecorder.Configuration;
using Cctv.EdgeRecorder.Outbox;
using Cctv.EdgeRecorder.Pipeline;
using Cctv.Shared.Domain;
using Cctv.Shared.Hashing;
using Cctv.Shared.Ports;
using Cctv.TestSupport;
using Microsoft.Extensions.Logging;

namespace Cctv.Cloud.Tests;

/// <summary>
/// A recorder on the gcp backend, driven in-process: segments written as real files and sealed into its real outbox
/// (as the sealer does), then its own pipeline stages: announce to the Firestore catalog, upload to the staging bucket
/// of the test GCS server (resumable, CRC32C, create-only), read back the cloud state, heartbeat.
/// </summary>
public sealed class EdgeSite : IDisposable
{
    public const string RecorderId = "site-e2e";
    public const string Camera = "gate";
    private readonly TempDir _dir = new("edge-site");
    private readonly Uploader _uploader;
    private readonly CatalogSync _sync;
    private readonly DateTimeOffset _firstStart = DateTimeOffset.UtcNow.AddMinutes(-1);
    private long _seq;

    public EdgeSite(IObjectStore store, string stagingBucket, ICatalog catalog)
    {
        var options = new RecorderOptions
        {
            Id = RecorderId,
            DataDir = _dir.Path,
            Backend = "gcp",
            HeartbeatInterval = TimeSpan.FromMilliseconds(200),
            Upload = new UploadOptions
            {
                Parallelism = 2,
                RetryAttempts = 1,
                RetryDelay = TimeSpan.FromMilliseconds(50),
                MaxBackoff = TimeSpan.FromMilliseconds(300),
                ChunkBytes = 256 * 1024,
            },
        };
        options.Cameras.Add(new CameraOptions { Id = Camera, Name = "Front gate", Url = "rtsp://127.0.0.1:1/gate" });
        Logs = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Warning));
        Context = new EdgeContext(options, store, stagingBucket, catalog, TimeProvider.System, Logs);
        Run = Context.Outbox.StartRun(Camera);
        _uploader = Context.CreateUploader();
        _sync = Context.CreateCatalogSync();
    }

    public EdgeContext Context { get; }

    public ILoggerFactory Logs { get; }

    public CameraRun Run { get; }

    public OutboxStore Outbox => Context.Outbox;

    /// <summary>Writes a segment of random bytes and seals it (fsynced file, digests, outbox row), 4 s of footage each.</summary>
    public OutboxSegment Seal(int size)
    {
        long seq = _seq++;
        string dir = Context.Paths.RunDirectory(Camera, Run.Run);
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, $"seg_{seq:D6}.mp4");
        File.WriteAllBytes(path, RandomNumberGenerator.GetBytes(size));
        SegmentDigest digest = SegmentHasher.HashFile(path, CancellationToken.None);
        DateTimeOffset start = _firstStart.AddSeconds(seq * 4);
        OutboxSegment row = OutboxRows.Sealed(RecorderId, Camera, Run.Run, seq, path, start, start.AddSeconds(4), digest, DateTimeOffset.UtcNow);
        Assert.True(Outbox.InsertSealed(row));
        return Outbox.Get(row.Id)!;
    }

    public Task AnnounceAsync() => _sync.AnnounceAsync(CancellationToken.None);

    public Task<int> UploadAsync() => _uploader.UploadDueAsync(CancellationToken.None);

    public Task<int> VerifyAsync() => _sync.VerifyAsync(CancellationToken.None);

    public Task<bool> HeartbeatAsync() => _sync.HeartbeatIfDueAsync(CancellationToken.None);

    /// <summary>Runs the edge's stages until every segment is verified by the catalog, or the time is up.</summary>
    public async Task<bool> SyncUntilVerifiedAsync(TimeSpan timeout)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            await AnnounceAsync();
            await UploadAsync();
            await VerifyAsync();
            await HeartbeatAsync();
            if (Outbox.All().All(s => s.State == EdgeState.Verified))
            {
                return true;
            }
            await Task.Delay(100);
        }
        return false;
    }

    public void Dispose()
    {
        Logs.Dispose();
        _dir.Dispose();
    }
}
