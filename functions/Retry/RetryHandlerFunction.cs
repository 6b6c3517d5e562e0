using Cctv.Functions.Finalize;
using Cctv.Functions.Hosting;
using CloudNative.CloudEvents;
using Cctv.Shared.Gcp;
using Cctv.Shared.Ports;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Cctv.Functions.Retry;

/// <summary>
/// The retry topic's push endpoint: a Pub/Sub push envelope, or the same message as a binary-mode
/// <c>google.cloud.pubsub.topic.v1.messagePublished</c> CloudEvent. It processes the named staged object again and
/// answers 2xx only once that work is committed in the catalog; anything else is a non-2xx, so Pub/Sub redelivers
/// the message with back-off and, after the subscription's attempts, moves it to the dead-letter topic. A message
/// that is not a retry request is refused with 400 (and so also ends in the dead-letter topic, for an operator).
/// The OIDC token is checked before this runs (<see cref="Auth.TokenGuard"/>).
/// </summary>
public sealed class RetryHandlerFunction(ArchiveService archive, ILogger<RetryHandlerFunction> log) : IHttpFunction
{
    public async Task HandleAsync(HttpContext context)
    {
        HttpContext http = context;
        if (!HttpMethods.IsPost(http.Request.Method))
        {
            await AnswerAsync(http, StatusCodes.Status405MethodNotAllowed, "Pub/Sub pushes with POST");
            return;
        }
        if (await RequestBody.ReadAtMostAsync(http.Request, http.RequestAborted) is not { } body)
        {
            await RefuseAsync(http, StatusCodes.Status413PayloadTooLarge, "the push body is larger than 1 MiB");
            return;
        }
        if (!string.IsNullOrEmpty(http.Request.Headers["ce-type"]))
        {
            CloudEvent? cloudEvent = HttpRequestCloudEvents.TryReadBinaryMode(http.Request, body, out string? ceError);
            if (cloudEvent is null)
            {
                await RefuseAsync(http, StatusCodes.Status400BadRequest, "malformed CloudEvent: " + ceError);
                return;
            }
            if (cloudEvent.Type != PushedMessage.MessagePublishedType)
            {
                await RefuseAsync(http, StatusCodes.Status400BadRequest,
                    $"CloudEvent {cloudEvent.Id} has type '{cloudEvent.Type}'; this function handles {PushedMessage.MessagePublishedType}");
                return;
            }
            // In binary mode the event's data is the body: the pushed message, read below.
        }
        PushedMessage? pushed = PushedMessage.TryParse(body, out string? error);
        if (pushed is null)
        {
            await RefuseAsync(http, StatusCodes.Status400BadRequest, error!);
            return;
        }
        RetryMessage? message = RetryMessage.TryParse(pushed.Data, out error);
        if (message is null)
        {
            await RefuseAsync(http, StatusCodes.Status400BadRequest, $"message {pushed.MessageId}: {error}");
            return;
        }
        if (message.Bucket != archive.Buckets.Staging)
        {
            await RefuseAsync(http, StatusCodes.Status400BadRequest,
                $"message {pushed.MessageId} names bucket '{message.Bucket}', not the staging bucket this function serves");
            return;
        }
        string attempt = pushed.DeliveryAttempt?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?";
        try
        {
            ArchiveOutcome outcome = await archive.ProcessAsync(message.Name, http.RequestAborted);
            log.LogInformation("Retry message {MessageId} (attempt {Attempt}, from {Source}) for gs://{Bucket}/{Object}: {Outcome}",
                pushed.MessageId, attempt, message.Source, message.Bucket, message.Name, outcome);
            http.Response.StatusCode = StatusCodes.Status204NoContent;
        }
        catch (Exception e) when (e is not OperationCanceledException || !http.RequestAborted.IsCancellationRequested)
        {
            bool transient = e is GcpTransientException || e is ObjectStoreException { IsTransient: true };
            log.Log(transient ? LogLevel.Warning : LogLevel.Error, e,
                "Retry message {MessageId} (attempt {Attempt}) for gs://{Bucket}/{Object} failed again ({Error}); not acknowledged: Pub/Sub redelivers it, and dead-letters it after its attempts",
                pushed.MessageId, attempt, message.Bucket, message.Name, e.Message);
            await AnswerAsync(http, transient ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status500InternalServerError,
                $"processing failed, the message is not acknowledged: {e.Message}");
        }
    }

    private async Task RefuseAsync(HttpContext http, int status, string error)
    {
        log.LogWarning("Refused a push to the retry handler: {Status} {Error}", status, error);
        await AnswerAsync(http, status, error);
    }

    private static Task AnswerAsync(HttpContext http, int status, string error)
    {
        http.Response.StatusCode = status;
        return http.Response.WriteAsJsonAsync(new { error });
    }
}
