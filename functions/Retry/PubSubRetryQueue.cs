using Cctv.Shared.Gcp.PubSub;

namespace Cctv.Functions.Retry;

/// <summary>The retry topic: Pub/Sub pushes each message to the RetryHandler with back-off, and dead-letters it after its attempts.</summary>
public sealed class PubSubRetryQueue(PubSubPublisher publisher, string topic) : IRetryQueue
{
    public string Topic => topic;

    public Task<string> EnqueueAsync(RetryMessage message, CancellationToken cancellationToken) =>
        publisher.PublishAsync(topic, new PubSubMessage(message.ToJson(), message.Attributes()), cancellationToken);
}
