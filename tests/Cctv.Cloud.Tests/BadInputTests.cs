using System.Net;
using System.Text;
using Cctv.Functions.Hosting;
using Cctv.Functions.Retry;
using Cctv.Shared.CloudEvents;
using CloudNative.CloudEvents;
using Cctv.Shared.Gcp;
using Cctv.Shared.Gcp.PubSub;
using Cctv.Testing.Gcs;
using Microsoft.Extensions.Logging;

namespace Cctv.Cloud.Tests;

/// <summary>
/// Bad input on the gcp stack: malformed CloudEvents, wrong event types, unknown buckets, and pushes or sweep calls
/// without a valid OIDC token. Each is refused with the right status and a log line that says why, and changes nothing.
/// </summary>
[Collection(EmulatorsCollection.Name)]
[Trait("Category", "Slow")]
public sealed class BadInputTests(EmulatorsFixture emulators)
{
    [Fact]
    public async Task MalformedEvents_WrongTypes_AndUnknownBuckets_Are400_WithTheReasonAndALogLine()
    {
        await using GcpStack stack = await GcpStack.StartAsync(emulators);
        TestObject staged = stack.Gcs.PutObject(GcpStack.Staging, "incoming/site/gate/3e1e8f1e-2f55-5d2b-9c43-2a6e1bd1f1a0.mp4", "x"u8.ToArray(), "video/mp4");
        TestObject archived = stack.Gcs.PutObject(GcpStack.ArchiveBucket, "recordings/gate/2026/01/15/030000_x.mp4", "x"u8.ToArray(), "video/mp4");
        await stack.Eventarc.WaitIdleAsync(TimeSpan.FromSeconds(30));
        int deliveriesBefore = stack.Eventarc.Deliveries.Count;
        CloudEvent good = FakeEventarc.EventOf(staged);
        var finalize = new Uri(stack.FunctionsUri, FunctionsHost.FinalizePath);

        HttpRequestMessage Without(string header)
        {
            HttpRequestMessage request = stack.Eventarc.RequestFor(good);
            request.Content!.Headers.Remove(header); // the package's ToHttpContent puts the ce-* headers on the content
            return request;
        }
        HttpRequestMessage With(string header, string value)
        {
            HttpRequestMessage request = stack.Eventarc.RequestFor(good);
            request.Content!.Headers.Remove(header);
            request.Content.Headers.TryAddWithoutValidation(header, value);
            return request;
        }
        (HttpRequestMessage Request, string Reason, string Logged)[] cases =
        [
            (new HttpRequestMessage(HttpMethod.Post, finalize) { Content = new StringContent("{}", Encoding.UTF8, "application/json") },
                "missing CloudEvent header 'ce-id'", "Refused a malformed CloudEvent"),
            (Without("ce-source"), "missing CloudEvent header 'ce-source'", "Refused a malformed CloudEvent"),
            (With("ce-specversion", "0.3"), "unsupported CloudEvents specversion '0.3'", "Refused a malformed CloudEvent"),
            (With("ce-time", "yesterday"), "ce-time 'yesterday'", "Refused a malformed CloudEvent"),
            (stack.Eventarc.RequestFor(FakeEventarc.EventOf(staged, e => e.Type = "google.cloud.storage.object.v1.deleted")), "is not handled here",
                "type google.cloud.storage.object.v1.deleted is not one this function handles"),
            (stack.Eventarc.RequestFor(FakeEventarc.EventOf(staged, e => e.Type = "google.cloud.pubsub.topic.v1.messagePublished")), "is not handled here",
                "type google.cloud.pubsub.topic.v1.messagePublished is not one this function handles"),
            (stack.Eventarc.RequestFor(FakeEventarc.EventOf(archived)), "bucket 'cctv-archive' is not the staging bucket", "bucket 'cctv-archive' is not the staging bucket"),
            (stack.Eventarc.RequestFor(FakeEventarc.EventOf(staged, e => e.Data = "{\"bucket\":"u8.ToArray())), "event data is not valid JSON", "its data is not valid JSON"),
            (stack.Eventarc.RequestFor(FakeEventarc.EventOf(staged, e => e.Data = "{}"u8.ToArray())), "no bucket or object name", "no bucket or object name"),
        ];

        foreach ((HttpRequestMessage request, string reason, string logged) in cases)
        {
            (HttpStatusCode status, string body) = await stack.Eventarc.SendAsync(request);
            request.Dispose();
            Assert.True(status == HttpStatusCode.BadRequest, $"{reason}: {(int)status} {body}");
            Assert.Contains(reason, body);
            Assert.NotEmpty(stack.Logs.Find(LogLevel.Warning, logged));
        }
        Assert.Empty(stack.Logs.Find(LogLevel.Error));
        Assert.Equal(deliveriesBefore, stack.Eventarc.Deliveries.Count);
        Assert.NotNull(stack.Gcs.Find(GcpStack.Staging, staged.Name)); // nothing was processed
    }

    [Fact]
    public async Task PushesAndSweepCalls_WithoutAValidOidcToken_Are401Or403_WithTheReasonLogged()
    {
        await using GcpStack stack = await GcpStack.StartAsync(emulators);
        var message = new RetryMessage(GcpStack.Staging, "incoming/site/gate/x.mp4", 1, null, "test", "finalize", DateTimeOffset.UtcNow);
        string push = $$"""{"message":{"data":"{{Convert.ToBase64String(message.ToJson())}}","messageId":"42"},"subscription":"projects/{{stack.Project}}/subscriptions/s"}""";
        (string Path, string? Token, HttpStatusCode Status, string Reason)[] cases =
        [
            (FunctionsHost.RetryPath, null, HttpStatusCode.Unauthorized, "no Authorization header"),
            (FunctionsHost.RetryPath, "Basic cHVzaDpwdXNo", HttpStatusCode.Unauthorized, "not a bearer token"),
            (FunctionsHost.RetryPath, "Bearer " + emulators.Issuer.Token(GcpStack.Audience, GcpStack.PushAccount, signedByStranger: true), HttpStatusCode.Unauthorized, "invalid token"),
            (FunctionsHost.RetryPath, "Bearer " + emulators.Issuer.Token(GcpStack.Audience, GcpStack.PushAccount, lifetime: TimeSpan.FromMinutes(1),
                issuedAt: DateTimeOffset.UtcNow.AddHours(-1)), HttpStatusCode.Unauthorized, "expired"),
            (FunctionsHost.RetryPath, "Bearer " + emulators.Issuer.Token("https://cctv-retry-abc.a.run.app", GcpStack.PushAccount), HttpStatusCode.Unauthorized, "aud"),
            (FunctionsHost.RetryPath, "Bearer eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJ4In0.SIGNATURE_REMOVED_BY_GOOGLE", HttpStatusCode.Unauthorized, "signature was removed"),
            (FunctionsHost.RetryPath, "Bearer " + emulators.Issuer.Token(GcpStack.Audience, "intruder@cctv-cloud-test.iam.gserviceaccount.com"), HttpStatusCode.Forbidden,
                "intruder@cctv-cloud-test.iam.gserviceaccount.com may not call this function"),
            (FunctionsHost.ReconcilePath, null, HttpStatusCode.Unauthorized, "no Authorization header"),
            (FunctionsHost.RetentionPath, "Bearer " + emulators.Issuer.Token(GcpStack.Audience, "user@example.com"), HttpStatusCode.Forbidden, "may not call this function"),
        ];

        foreach ((string path, string? token, HttpStatusCode status, string reason) in cases)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(push, Encoding.UTF8, "application/json") };
            if (token is not null)
            {
                request.Headers.TryAddWithoutValidation("Authorization", token);
            }
            using HttpResponseMessage response = await stack.Client.SendAsync(request);
            Assert.Equal(status, response.StatusCode);
            Assert.Contains(reason, await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
            Assert.NotEmpty(stack.Logs.Find(LogLevel.Warning, $"Refused POST {path}", ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture), reason));
        }
        Assert.Null(await stack.Catalog.GetCheckpointAsync("sweep-reconcile", CancellationToken.None)); // no sweep ran
    }

    [Fact]
    public async Task APushSubscriptionWithoutATokenOfItsOwn_IsRefusedOnEveryAttempt_AndItsMessageEndsInTheDeadLetterTopic()
    {
        await using GcpStack stack = await GcpStack.StartAsync(emulators);
        using GcpEndpoint pubsub = GcpEndpoint.Emulator(GcpService.PubSub, emulators.PubSubHostPort);
        var admin = new PubSubAdmin(pubsub, stack.Project);
        string topic = $"{stack.Prefix}-unsigned";
        // The emulator pushes straight to the function, with no token at all.
        await admin.CreateTopicAsync(topic, CancellationToken.None);
        await admin.CreateSubscriptionAsync(new PubSubSubscriptionSpec($"{topic}-push", topic)
        {
            PushEndpoint = new Uri(stack.FunctionsUri, FunctionsHost.RetryPath),
            DeadLetter = new PubSubDeadLetterPolicy($"{stack.Prefix}-retry-dead-letter", GcpStack.MaxDeliveryAttempts),
            RetryBackoff = (TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)),
        }, CancellationToken.None);
        var message = new RetryMessage(GcpStack.Staging, "incoming/site/gate/x.mp4", 1, "3e1e8f1e-2f55-5d2b-9c43-2a6e1bd1f1a0", "test", "finalize", DateTimeOffset.UtcNow);

        await new PubSubPublisher(pubsub, stack.Project).PublishAsync(topic, new PubSubMessage(message.ToJson(), message.Attributes()), CancellationToken.None);
        PubSubReceivedMessage dead = Assert.Single(await stack.DeadLettersAsync(1, TimeSpan.FromSeconds(45)));

        Assert.Equal("3e1e8f1e-2f55-5d2b-9c43-2a6e1bd1f1a0", dead.Attributes["recording_id"]);
        Assert.Equal(GcpStack.MaxDeliveryAttempts, stack.Logs.Find(LogLevel.Warning, $"Refused POST {FunctionsHost.RetryPath}", "401", "no Authorization header").Count);
        Assert.Empty(stack.Relay.Pushes);
    }
}
