using Cctv.Testing.Gcs;
using Google.Apis.Upload;

namespace Cctv.Gcs.Tests.TestServer;

/// <summary>Google.Apis' own <see cref="ResumableUpload"/> (the library our uploader builds on) against the server.</summary>
public sealed class GoogleApisInteropTests : ServerTests
{
    private const string Bucket = "staging";

    protected override GcsTestServerOptions Options => new() { Buckets = [Bucket] };

    private const int Q = GcsHttp.Quantum;

    [Fact]
    public async Task GoogleApisResumableUpload_FromSessionUri_CompletesInMinimumSizedChunks()
    {
        byte[] data = GcsHttp.RandomBytes((5 * Q) + 12345, seed: 1);
        Uri session = await Gcs.InitiateAsync(Bucket, "g/seg.mp4", new { crc32c = GcsHttp.Crc32CBase64(data) }, "&ifGenerationMatch=0");
        using var stream = new MemoryStream(data);
        ResumableUpload upload = ResumableUpload.CreateFromUploadUri(session, stream);
        upload.ChunkSize = ResumableUpload.MinimumChunkSize;

        IUploadProgress progress = await upload.UploadAsync();

        Assert.True(progress.Status == UploadStatus.Completed, progress.Exception?.ToString());
        Assert.Equal(data, Server.Find(Bucket, "g/seg.mp4")!.Bytes.ToArray());
        Assert.Equal(6, Server.Counters.Chunks);
    }

    [Fact]
    public async Task GoogleApisResumableUpload_After503AndPartialAccept_ResumesFromTheReportedRange()
    {
        byte[] data = GcsHttp.RandomBytes((6 * Q) + 3, seed: 2);
        Uri session = await Gcs.InitiateAsync(Bucket, "g/faulty.mp4", new { crc32c = GcsHttp.Crc32CBase64(data) }, "&ifGenerationMatch=0");
        Server.InjectFault(GcsFaultKind.PartialAccept, GcsRequestKinds.ResumableChunk);
        Server.InjectFault(GcsFaultKind.Http503, GcsRequestKinds.ResumableChunk);
        using var stream = new MemoryStream(data);
        ResumableUpload upload = ResumableUpload.CreateFromUploadUri(session, stream);
        upload.ChunkSize = 2 * Q;

        IUploadProgress progress = await upload.UploadAsync();

        Assert.True(progress.Status == UploadStatus.Completed, progress.Exception?.ToString());
        Assert.Equal(data, Server.Find(Bucket, "g/faulty.mp4")!.Bytes.ToArray());
        Assert.Equal(0, Server.PendingInjectedFaults);
        Assert.True(Server.Counters.StatusQueries >= 1, "the library should have asked for the persisted range after the 503");
    }

    [Fact]
    public async Task GoogleApisResumableUpload_WrongCrc32CInSessionMetadata_FailsAndStoresNothing()
    {
        byte[] data = GcsHttp.RandomBytes(Q + 1, seed: 3);
        Uri session = await Gcs.InitiateAsync(Bucket, "g/corrupt.mp4", new { crc32c = GcsHttp.Crc32CBase64([1, 2, 3]) });
        using var stream = new MemoryStream(data);
        ResumableUpload upload = ResumableUpload.CreateFromUploadUri(session, stream);

        IUploadProgress progress = await upload.UploadAsync();

        Assert.Equal(UploadStatus.Failed, progress.Status);
        Assert.Contains("CRC32C", progress.Exception!.Message, StringComparison.Ordinal);
        Assert.Null(Server.Find(Bucket, "g/corrupt.mp4"));
    }
}
