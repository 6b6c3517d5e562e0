using System.Text.Json;
using System.Text.Json.Nodes;

namespace Cctv.Shared.Gcp.PubSub;

/// <summary>
/// Publishes to Pub/Sub over REST (<c>projects/{p}/topics/{t}:publish</c>): data base64-encoded, attributes,
/// ordering key; returns the server's message IDs in the order of the messages. A failure is an exception
/// (<see cref="GcpTransientException"/> when worth retrying), never a message silently dropped.
/// </summary>
public sealed class PubSubPublisher
{
    /// <summary>Pub/Sub's limit of messages in one publish request.</summary>
    public const int MaxMessagesPerRequest = 1000;

    private readonly GcpEndpoint _endpoint;

    public PubSubPublisher(GcpEndpoint endpoint, string projectId)
    {
        _endpoint = endpoint;
        ProjectId = projectId;
    }

    public string ProjectId { get; }

    public async Task<string> PublishAsync(string topic, PubSubMessage message, CancellationToken cancellationToken) =>
        (await PublishAsync(topic, [message], cancellationToken))[0];

    /// <summary>Publishes to <paramref name="topic"/> (an ID in this project, or a full <c>projects/p/topics/t</c> name).</summary>
    public async Task<IReadOnlyList<string>> PublishAsync(string topic, IReadOnlyList<PubSubMessage> messages, CancellationToken cancellationToken)
    {
        string name = PubSubNames.Topic(ProjectId, topic);
        foreach (PubSubMessage m in messages)
        {
            if (m.Data.IsEmpty && m.Attributes is not { Count: > 0 })
            {
                throw new ArgumentException("A Pub/Sub message needs data or at least one attribute.", nameof(messages));
            }
        }
        var ids = new List<string>(messages.Count);
        foreach (PubSubMessage[] chunk in messages.Chunk(MaxMessagesPerRequest))
        {
            var body = new JsonObject { ["messages"] = new JsonArray([.. chunk.Select(ToJson)]) };
            using JsonDocument? answer = await _endpoint.SendAsync(HttpMethod.Post, $"v1/{name}:publish", body, cancellationToken);
            if (answer is null || !answer.RootElement.TryGetProperty("messageIds", out JsonElement published)
                || published.GetArrayLength() != chunk.Length)
            {
                throw new GcpApiException($"Pub/Sub's answer to a publish of {chunk.Length} message(s) to {name} did not hold their IDs.");
            }
            ids.AddRange(published.EnumerateArray().Select(e => e.GetString()!));
        }
        return ids;
    }

    private static JsonNode ToJson(PubSubMessage m)
    {
        var json = new JsonObject();
        if (!m.Data.IsEmpty)
        {
            json["data"] = Convert.ToBase64String(m.Data.Span);
        }
        if (m.Attributes is { Count: > 0 } attributes)
        {
            var map = new JsonObject();
            foreach ((string attribute, string value) in attributes)
            {
                map[attribute] = value;
            }
            json["attributes"] = map;
        }
        if (m.OrderingKey is { Length: > 0 } orderingKey)
        {
            json["orderingKey"] = orderingKey;
        }
        return json;
    }
}
