using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Cctv.Shared.Gcp;
using Cctv.Shared.Gcp.PubSub;
using Cctv.TestSupport.Gcp;

namespace Cctv.Shared.Tests.Gcp.PubSub;

/// <summary>Publisher, subscriber and admin against the Pub/Sub emulator. Each test uses its own topic and subscription names.</summary>
[Collection(PubSubEmulatorCollection.Name)]
public sealed class PubSubTests(PubSubEmulatorFixture emulator)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly string _prefix = "t" + Guid.NewGuid().ToString("N")[..10];
    private readonly PubSubPublisher _publisher = new(emulator.Endpoint, PubSubEmulatorFixture.ProjectId);
    private readonly PubSubSubscriber _subscriber = new(emulator.Endpoint, PubSubEmulatorFixture.ProjectId);
    private readonly PubSubAdmin _admin = new(emulator.Endpoint, PubSubEmulatorFixture.ProjectId);

    [Fact]
    public async Task Publish_ThenPull_GivesBackDataAttributesAndIds_AndAcknowledgedMessagesAreNotRedelivered()
    {
        await _admin.CreateTopicAsync($"{_prefix}-events", CancellationToken.None);
        await _admin.CreateSubscriptionAsync(new PubSubSubscriptionSpec($"{_prefix}-pull", $"{_prefix}-events"), CancellationToken.None);
        PubSubMessage[] messages =
        [
            new(Encoding.UTF8.GetBytes("""{"recording":"a"}"""), new Dictionary<string, string> { ["kind"] = "retry", ["attempt"] = "1" }),
            new(Encoding.UTF8.GetBytes("second")),
            new(ReadOnlyMemory<byte>.Empty, new Dictionary<string, string> { ["only"] = "attributes" }),
        ];

        IReadOnlyList<string> ids = await _publisher.PublishAsync($"{_prefix}-events", messages, CancellationToken.None);
        List<PubSubReceivedMessage> received = await PullAtLeastAsync($"{_prefix}-pull", 3);
        await _subscriber.AcknowledgeAsync($"{_prefix}-pull", [.. received.Select(m => m.AckId)], CancellationToken.None);

        Assert.Equal(3, ids.Distinct().Count());
        Assert.Equal(ids.Order(), received.Select(m => m.MessageId).Order());
        PubSubReceivedMessage first = received.Single(m => m.MessageId == ids[0]);
        Assert.Equal("""{"recording":"a"}""", Encoding.UTF8.GetString(first.Data));
        Assert.Equal(new Dictionary<string, string> { ["kind"] = "retry", ["attempt"] = "1" }, first.Attributes);
        Assert.NotNull(first.PublishTime);
        Assert.Empty(received.Single(m => m.MessageId == ids[2]).Data);
        Assert.Empty(await _subscriber.PullAsync($"{_prefix}-pull", 10, CancellationToken.None, returnImmediately: true));
    }

    [Fact]
    public async Task MessagesNackedFiveTimes_EndInTheDeadLetterTopic_WithTheirDeliveryCount()
    {
        await _admin.CreateTopicAsync($"{_prefix}-work", CancellationToken.None);
        await _admin.CreateTopicAsync($"{_prefix}-dead", CancellationToken.None);
        await _admin.CreateSubscriptionAsync(new PubSubSubscriptionSpec($"{_prefix}-dead-sub", $"{_prefix}-dead"), CancellationToken.None);
        await _admin.CreateSubscriptionAsync(new PubSubSubscriptionSpec($"{_prefix}-work-sub", $"{_prefix}-work")
        {
            DeadLetter = new PubSubDeadLetterPolicy($"{_prefix}-dead", MaxDeliveryAttempts: 5),
        }, CancellationToken.None);
        string id = await _publisher.PublishAsync($"{_prefix}-work", new PubSubMessage(Encoding.UTF8.GetBytes("poison"),
            new Dictionary<string, string> { ["recording"] = "r-1" }), CancellationToken.None);

        var attempts = new List<int?>();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < Patience)
        {
            IReadOnlyList<PubSubReceivedMessage> got = await _subscriber.PullAsync($"{_prefix}-work-sub", 10, CancellationToken.None, returnImmediately: true);
            if (got.Count == 0 && attempts.Count >= 5)
            {
                break;
            }
            attempts.AddRange(got.Select(m => m.DeliveryAttempt));
            await _subscriber.NackAsync($"{_prefix}-work-sub", [.. got.Select(m => m.AckId)], CancellationToken.None);
        }
        PubSubReceivedMessage dead = Assert.Single(await PullAtLeastAsync($"{_prefix}-dead-sub", 1));

        Assert.Equal([1, 2, 3, 4, 5], attempts);
        Assert.Equal("poison", Encoding.UTF8.GetString(dead.Data));
        Assert.Equal("r-1", dead.Attributes["recording"]);
        Assert.Equal("5", dead.Attributes["CloudPubSubDeadLetterSourceDeliveryCount"]);
        Assert.Equal($"{_prefix}-work-sub", dead.Attributes["CloudPubSubDeadLetterSourceSubscription"]);
        Assert.NotEqual(id, dead.MessageId); // republished on the dead-letter topic
    }

    [Fact]
    public async Task PushSubscription_WithADeadLetterPolicy_PushesToTheEndpoint_AndDeadLettersWhatItKeepsRefusing()
    {
        using var endpoint = new StubHttpServer(r => r.Body.Contains("\"cmVmdXNl\"", StringComparison.Ordinal) ? (500, "") : (204, ""));
        await _admin.CreateTopicAsync($"{_prefix}-push", CancellationToken.None);
        await _admin.CreateTopicAsync($"{_prefix}-push-dead", CancellationToken.None);
        await _admin.CreateSubscriptionAsync(new PubSubSubscriptionSpec($"{_prefix}-push-dead-sub", $"{_prefix}-push-dead"), CancellationToken.None);
        await _admin.CreateSubscriptionAsync(new PubSubSubscriptionSpec($"{_prefix}-push-sub", $"{_prefix}-push")
        {
            PushEndpoint = new Uri(endpoint.Root, "retry"),
            DeadLetter = new PubSubDeadLetterPolicy($"{_prefix}-push-dead", MaxDeliveryAttempts: 5),
            RetryBackoff = (TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)),
        }, CancellationToken.None);

        string accepted = await _publisher.PublishAsync($"{_prefix}-push", new PubSubMessage(Encoding.UTF8.GetBytes("accept")), CancellationToken.None);
        await _publisher.PublishAsync($"{_prefix}-push", new PubSubMessage(Encoding.UTF8.GetBytes("refuse")), CancellationToken.None);
        PubSubReceivedMessage dead = Assert.Single(await PullAtLeastAsync($"{_prefix}-push-dead-sub", 1));

        Assert.Equal("refuse", Encoding.UTF8.GetString(dead.Data));
        Assert.Equal("5", dead.Attributes["CloudPubSubDeadLetterSourceDeliveryCount"]);
        RecordedRequest[] pushes = [.. endpoint.Requests];
        Assert.All(pushes, p => Assert.Equal(("POST", "/retry"), (p.Method, p.PathAndQuery)));
        RecordedRequest acceptedPush = Assert.Single(pushes, p => p.Body.Contains("\"YWNjZXB0\"", StringComparison.Ordinal));
        using JsonDocument body = JsonDocument.Parse(acceptedPush.Body);
        Assert.Equal(accepted, body.RootElement.GetProperty("message").GetProperty("messageId").GetString());
        Assert.Equal($"projects/{PubSubEmulatorFixture.ProjectId}/subscriptions/{_prefix}-push-sub", body.RootElement.GetProperty("subscription").GetString());
        Assert.Equal(5, pushes.Count(p => p.Body.Contains("\"cmVmdXNl\"", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Publish_ToATopicThatDoesNotExist_IsANotFoundError_NotATransientOne()
    {
        GcpApiException e = await Assert.ThrowsAsync<GcpApiException>(() =>
            _publisher.PublishAsync($"{_prefix}-missing", new PubSubMessage(Encoding.UTF8.GetBytes("x")), CancellationToken.None));

        Assert.Equal((404, "NOT_FOUND"), (e.HttpStatus, e.Status));
    }

    [Fact]
    public async Task DeadLetterPolicy_OutsideFiveToAHundredAttempts_IsRefusedBeforeTheCall()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => _admin.CreateSubscriptionAsync(new PubSubSubscriptionSpec($"{_prefix}-s", $"{_prefix}-t")
        {
            DeadLetter = new PubSubDeadLetterPolicy($"{_prefix}-d", 4),
        }, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => _publisher.PublishAsync($"{_prefix}-t", new PubSubMessage(ReadOnlyMemory<byte>.Empty), CancellationToken.None));
    }

    private async Task<List<PubSubReceivedMessage>> PullAtLeastAsync(string subscription, int count)
    {
        var received = new List<PubSubReceivedMessage>();
        var clock = Stopwatch.StartNew();
        while (received.Count < count)
        {
            Assert.True(clock.Elapsed < Patience, $"{subscription} delivered {received.Count} of {count} messages in {Patience.TotalSeconds} s.");
            IReadOnlyList<PubSubReceivedMessage> got = await _subscriber.PullAsync(subscription, count, CancellationToken.None, returnImmediately: true);
            received.AddRange(got);
            if (got.Count == 0)
            {
                await Task.Delay(100);
            }
        }
        return received;
    }
}
