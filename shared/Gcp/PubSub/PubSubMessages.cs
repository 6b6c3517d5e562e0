namespace Cctv.Shared.Gcp.PubSub;

/// <summary>A message to publish: data (may be empty when there are attributes), attributes, an optional ordering key.</summary>
public sealed record PubSubMessage(ReadOnlyMemory<byte> Data, IReadOnlyDictionary<string, string>? Attributes = null, string? OrderingKey = null);

/// <summary>A message as a pull delivered it; <see cref="AckId"/> acknowledges or nacks it.</summary>
public sealed record PubSubReceivedMessage(
    string AckId,
    string MessageId,
    byte[] Data,
    IReadOnlyDictionary<string, string> Attributes,
    DateTimeOffset? PublishTime,
    int? DeliveryAttempt);

/// <summary>Where messages that keep failing go, after how many delivery attempts (5 to 100).</summary>
public sealed record PubSubDeadLetterPolicy(string DeadLetterTopic, int MaxDeliveryAttempts);

/// <summary>A subscription to create: pull when <see cref="PushEndpoint"/> is null, else push (optionally with an OIDC token).</summary>
public sealed record PubSubSubscriptionSpec(string Name, string Topic)
{
    public Uri? PushEndpoint { get; init; }

    /// <summary>For push: the service account whose OIDC token Pub/Sub sends, and the token's audience.</summary>
    public string? PushServiceAccount { get; init; }

    public string? PushAudience { get; init; }

    public TimeSpan AckDeadline { get; init; } = TimeSpan.FromSeconds(10);

    public PubSubDeadLetterPolicy? DeadLetter { get; init; }

    /// <summary>Back-off between redeliveries; null leaves Pub/Sub's immediate redelivery.</summary>
    public (TimeSpan Minimum, TimeSpan Maximum)? RetryBackoff { get; init; }
}

/// <summary>Resource names: a short ID is placed in the project; a full name (<c>projects/...</c>) is kept.</summary>
internal static class PubSubNames
{
    public static string Topic(string projectId, string topic) => Full(projectId, "topics", topic);

    public static string Subscription(string projectId, string subscription) => Full(projectId, "subscriptions", subscription);

    private static string Full(string projectId, string kind, string id)
    {
        if (id.StartsWith("projects/", StringComparison.Ordinal))
        {
            return id;
        }
        if (id.Length is < 3 or > 255 || !char.IsAsciiLetter(id[0]) || id.StartsWith("goog", StringComparison.OrdinalIgnoreCase)
            || !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '~' or '+' or '%'))
        {
            throw new ArgumentException($"'{id}' is not a Pub/Sub {kind[..^1]} ID: 3-255 letters, digits and - _ . ~ + %, starting with a letter.", nameof(id));
        }
        return $"projects/{projectId}/{kind}/{id}";
    }
}
