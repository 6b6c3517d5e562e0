using Cctv.Functions.Finalize;
using Cctv.Functions.Reconcile;
using Cctv.Shared.Domain;
using Cctv.Shared.Hashing;
using Cctv.Shared.Local;
using Cctv.Shared.Ports;
using Cctv.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cctv.Functions.Tests.Reconcile;

/// <summary>The sweep over the embedded backend's store and catalog, on a clock the test moves.</summary>
public sealed class SweepRig : IDisposable
{
    public static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly TempDir _dir = new("sweep");

    /// <param name="catalog">Another catalog than the embedded backend's SQLite one (Firestore on its emulator), on the rig's clock.</param>
    public SweepRig(SweepOptions? options = null, Func<TimeProvider, ICatalog>? catalog = null)
    {
        Local = new LocalBackend(_dir.Path, Clock);
        Catalog = catalog?.Invoke(Clock) ?? Local.Catalog;
        Archive = new ArchiveService(Local.Store, Catalog, new BucketNames(LocalBackend.StagingBucket, LocalBackend.ArchiveBucket), NullLogger<ArchiveService>.Instance);
        Options = options ?? new SweepOptions();
        Sweep = new ReconcileSweep(Archive, Catalog, Local.Store, Options, Clock, NullLogger<ReconcileSweep>.Instance, Local.Store);
    }

    public ManualClock Clock { get; } = new(T0);
    public LocalBackend Local { get; }
    public ICatalog Catalog { get; }
    public IObjectStore Store => Local.Store;
    public ArchiveService Archive { get; }
    public SweepOptions Options { get; }
    public ReconcileSweep Sweep { get; }

    public Task<SweepReport> RunAsync(string job = ReconcileSweep.ReconcileJob, int limit = 500, string? continuation = null) =>
        Sweep.RunAsync(new SweepRequest(job, limit, continuation), CancellationToken.None);

    /// <summary>A recording as the edge makes one: announced and/or uploaded to staging (no event is delivered).</summary>
    public async Task<RecordingAnnouncement> RecordAsync(string camera, int seq, bool announce = true, bool upload = true, DateTimeOffset? start = null,
        string recorder = "r1")
    {
        byte[] bytes = System.Text.Encoding.UTF8.GetBytes($"{camera}/{seq} fragmented mp4");
        SegmentDigest d = await SegmentHasher.HashAsync(new MemoryStream(bytes), CancellationToken.None);
        string id = RecordingId.For(recorder, camera, 1, seq);
        DateTimeOffset begin = start ?? Clock.GetUtcNow().AddSeconds(-4);
        var a = new RecordingAnnouncement(id, recorder, camera, camera.ToUpperInvariant(), 1, seq, begin, begin.AddSeconds(4), d.Size, d.Sha256, d.Crc32CBase64, d.Md5,
            "video/mp4", ObjectNames.Staging(recorder, camera, id));
        if (announce)
        {
            await Catalog.AnnounceAsync(a, CancellationToken.None);
        }
        if (upload)
        {
            await Store.UploadAsync(new UploadRequest(LocalBackend.StagingBucket, a.StagingObject, "video/mp4", d.Crc32CBase64, d.Md5, 0,
                new Dictionary<string, string> { [ObjectMetadata.Sha256] = d.Sha256 }), new MemoryStream(bytes), CancellationToken.None);
        }
        return a;
    }

    public async Task<CloudState?> StateAsync(RecordingAnnouncement a) => (await Catalog.GetAsync(a.Id, CancellationToken.None))?.State;

    public async Task<List<string>> NamesAsync(string bucket)
    {
        var names = new List<string>();
        await foreach (StoredObject o in Store.ListAsync(bucket, "", CancellationToken.None))
        {
            names.Add(o.Name);
        }
        return names;
    }

    public void Dispose() => _dir.Dispose();
}
