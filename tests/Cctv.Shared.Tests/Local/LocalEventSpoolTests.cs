using System.Text;
using System.Text.Json;
using Cctv.Shared.CloudEvents;
using Cctv.Shared.Domain;
using Cctv.Shared.Local;
using Cctv.Shared.Ports;
using Cctv.TestSupport;
using CloudNative.CloudEvents;
using CloudNative.CloudEvents.Http;
using CloudNative.CloudEvents.SystemTextJson;

namespace Cctv.Shared.Tests.Local;

/// <summary>
/// The spool's events as the package's own decoder (<see cref="HttpClientExtensions.ToCloudEventAsync(HttpRequestMessage, CloudEventFormatter, CloudEventAttribute[])"/>)
/// reads them once emitted, so the emission is checked against CloudNative.CloudEvents and not against itself.
/// </summary>
public sealed class LocalEventSpoolTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 1, 15, 3, 10, 0, 123, TimeSpan.Zero);
    private static readonly CloudEventFormatter Decoder = new JsonEventFormatter<StorageObjectData>(new JsonSerializerOptions(JsonSerializerDefaults.Web), default);
    private readonly TempDir _dir = new("spool");

    public void Dispose() => _dir.Dispose();

    private static async Task<CloudEvent> DecodedByThePackageAsync(PendingEvent pending)
    {
        using HttpRequestMessage request = CloudEventHttp.ToBinaryModeRequest(pending.Event, new Uri("http://127.0.0.1/functions/staging-object-finalized"));
        return await request.ToCloudEventAsync(Decoder);
    }

    [Fact]
    public async Task AFinalizedObject_IsEmittedInBinaryMode_AsThePackageReadsIt_EvenWithANameThatHeadersMustEncode()
    {
        var spool = new LocalEventSpool(_dir.Combine("events"), new ManualClock(Now));
        // Two sites' recorders both call a camera cam1; a space, a percent sign and a non-ASCII letter must survive the ce-subject header.
        var stored = new StoredObject("cctv-staging", "incoming/site-b/cam1/100% é.mp4", 1712, 42, "AAAAAA==", null, "video/mp4",
            new Dictionary<string, string> { [ObjectMetadata.Sha256] = "abc" }, Now.AddSeconds(-1));

        await spool.EnqueueFinalizedAsync(stored, CancellationToken.None);
        CloudEvent decoded = await DecodedByThePackageAsync(Assert.Single(spool.Pending(10)));

        Assert.Equal(CloudEventsSpecVersion.V1_0, decoded.SpecVersion);
        Assert.Equal("cctv-staging/incoming/site-b/cam1/100% é.mp4/1712", decoded.Id);
        Assert.Equal("//storage.googleapis.com/projects/_/buckets/cctv-staging", decoded.Source!.OriginalString);
        Assert.Equal(StorageEvents.ObjectFinalized, decoded.Type);
        Assert.Equal("objects/incoming/site-b/cam1/100% é.mp4", decoded.Subject);
        Assert.Equal(Now, decoded.Time);
        Assert.Equal("application/json", decoded.DataContentType);
        StorageObjectData data = Assert.IsType<StorageObjectData>(decoded.Data);
        Assert.Equal(("cctv-staging", "incoming/site-b/cam1/100% é.mp4", "1712", "42", "AAAAAA=="), (data.Bucket, data.Name, data.Generation, data.Size, data.Crc32C));
        Assert.Equal("abc", data.Metadata![ObjectMetadata.Sha256]);
    }

    [Fact]
    public async Task AnEventSpooledByTheVersionBeforeThePackage_IsStillDeliveredAsItWas()
    {
        // A file exactly as the hand-written CloudEvent record was spooled (web-cased JSON, the data in base64).
        string dir = _dir.Combine("events");
        Directory.CreateDirectory(dir);
        byte[] data = Encoding.UTF8.GetBytes("""{"bucket":"cctv-staging","name":"incoming/site-a/cam1/x.mp4","generation":"7","size":"5"}""");
        await File.WriteAllTextAsync(Path.Combine(dir, "00000000000000000007-0f8fad5bd9cb469fa16570867728950e.json"),
            $$"""{"id":"cctv-staging/incoming/site-a/cam1/x.mp4/7","source":"//storage.googleapis.com/projects/_/buckets/cctv-staging","type":"google.cloud.storage.object.v1.finalized","subject":"objects/incoming/site-a/cam1/x.mp4","time":"2026-01-15T03:10:00.123+00:00","dataContentType":"application/json","data":"{{Convert.ToBase64String(data)}}"}""");
        var spool = new LocalEventSpool(dir, TimeProvider.System);

        PendingEvent pending = Assert.Single(spool.Pending(10));
        CloudEvent decoded = await DecodedByThePackageAsync(pending);

        Assert.Equal("cctv-staging/incoming/site-a/cam1/x.mp4/7", decoded.Id);
        Assert.Equal("//storage.googleapis.com/projects/_/buckets/cctv-staging", decoded.Source!.OriginalString);
        Assert.Equal(StorageEvents.ObjectFinalized, decoded.Type);
        Assert.Equal("objects/incoming/site-a/cam1/x.mp4", decoded.Subject);
        Assert.Equal(Now, decoded.Time);
        StorageObjectData storage = Assert.IsType<StorageObjectData>(decoded.Data);
        Assert.Equal(("incoming/site-a/cam1/x.mp4", "7"), (storage.Name, storage.Generation));
    }

    [Fact]
    public async Task AnEventWrittenByThisVersion_ReadsBackWithTheSameAttributesAndBytes()
    {
        var spool = new LocalEventSpool(_dir.Combine("events"), TimeProvider.System);
        byte[] notJson = Encoding.UTF8.GetBytes("{\"bucket\":");
        CloudEvent written = StorageEvents.Create("id-1", StorageEvents.Source("cctv-staging"), StorageEvents.ObjectFinalized, "objects/x.mp4", Now,
            "application/json", notJson);

        await spool.WriteAsync(written, 1, CancellationToken.None);
        CloudEvent read = Assert.Single(spool.Pending(10)).Event;

        Assert.Equal((written.Id, written.Source, written.Type, written.Subject, written.Time, written.DataContentType),
            (read.Id, read.Source, read.Type, read.Subject, read.Time, read.DataContentType));
        Assert.Equal(notJson, Assert.IsType<byte[]>(read.Data));
    }

    [Theory]
    [InlineData("""{"source":"//storage.googleapis.com/projects/_/buckets/b","type":"t","data":""}""")]
    [InlineData("""{"id":"1","source":"//storage.googleapis.com/projects/_/buckets/b","data":""}""")]
    [InlineData("""{"id":"1","source":"//storage.googleapis.com/projects/_/buckets/b","type":"t","data":"not base64!"}""")]
    [InlineData("""{"id":"1","source":"//storage.googleapis.com/projects/_/buckets/b","type":"t","data":"",""")]
    public async Task AFileThatIsNoValidEvent_IsSetAsideAsCorrupt_NotDelivered(string json)
    {
        string dir = _dir.Combine("events");
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, "00000000000000000001-0f8fad5bd9cb469fa16570867728950e.json");
        await File.WriteAllTextAsync(path, json);
        var spool = new LocalEventSpool(dir, TimeProvider.System);

        Assert.Empty(spool.Pending(10));
        Assert.True(File.Exists(path + ".corrupt"));
        Assert.Equal(0, spool.Count);
    }
}
