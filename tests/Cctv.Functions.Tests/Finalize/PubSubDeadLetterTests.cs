using System.Globalization;
using System.Net;
using System.Text.Json;
using Cctv.Functions.Finalize;
using Cctv.Functions.Gcp;
using Cctv.Functions.Hosting;
using Cctv.Functions.Tests.Gcp;
using Cctv.Shared.CloudEvents;
using CloudNative.CloudEvents;
using Cctv.Shared.Domain;
using Cctv.Shared.Gcp.PubSub;
using Cctv.TestSupport.Gcp;
using Microsoft.Extensions.Logging;

namespace Cctv.Functions.Tests.Finalize;

/// <summary>
/// On the gcp backend an event refused for good is a message on the dead-letter topic (the Pub/Sub emulator, for real,
/// wired by <see cref="GcpBackend.CreateAsync"/> from the settings) before it is answered 400; when it cannot be
/// published the answer is 503, so Eventarc delivers the event again instead of it being dropped.
/// </summary>
[Trait("Category", "Slow")]
public sealed class PubSubDeadLetterTests(PubSubEmulatorFixture emulator) : IClassFixture<PubSubEmulatorFixture>
{
    private static readonly string PoisonName = $"../{RecordingId.For("r1", "cam1", 1, 0)}.mp4";

    private static CloudEvent Finalized(string name, long generation = 7) => StorageEvents.Create(
        $"{GcpShapedHost.Staging}/{name}/{generation}", StorageEvents.Source(GcpShapedHost.Staging), StorageEvents.ObjectFinalized,
        $"objects/{name}", DateTimeOffset.UtcNow, "application/json",
        JsonSerializer.SerializeToUtf8Bytes(new StorageObjectData { Bucket = GcpShapedHost.Staging, Name = name, Generation = generation.ToString(CultureInfo.InvariantCulture) }));

    /// <summary>A dead-letter topic and its pull subscription of their own, and a gcp backend built from settings naming them.</summary>
    private static async Task<(GcpBackend Cloud, string Subscription)> DeadLetterTopicAsync(string hostPort, Cctv.Shared.Gcp.GcpEndpoint admin)
    {
        string topic = "dl-" + Guid.NewGuid().ToString("N")[..12];
        var pubsub = new PubSubAdmin(admin, PubSubEmulatorFixture.ProjectId);
        await pubsub.CreateTopicAsync(topic, CancellationToken.None);
        await pubsub.CreateSubscriptionAsync(new PubSubSubscriptionSpec(topic + "-sub", topic), CancellationToken.None);
        var settings = new GcpFunctionsSettings
        {
            ProjectId = PubSubEmulatorFixture.ProjectId,
            StagingBucket = GcpShapedHost.Staging,
            ArchiveBucket = GcpShapedHost.Archive,
            RetryTopic = topic + "-retry",
            DeadLetterTopic = topic,
            PubSubEmulatorHost = hostPort,
            // Neither is called by these tests (the host runs over the embedded store and catalog); nothing listens there.
            FirestoreEmulatorHost = "127.0.0.1:9",
            StorageEndpoint = new Uri("http://127.0.0.1:9/"),
        };
        return (await GcpBackend.CreateAsync(settings, TimeProvider.System, CancellationToken.None), topic + "-sub");
    }

    private static async Task<(HttpStatusCode Status, string Body)> PostAsync(GcpShapedHost host, CloudEvent e)
    {
        // The finalize service (FUNCTION_TARGET=StagingObjectFinalized) serves "/"; Cloud Run's invoker check is in front of it.
        using HttpRequestMessage request = CloudEventHttp.ToBinaryModeRequest(e, new Uri(host.BaseUri, "/"));
        using HttpResponseMessage response = await host.Client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Everything on the subscription: waits for at least <paramref name="count"/>, then a little longer for any more.</summary>
    private async Task<List<PubSubReceivedMessage>> PullAsync(string subscription, int count)
    {
        var subscriber = new PubSubSubscriber(emulator.Endpoint, PubSubEmulatorFixture.ProjectId);
        var received = new List<PubSubReceivedMessage>();
        DateTime deadline = DateTime.UtcNow.AddSeconds(20);
        DateTime? settle = null;
        while (DateTime.UtcNow < deadline && (settle is null || DateTime.UtcNow < settle))
        {
            IReadOnlyList<PubSubReceivedMessage> got = await subscriber.PullAsync(subscription, 10, CancellationToken.None, returnImmediately: true);
            received.AddRange(got);
            await subscriber.AcknowledgeAsync(subscription, [.. got.Select(m => m.AckId)], CancellationToken.None);
            if (received.Count >= count)
            {
                settle ??= DateTime.UtcNow.AddSeconds(1.5);
            }
            await Task.Delay(100);
        }
        return received;
    }

    [Fact]
    public async Task APoisonEvent_Is400_AfterExactlyOneDeadLetterWithTheReasonIsPublished()
    {
        (GcpBackend cloud, string subscription) = await DeadLetterTopicAsync(emulator.HostPort, emulator.Endpoint);
        using GcpBackend owned = cloud;
        await using GcpShapedHost host = await GcpShapedHost.StartAsync(FunctionTargets.StagingObjectFinalized, deadLetters: cloud.DeadLetters);
        CloudEvent poison = Finalized(PoisonName, generation: 1712);

        (HttpStatusCode status, string body) = await PostAsync(host, poison);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("is not a staging object name", body);
        PubSubReceivedMessage message = Assert.Single(await PullAsync(subscription, 1));
        Assert.Equal(PubSubDeadLetters.Kind, message.Attributes[PubSubDeadLetters.KindAttribute]);
        Assert.Equal(poison.Id, message.Attributes[PubSubDeadLetters.EventIdAttribute]);
        Assert.Equal(StorageEvents.ObjectFinalized, message.Attributes[PubSubDeadLetters.EventTypeAttribute]);
        Assert.Equal($"gs://{GcpShapedHost.Staging}/{PoisonName}", message.Attributes[PubSubDeadLetters.ObjectAttribute]);
        Assert.Equal("1712", message.Attributes[PubSubDeadLetters.GenerationAttribute]);
        DeadLetter letter = JsonSerializer.Deserialize<DeadLetter>(message.Data)!;
        Assert.Equal((poison.Id, poison.Type, poison.Source!.OriginalString, poison.Subject), (letter.EventId, letter.Type, letter.Source, letter.Subject));
        Assert.Equal((GcpShapedHost.Staging, PoisonName, "1712"), (letter.Bucket, letter.Name, letter.Generation));
        Assert.Contains("is not a staging object name", letter.Reason);
        Assert.Equal(host.Clock.GetUtcNow(), letter.RefusedAt);
        Assert.Equal((byte[])poison.Data!, Convert.FromBase64String(letter.Data));
        await host.Logs.WaitForAsync(LogLevel.Warning, "Dead letter", poison.Id!, $"message {message.MessageId} on");
        Assert.Empty(host.Logs.Find(LogLevel.Error));
    }

    [Fact]
    public async Task ARedeliveredPoisonEvent_IsRecordedAgain_UnderTheSameEventId_SoConsumersCanDedupe()
    {
        (GcpBackend cloud, string subscription) = await DeadLetterTopicAsync(emulator.HostPort, emulator.Endpoint);
        using GcpBackend owned = cloud;
        await using GcpShapedHost host = await GcpShapedHost.StartAsync(FunctionTargets.StagingObjectFinalized, deadLetters: cloud.DeadLetters);
        CloudEvent poison = Finalized(PoisonName);
        CloudEvent other = Finalized("/" + PoisonName.TrimStart('.', '/'), generation: 8);

        Assert.Equal(HttpStatusCode.BadRequest, (await PostAsync(host, poison)).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await PostAsync(host, poison)).Status); // Eventarc's redelivery
        Assert.Equal(HttpStatusCode.BadRequest, (await PostAsync(host, other)).Status);

        List<PubSubReceivedMessage> messages = await PullAsync(subscription, 3);
        Assert.Equal(3, messages.Count);
        Assert.Equal(3, messages.Select(m => m.MessageId).Distinct().Count());
        var byEvent = messages.GroupBy(m => m.Attributes[PubSubDeadLetters.EventIdAttribute]).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(new Dictionary<string, int> { [poison.Id!] = 2, [other.Id!] = 1 }, byEvent);
    }

    [Fact]
    public async Task WhenTheDeadLetterTopicCannotBeReached_APoisonEventIs503_SoEventarcDeliversItAgain()
    {
        // An emulator of this test's own, to be stopped.
        await using GcloudEmulator own = await GcloudEmulator.StartPubSubAsync(PubSubEmulatorFixture.ProjectId);
        using Cctv.Shared.Gcp.GcpEndpoint admin = GcloudEmulator.Endpoint(Cctv.Shared.Gcp.GcpService.PubSub, own.HostPort);
        (GcpBackend cloud, _) = await DeadLetterTopicAsync(own.HostPort, admin);
        using GcpBackend owned = cloud;
        await using GcpShapedHost host = await GcpShapedHost.StartAsync(FunctionTargets.StagingObjectFinalized, deadLetters: cloud.DeadLetters);
        Assert.Equal(HttpStatusCode.BadRequest, (await PostAsync(host, Finalized(PoisonName, generation: 1))).Status); // recorded while it is up

        await own.StopAsync();
        CloudEvent poison = Finalized(PoisonName, generation: 2);
        (HttpStatusCode status, string body) = await PostAsync(host, poison);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("could not be recorded; retry", body);
        await host.Logs.WaitForAsync(LogLevel.Error, poison.Id!, "could not be recorded as a dead letter; it will be redelivered");
        Assert.Empty(host.Logs.Find(LogLevel.Warning, "Dead letter: CloudEvent", poison.Id!));
    }
}
