using System.Security.Cryptography;
using Cctv.EdgeRecorder.Configuration;
using Cctv.EdgeRecorder.Outbox;
using Cctv.EdgeRecorder.Pipeline;
using Cctv.Shared.Domain;
using Cctv.Shared.Hashing;
using Cctv.Shared.Ports;
using Cctv.TestSupport;
using Microsoft.Extensions.Logging;

namespace Cctv.EdgeRecorder.Tests.Pipeline;

/// <summary>An edge context over a temporary data directory, with segments written as real files and sealed into the real outbox.</summary>
internal sealed class PipelineRig : IDisposable
{
    private readonly TempDir _dir = new("pipeline");
    private long _seq;

    public PipelineRig(IObjectStore store, string bucket, ICatalog? catalog, Action<RecorderOptions>? configure = null, TimeProvider? time = null)
    {
        var options = new RecorderOptions
        {
            Id = "site",
            DataDir = _dir.Path,
            Upload = new UploadOptions { Parallelism = 2, RetryAttempts = 2, RetryDelay = TimeSpan.FromMilliseconds(20), MaxBackoff = TimeSpan.FromMilliseconds(200) },
        };
        options.Cameras.Add(new CameraOptions { Id = "cam1", Name = "Gate", Url = "rtsp://127.0.0.1:1/cam1" });
        configure?.Invoke(options);
        Logs = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Warning));
        Context = new EdgeContext(options, store, bucket, catalog, time ?? TimeProvider.System, Logs);
        Run = Context.Outbox.StartRun("cam1");
    }

    public EdgeContext Context { get; }
    public ILoggerFactory Logs { get; }
    public CameraRun Run { get; }
    public OutboxStore Outbox => Context.Outbox;

    /// <summary>Writes a segment file of random bytes and seals it (fsync, hash, row), as the sealer does.</summary>
    public OutboxSegment Seal(int size, DateTimeOffset? start = null)
    {
        long seq = _seq++;
        string dir = Context.Paths.RunDirectory("cam1", Run.Run);
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, $"seg_{seq:D6}.mp4");
        File.WriteAllBytes(path, RandomNumberGenerator.GetBytes(size));
        SegmentDigest digest = SegmentHasher.HashFile(path, CancellationToken.None);
        DateTimeOffset begin = start ?? DateTimeOffset.UnixEpoch.AddHours(1).AddSeconds(seq * 2);
        OutboxSegment row = OutboxRows.Sealed(Context.Options.Id, "cam1", Run.Run, seq, path, begin, begin.AddSeconds(2), digest, DateTimeOffset.UtcNow);
        Assert.True(Outbox.InsertSealed(row));
        return Outbox.Get(row.Id)!;
    }

    /// <summary>Claims a sealed segment for upload, as the uploader does (state uploading).</summary>
    public void Claim(OutboxSegment s) => Assert.Equal(s.Id, Assert.Single(Outbox.ClaimDue(1, s.Id)).Id);

    /// <summary>Claims a sealed segment and marks it uploaded, as a finished upload does.</summary>
    public void Uploaded(OutboxSegment s, long generation = 1)
    {
        Claim(s);
        Assert.True(Outbox.MarkUploaded(s.Id, generation));
    }

    public void Dispose()
    {
        Logs.Dispose();
        _dir.Dispose();
    }
}
