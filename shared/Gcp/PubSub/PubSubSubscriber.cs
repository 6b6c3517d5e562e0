using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Cctv.Shared.Gcp.PubSub;

/// <summary>Pulls from a pull subscription and acknowledges or nacks what it got (REST: pull, acknowledge, modifyAckDeadline).</summary>
public sealed class PubSubSubscriber
{
    private readonly GcpEndpoint _endpoint;

    public PubSubSubscriber(GcpEndpoint endpoint, string projectId)
    {
        _endpoint = endpoint;
        ProjectId = projectId;
    }

    public string ProjectId { get; }

    /// <summary>
    /// Up to <paramref name="maxMessages"/> messages. With <paramref name="returnImmediately"/> false the server may wait
    /// for messages to arrive; with true an empty list means none were ready (Google deprecates that mode for production).
    /// </summary>
    public async Task<IReadOnlyList<PubSubReceivedMessage>> PullAsync(
        string subscription, int maxMessages, CancellationToken cancellationToken, bool returnImmediately = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMessages, 1);
        string name = PubSubNames.Subscription(ProjectId, subscription);
        var body = new JsonObject { ["maxMessages"] = maxMessages, ["returnImmediately"] = returnImmediately };
        using JsonDocument? answer = await _endpoint.SendAsync(HttpMethod.Post, $"v1/{name}:pull", body, cancellationToken);
        var result = new List<PubSubReceivedMessage>();
        if (answer is not null && answer.RootElement.TryGetProperty("receivedMessages", out JsonElement received))
        {
            foreach (JsonElement r in received.EnumerateArray())
            {
                JsonElement m = r.GetProperty("message");
                var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
                if (m.TryGetProperty("attributes", out JsonElement attrs))
                {
                    foreach (JsonProperty p in attrs.EnumerateObject())
                    {
                        attributes[p.Name] = p.Value.GetString() ?? "";
                    }
                }
                result.Add(new PubSubReceivedMessage(
                    r.GetProperty("ackId").GetString()!,
                    m.GetProperty("messageId").GetString()!,
                    m.TryGetProperty("data", out JsonElement data) ? Convert.FromBase64String(data.GetString() ?? "") : [],
                    attributes,
                    m.TryGetProperty("publishTime", out JsonElement t)
                        ? DateTimeOffset.Parse(t.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal) : null,
                    r.TryGetProperty("deliveryAttempt", out JsonElement attempt) ? attempt.GetInt32() : null));
            }
        }
        return result;
    }

    public async Task AcknowledgeAsync(string subscription, IReadOnlyCollection<string> ackIds, CancellationToken cancellationToken)
    {
        if (ackIds.Count == 0)
        {
            return;
        }
        string name = PubSubNames.Subscription(ProjectId, subscription);
        var body = new JsonObject { ["ackIds"] = new JsonArray([.. ackIds.Select(a => (JsonNode)a)]) };
        using JsonDocument? _ = await _endpoint.SendAsync(HttpMethod.Post, $"v1/{name}:acknowledge", body, cancellationToken);
    }

    /// <summary>Gives the messages back for redelivery now (a nack: ack deadline 0); each nack counts as a delivery attempt.</summary>
    public Task NackAsync(string subscription, IReadOnlyCollection<string> ackIds, CancellationToken cancellationToken) =>
        ModifyAckDeadlineAsync(subscription, ackIds, TimeSpan.Zero, cancellationToken);

    public async Task ModifyAckDeadlineAsync(string subscription, IReadOnlyCollection<string> ackIds, TimeSpan deadline, CancellationToken cancellationToken)
    {
        if (ackIds.Count == 0)
        {
            return;
        }
        string name = PubSubNames.Subscription(ProjectId, subscription);
        var body = new JsonObject
        {
            ["ackIds"] = new JsonArray([.. ackIds.Select(a => (JsonNode)a)]),
            ["ackDeadlineSeconds"] = (int)deadline.TotalSeconds,
        };
        using JsonDocument? _ = await _endpoint.SendAsync(HttpMethod.Post, $"v1/{name}:modifyAckDeadline", body, cancellationToken);
    }
}
