using System.Net;
using System.Text;
using System.Text.Json;
using Cctv.Functions.Hosting;
using Cctv.Functions.Retry;
using Cctv.Functions.Tests.Gcp;
using Cctv.Shared.CloudEvents;
using CloudNative.CloudEvents;
using Cctv.Shared.Domain;
using Microsoft.Extensions.Logging;

namespace Cctv.Functions.Tests.Finalize;

/// <summary>The finalize function as the gcp backend wires it: failures go to the retry topic; bad events are refused with 400 and a log line.</summary>
public sealed class GcpFinalizeTests
{
    private static CloudEvent Finalized(string bucket, string name, long generation = 1, string type = StorageEvents.ObjectFinalized) => StorageEvents.Create(
        $"{bucket}/{name}/{generation}", StorageEvents.Source(bucket), type, $"objects/{name}", DateTimeOffset.UtcNow, "application/json",
        JsonSerializer.SerializeToUtf8Bytes(new StorageObjectData { Bucket = bucket, Name = name, Generation = generation.ToString(System.Globalization.CultureInfo.InvariantCulture) }));

    private static async Task<(HttpStatusCode Status, string Body)> PostAsync(GcpShapedHost host, CloudEvent e)
    {
        using HttpRequestMessage request = CloudEventHttp.ToBinaryModeRequest(e, new Uri(host.BaseUri, FunctionsHost.FinalizePath));
        GcpShapedHost.Authorize(request, host.TokenFor(GcpShapedHost.EventarcAccount));
        using HttpResponseMessage response = await host.Client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task AFinalizeEvent_ArchivesTheObject()
    {
        await using GcpShapedHost host = await GcpShapedHost.StartAsync();
        RecordingAnnouncement a = await host.RecordAsync("cam1", 0, Encoding.UTF8.GetBytes("segment"));

        (HttpStatusCode status, _) = await PostAsync(host, Finalized(GcpShapedHost.Staging, a.StagingObject));

        Assert.Equal(HttpStatusCode.NoContent, status);
        Assert.Equal(CloudState.Archived, (await host.Catalog.GetAsync(a.Id, CancellationToken.None))!.State);
        Assert.Empty(host.Retry.Messages);
    }

    [Fact]
    public async Task ATransientFailure_IsHandedToTheRetryTopic_AndTheEventIsAcknowledged()
    {
        await using GcpShapedHost host = await GcpShapedHost.StartAsync();
        RecordingAnnouncement a = await host.RecordAsync("cam1", 0, Encoding.UTF8.GetBytes("segment"));
        host.Store.TransientCopyFailures = 1;

        (HttpStatusCode status, _) = await PostAsync(host, Finalized(GcpShapedHost.Staging, a.StagingObject, generation: 42));

        Assert.Equal(HttpStatusCode.NoContent, status);
        RetryMessage message = Assert.Single(host.Retry.Messages);
        Assert.Equal((GcpShapedHost.Staging, a.StagingObject, (long?)42, a.Id, "finalize"), (message.Bucket, message.Name, message.Generation, message.RecordingId, message.Source));
        Assert.Contains("503", message.Reason);
        Assert.Equal(CloudState.Staged, (await host.Catalog.GetAsync(a.Id, CancellationToken.None))!.State);
        await host.Logs.WaitForAsync(LogLevel.Warning, a.StagingObject, "handed to the retry topic as message m1");
    }

    [Fact]
    public async Task WhenTheRetryTopicIsUnreachableToo_TheEventGets503_SoEventarcDeliversItAgain()
    {
        await using GcpShapedHost host = await GcpShapedHost.StartAsync();
        RecordingAnnouncement a = await host.RecordAsync("cam1", 0, Encoding.UTF8.GetBytes("segment"));
        host.Store.TransientCopyFailures = 1;
        host.Retry.Unavailable = true;

        (HttpStatusCode status, _) = await PostAsync(host, Finalized(GcpShapedHost.Staging, a.StagingObject));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        await host.Logs.WaitForAsync(LogLevel.Error, "will be redelivered");
        host.Retry.Unavailable = false;
        Assert.Equal(HttpStatusCode.NoContent, (await PostAsync(host, Finalized(GcpShapedHost.Staging, a.StagingObject))).Status);
        Assert.Equal(CloudState.Archived, (await host.Catalog.GetAsync(a.Id, CancellationToken.None))!.State);
    }

    [Fact]
    public async Task AnObjectNobodyAnnounced_IsAcknowledged_AndLeftForTheSweep()
    {
        await using GcpShapedHost host = await GcpShapedHost.StartAsync();
        RecordingAnnouncement a = await host.RecordAsync("cam1", 0, Encoding.UTF8.GetBytes("segment"), announce: false);

        (HttpStatusCode status, _) = await PostAsync(host, Finalized(GcpShapedHost.Staging, a.StagingObject));

        Assert.Equal(HttpStatusCode.NoContent, status);
        Assert.Null(await host.Catalog.GetAsync(a.Id, CancellationToken.None));
        Assert.NotNull(await host.Store.GetAsync(GcpShapedHost.Staging, a.StagingObject, CancellationToken.None));
        await host.Logs.WaitForAsync(LogLevel.Warning, a.Id, "staged before it was announced");
    }

    [Fact]
    public async Task MalformedEvents_WrongTypes_AndUnknownBuckets_Are400_WithTheReason_AndALogLine()
    {
        await using GcpShapedHost host = await GcpShapedHost.StartAsync();
        using var noHeaders = new HttpRequestMessage(HttpMethod.Post, FunctionsHost.FinalizePath) { Content = new StringContent("{}", Encoding.UTF8, "application/json") };
        GcpShapedHost.Authorize(noHeaders, host.TokenFor(GcpShapedHost.EventarcAccount));
        using HttpResponseMessage missing = await host.Client.SendAsync(noHeaders);
        CloudEvent badTime = Finalized(GcpShapedHost.Staging, "x.mp4");
        using HttpRequestMessage badTimeRequest = CloudEventHttp.ToBinaryModeRequest(badTime, new Uri(host.BaseUri, FunctionsHost.FinalizePath));
        badTimeRequest.Content!.Headers.Remove("ce-time"); // the package's ToHttpContent puts the ce-* headers on the content
        badTimeRequest.Content.Headers.TryAddWithoutValidation("ce-time", "yesterday");
        GcpShapedHost.Authorize(badTimeRequest, host.TokenFor(GcpShapedHost.EventarcAccount));
        using HttpResponseMessage badTimeResponse = await host.Client.SendAsync(badTimeRequest);

        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Contains("missing CloudEvent header 'ce-id'", await missing.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, badTimeResponse.StatusCode);
        (HttpStatusCode wrongType, string wrongTypeBody) = await PostAsync(host, Finalized(GcpShapedHost.Staging, "x.mp4", type: "google.cloud.storage.object.v1.deleted"));
        Assert.Equal(HttpStatusCode.BadRequest, wrongType);
        Assert.Contains("not handled here", wrongTypeBody);
        (HttpStatusCode otherBucket, string otherBucketBody) = await PostAsync(host, Finalized("someone-elses-bucket", "x.mp4"));
        Assert.Equal(HttpStatusCode.BadRequest, otherBucket);
        Assert.Contains("not the staging bucket", otherBucketBody);
        CloudEvent notJsonEvent = Finalized(GcpShapedHost.Staging, "x.mp4");
        notJsonEvent.Data = "{not json"u8.ToArray();
        (HttpStatusCode notJson, _) = await PostAsync(host, notJsonEvent);
        Assert.Equal(HttpStatusCode.BadRequest, notJson);

        await host.Logs.WaitForAsync(LogLevel.Warning, "Refused a malformed CloudEvent", "ce-id");
        await host.Logs.WaitForAsync(LogLevel.Warning, "Refused a malformed CloudEvent", "ce-time 'yesterday'");
        await host.Logs.WaitForAsync(LogLevel.Warning, "type google.cloud.storage.object.v1.deleted is not one this function handles");
        await host.Logs.WaitForAsync(LogLevel.Warning, "bucket 'someone-elses-bucket' is not the staging bucket");
        await host.Logs.WaitForAsync(LogLevel.Warning, "its data is not valid JSON");
        Assert.Empty(host.Logs.Find(LogLevel.Error));
    }
}
