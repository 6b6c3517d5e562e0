using System.Net;
using System.Text;
using System.Text.Json;
using Cctv.Functions.Local;
using Cctv.Shared.CloudEvents;
using CloudNative.CloudEvents;
using Cctv.Shared.Domain;
using Cctv.Shared.Local;
using Cctv.Shared.Ports;

namespace Cctv.Functions.Tests.Finalize;

public sealed class StagingObjectFinalizedTests
{
    private static CloudEvent Finalized(string bucket, string name, long generation, string type = StorageEvents.ObjectFinalized) => StorageEvents.Create(
        $"{bucket}/{name}/{generation}", StorageEvents.Source(bucket), type, $"objects/{name}", DateTimeOffset.UtcNow, "application/json",
        JsonSerializer.SerializeToUtf8Bytes(new StorageObjectData { Bucket = bucket, Name = name, Generation = generation.ToString(System.Globalization.CultureInfo.InvariantCulture) }));

    private static async Task<HttpStatusCode> PostAsync(LocalFunctionsHost host, CloudEvent e)
    {
        using HttpRequestMessage request = CloudEventHttp.ToBinaryModeRequest(e, new Uri(host.BaseUri, LocalEventDispatcher.FinalizePath));
        using HttpResponseMessage response = await host.Client.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task AnUploadedSegment_IsDeliveredAsACloudEvent_Verified_Archived_AndRemovedFromStaging()
    {
        await using LocalFunctionsHost host = await LocalFunctionsHost.StartAsync();
        byte[] bytes = Encoding.UTF8.GetBytes("fragmented mp4 bytes");
        RecordingAnnouncement a = await host.RecordAsync("cam1", 0, bytes);

        Recording r = await host.WaitForStateAsync(a.Id, CloudState.Archived);

        Assert.StartsWith($"recordings/{a.RecorderId}~cam1/", r.ArchiveObject); // the camera key: every site has a cam1
        StoredObject? archived = await host.Backend.Store.GetAsync(LocalBackend.ArchiveBucket, r.ArchiveObject!, CancellationToken.None);
        Assert.Equal(a.Crc32C, archived!.Crc32C);
        await host.WaitForRemovalAsync(LocalBackend.StagingBucket, a.StagingObject);
    }

    [Fact]
    public async Task DuplicatedAndOutOfOrderEvents_ChangeNothing()
    {
        await using LocalFunctionsHost host = await LocalFunctionsHost.StartAsync();
        RecordingAnnouncement a = await host.RecordAsync("cam1", 0, Encoding.UTF8.GetBytes("once"));
        Recording archived = await host.WaitForStateAsync(a.Id, CloudState.Archived);
        StoredObject archiveObject = (await host.Backend.Store.GetAsync(LocalBackend.ArchiveBucket, archived.ArchiveObject!, CancellationToken.None))!;

        // The same event again (at-least-once delivery), and one for an older generation arriving late.
        CloudEvent duplicate = Finalized(LocalBackend.StagingBucket, a.StagingObject, archived.StagingGeneration!.Value);
        Assert.Equal(HttpStatusCode.NoContent, await PostAsync(host, duplicate));
        Assert.Equal(HttpStatusCode.NoContent, await PostAsync(host, duplicate));
        Assert.Equal(HttpStatusCode.NoContent, await PostAsync(host, Finalized(LocalBackend.StagingBucket, a.StagingObject, archived.StagingGeneration.Value - 1)));

        Recording after = (await host.Backend.Catalog.GetAsync(a.Id, CancellationToken.None))!;
        Assert.Equal(archived.Version, after.Version);
        Assert.Equal(archived.ArchivedAt, after.ArchivedAt);
        StoredObject archiveAfter = (await host.Backend.Store.GetAsync(LocalBackend.ArchiveBucket, archived.ArchiveObject!, CancellationToken.None))!;
        Assert.Equal(archiveObject.Generation, archiveAfter.Generation);
        var archiveNames = new List<string>();
        await foreach (StoredObject o in host.Backend.Store.ListAsync(LocalBackend.ArchiveBucket, "recordings/", CancellationToken.None))
        {
            archiveNames.Add(o.Name);
        }
        Assert.Single(archiveNames);
    }

    [Fact]
    public async Task AnObjectThatDoesNotMatchItsAnnouncement_IsQuarantinedAndRemovedSoTheEdgeCanUploadAgain()
    {
        await using LocalFunctionsHost host = await LocalFunctionsHost.StartAsync();
        RecordingAnnouncement a = await host.RecordAsync("cam1", 0, Encoding.UTF8.GetBytes("bytes"), announcedCrc: "AAAAAA==");

        Recording r = await host.WaitForStateAsync(a.Id, CloudState.Quarantined);

        Assert.Contains("CRC32C", r.Reason);
        await host.WaitForRemovalAsync(LocalBackend.StagingBucket, a.StagingObject);
        Assert.Null(r.ArchiveObject);
    }

    [Fact]
    public async Task MalformedEvents_WrongTypes_AndOtherBuckets_AreRefusedWith400()
    {
        await using LocalFunctionsHost host = await LocalFunctionsHost.StartAsync();
        Uri target = new(host.BaseUri, LocalEventDispatcher.FinalizePath);

        using var noHeaders = new HttpRequestMessage(HttpMethod.Post, target) { Content = new StringContent("{}", Encoding.UTF8, "application/json") };
        using HttpResponseMessage r1 = await host.Client.SendAsync(noHeaders);
        Assert.Equal(HttpStatusCode.BadRequest, r1.StatusCode);
        Assert.Contains("ce-id", await r1.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.BadRequest, await PostAsync(host, Finalized(LocalBackend.StagingBucket, "x", 1, type: "google.cloud.storage.object.v1.deleted")));
        Assert.Equal(HttpStatusCode.BadRequest, await PostAsync(host, Finalized("someone-elses-bucket", "x", 1)));

        CloudEvent notJson = Finalized(LocalBackend.StagingBucket, "x", 1);
        notJson.Data = Encoding.UTF8.GetBytes("{not json");
        Assert.Equal(HttpStatusCode.BadRequest, await PostAsync(host, notJson));
    }
}
