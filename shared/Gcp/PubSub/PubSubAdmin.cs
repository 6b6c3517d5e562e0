using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Cctv.Shared.Gcp.PubSub;

/// <summary>
/// Creates and deletes topics and subscriptions over REST. Terraform owns them in a deployment; this is for
/// tests against the emulator and for setting up a local stack.
/// </summary>
public sealed class PubSubAdmin
{
    private readonly GcpEndpoint _endpoint;

    public PubSubAdmin(GcpEndpoint endpoint, string projectId)
    {
        _endpoint = endpoint;
        ProjectId = projectId;
    }

    public string ProjectId { get; }

    /// <summary>Creates the topic; returns its full name. ALREADY_EXISTS is an error (<see cref="GcpApiException"/>).</summary>
    public async Task<string> CreateTopicAsync(string topic, CancellationToken cancellationToken)
    {
        string name = PubSubNames.Topic(ProjectId, topic);
        using JsonDocument? _ = await _endpoint.SendAsync(HttpMethod.Put, $"v1/{name}", new JsonObject(), cancellationToken);
        return name;
    }

    public async Task<string> CreateSubscriptionAsync(PubSubSubscriptionSpec spec, CancellationToken cancellationToken)
    {
        string name = PubSubNames.Subscription(ProjectId, spec.Name);
        var body = new JsonObject
        {
            ["topic"] = PubSubNames.Topic(ProjectId, spec.Topic),
            ["ackDeadlineSeconds"] = (int)spec.AckDeadline.TotalSeconds,
        };
        if (spec.PushEndpoint is { } endpoint)
        {
            var push = new JsonObject { ["pushEndpoint"] = endpoint.ToString() };
            if (spec.PushServiceAccount is { } account)
            {
                push["oidcToken"] = new JsonObject { ["serviceAccountEmail"] = account, ["audience"] = spec.PushAudience ?? endpoint.ToString() };
            }
            body["pushConfig"] = push;
        }
        if (spec.DeadLetter is { } deadLetter)
        {
            if (deadLetter.MaxDeliveryAttempts is < 5 or > 100)
            {
                throw new ArgumentException($"Max delivery attempts is {deadLetter.MaxDeliveryAttempts}: Pub/Sub takes 5 to 100.", nameof(spec));
            }
            body["deadLetterPolicy"] = new JsonObject
            {
                ["deadLetterTopic"] = PubSubNames.Topic(ProjectId, deadLetter.DeadLetterTopic),
                ["maxDeliveryAttempts"] = deadLetter.MaxDeliveryAttempts,
            };
        }
        if (spec.RetryBackoff is { } backoff)
        {
            body["retryPolicy"] = new JsonObject { ["minimumBackoff"] = Duration(backoff.Minimum), ["maximumBackoff"] = Duration(backoff.Maximum) };
        }
        using JsonDocument? _ = await _endpoint.SendAsync(HttpMethod.Put, $"v1/{name}", body, cancellationToken);
        return name;
    }

    public async Task DeleteSubscriptionAsync(string subscription, CancellationToken cancellationToken)
    {
        using JsonDocument? _ = await _endpoint.SendAsync(HttpMethod.Delete, $"v1/{PubSubNames.Subscription(ProjectId, subscription)}", null, cancellationToken);
    }

    public async Task DeleteTopicAsync(string topic, CancellationToken cancellationToken)
    {
        using JsonDocument? _ = await _endpoint.SendAsync(HttpMethod.Delete, $"v1/{PubSubNames.Topic(ProjectId, topic)}", null, cancellationToken);
    }

    private static string Duration(TimeSpan t) => string.Create(CultureInfo.InvariantCulture, $"{t.TotalSeconds:0.#########}s");
}
