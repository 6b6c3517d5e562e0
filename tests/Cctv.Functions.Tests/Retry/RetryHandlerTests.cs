using System.Net;
using System.Text;
using Cctv.Functions.Hosting;
using Cctv.Functions.Retry;
using Cctv.Functions.Tests.Gcp;
using Cctv.Shared.Domain;
using Cctv.Shared.Ports;
using Microsoft.Extensions.Logging;

namespace Cctv.Functions.Tests.Retry;

/// <summary>The retry function behind its OIDC check: pushes and CloudEvents in, archive work done, 2xx only after it is committed.</summary>
public sealed class RetryHandlerTests
{
    [Fact]
    public async Task APush_ProcessesTheObject_AndIsAcknowledgedOnlyAfterItIsArchived_ARepeatChangesNothing()
    {
        await using GcpShapedHost host = await GcpShapedHost.StartAsync();
        RecordingAnnouncement a = await host.RecordAsync("cam1", 0, Encoding.UTF8.GetBytes("segment bytes"));

        using HttpResponseMessage first = await host.Client.SendAsync(host.Push(host.RetryOf(a)));
        Recording archived = (await host.Catalog.GetAsync(a.Id, CancellationToken.None))!;
        using HttpResponseMessage again = await host.Client.SendAsync(host.Push(host.RetryOf(a), messageId: "1002"));

        Assert.Equal(HttpStatusCode.NoContent, first.StatusCode);
        Assert.Equal(CloudState.Archived, archived.State);
        Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);
        Recording after = (await host.Catalog.GetAsync(a.Id, CancellationToken.None))!;
        Assert.Equal((archived.Version, archived.ArchiveGeneration), (after.Version, after.ArchiveGeneration));
        await host.Logs.WaitForAsync(LogLevel.Information, "Retry message 1001", a.StagingObject, "Archived");
    }

    [Fact]
    public async Task TheSameMessageAsAMessagePublishedCloudEvent_IsHandledTheSameWay()
    {
        await using GcpShapedHost host = await GcpShapedHost.StartAsync();
        RecordingAnnouncement a = await host.RecordAsync("cam1", 0, Encoding.UTF8.GetBytes("segment bytes"));
        using HttpRequestMessage request = host.Push(host.RetryOf(a));
        request.Headers.Add("ce-id", "1001");
        request.Headers.Add("ce-source", $"//pubsub.googleapis.com/projects/{GcpShapedHost.Project}/topics/cctv-retry");
        request.Headers.Add("ce-type", PushedMessage.MessagePublishedType);
        request.Headers.Add("ce-specversion", "1.0");

        using HttpResponseMessage response = await host.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(CloudState.Archived, (await host.Catalog.GetAsync(a.Id, CancellationToken.None))!.State);
    }

    [Fact]
    public async Task PushesWithoutAValidTokenOfThePushAccount_AreRefused_WithTheReasonLogged_AndChangeNothing()
    {
        await using GcpShapedHost host = await GcpShapedHost.StartAsync();
        RecordingAnnouncement a = await host.RecordAsync("cam1", 0, Encoding.UTF8.GetBytes("segment bytes"));
        (string? Token, HttpStatusCode Status, string Reason)[] cases =
        [
            (null, HttpStatusCode.Unauthorized, "no Authorization header"),
            ("not.a.token", HttpStatusCode.Unauthorized, "invalid token"),
            (host.Issuer.Token(GcpShapedHost.Audience, GcpShapedHost.PushAccount, signedByStranger: true), HttpStatusCode.Unauthorized, "invalid token"),
            (host.Issuer.Token("https://other-audience.example", GcpShapedHost.PushAccount), HttpStatusCode.Unauthorized, "aud"),
            (host.Issuer.Token(GcpShapedHost.Audience, "someone@test-project.iam.gserviceaccount.com"), HttpStatusCode.Forbidden, "may not call this function"),
        ];

        foreach ((string? token, HttpStatusCode status, string reason) in cases)
        {
            using HttpResponseMessage response = await host.Client.SendAsync(host.Push(host.RetryOf(a), token: token));
            Assert.Equal(status, response.StatusCode);
            Assert.Contains(reason, await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
            await host.Logs.WaitForAsync(LogLevel.Warning, "Refused POST /functions/retry", ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture), reason);
        }
        Assert.Equal(CloudState.Announced, (await host.Catalog.GetAsync(a.Id, CancellationToken.None))!.State);
        Assert.NotNull(await host.Store.GetAsync(GcpShapedHost.Staging, a.StagingObject, CancellationToken.None));
    }

    [Fact]
    public async Task MessagesThatAreNotRetryRequests_Are400_SoPubSubDeadLettersThemForAnOperator()
    {
        await using GcpShapedHost host = await GcpShapedHost.StartAsync();
        string token = host.TokenFor(GcpShapedHost.PushAccount);
        HttpRequestMessage Raw(string body, string? ceType = null)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, FunctionsHost.RetryPath) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            GcpShapedHost.Authorize(request, token);
            if (ceType is not null)
            {
                request.Headers.Add("ce-id", "x");
                request.Headers.Add("ce-source", "//pubsub.googleapis.com/projects/p/topics/t");
                request.Headers.Add("ce-type", ceType);
                request.Headers.Add("ce-specversion", "1.0");
            }
            return request;
        }
        string Envelope(string data) => $$"""{"message":{"data":"{{Convert.ToBase64String(Encoding.UTF8.GetBytes(data))}}","messageId":"7"},"subscription":"s"}""";
        (HttpRequestMessage Request, string Reason)[] cases =
        [
            (Raw("{not json"), "not JSON"),
            (Raw("""{"subscription":"s"}"""), "no message object"),
            (Raw("""{"message":{"data":"e30="}}"""), "no messageId"),
            (Raw(Envelope("hello")), "not a retry request"),
            (Raw(Envelope("""{"bucket":"someone-elses-bucket","name":"x.mp4","reason":"r","source":"finalize","failed_at":"2026-01-15T03:00:00Z"}""")), "not the staging bucket"),
            (Raw(Envelope("{}"), ceType: "google.cloud.storage.object.v1.finalized"), "has type 'google.cloud.storage.object.v1.finalized'"),
        ];

        foreach ((HttpRequestMessage request, string reason) in cases)
        {
            using (request)
            using (HttpResponseMessage response = await host.Client.SendAsync(request))
            {
                Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
                Assert.Contains(reason, await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
            }
            await host.Logs.WaitForAsync(LogLevel.Warning, "Refused a push to the retry handler", reason);
        }
    }

    [Fact]
    public async Task WorkThatFailsAgain_IsNotAcknowledged_Transient503_Other500_AndNothingIsMarkedArchived()
    {
        await using GcpShapedHost host = await GcpShapedHost.StartAsync();
        RecordingAnnouncement a = await host.RecordAsync("cam1", 0, Encoding.UTF8.GetBytes("segment bytes"));
        RecordingAnnouncement b = await host.RecordAsync("cam1", 1, Encoding.UTF8.GetBytes("other bytes"));
        // Someone else's bytes already sit at b's archive name: archiving over them is refused every time.
        await host.Local.Store.UploadAsync(new UploadRequest(GcpShapedHost.Archive, ObjectNames.Archive(b.Camera, b.StartTime, b.Id), "video/mp4",
            Shared.Hashing.Crc32C.ToBase64(Shared.Hashing.Crc32C.Compute("impostor"u8)), null, 0, new Dictionary<string, string>()),
            new MemoryStream("impostor"u8.ToArray()), CancellationToken.None);
        host.Store.TransientCopyFailures = 1;

        using HttpResponseMessage transient = await host.Client.SendAsync(host.Push(host.RetryOf(a)));
        using HttpResponseMessage permanent = await host.Client.SendAsync(host.Push(host.RetryOf(b), messageId: "2002"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, transient.StatusCode);
        Assert.Equal(HttpStatusCode.InternalServerError, permanent.StatusCode);
        Assert.Equal(CloudState.Staged, (await host.Catalog.GetAsync(a.Id, CancellationToken.None))!.State);
        Assert.Equal(CloudState.Staged, (await host.Catalog.GetAsync(b.Id, CancellationToken.None))!.State);
        await host.Logs.WaitForAsync(LogLevel.Warning, "Retry message 1001", "failed again", "not acknowledged");
        await host.Logs.WaitForAsync(LogLevel.Error, "Retry message 2002", "refusing to archive over it");

        using HttpResponseMessage redelivered = await host.Client.SendAsync(host.Push(host.RetryOf(a)));
        Assert.Equal(HttpStatusCode.NoContent, redelivered.StatusCode);
        Assert.Equal(CloudState.Archived, (await host.Catalog.GetAsync(a.Id, CancellationToken.None))!.State);
    }
}
