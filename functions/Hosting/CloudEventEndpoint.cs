using System.Text.Json;
using Cctv.Functions.Finalize;
using CloudNative.CloudEvents;
using CloudNative.CloudEvents.SystemTextJson;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Cctv.Functions.Hosting;

/// <summary>
/// Adapts an <see cref="ICloudEventFunction{TData}"/> to HTTP: a malformed request or event gets 400 with the
/// reason (never a 500 that Eventarc would redeliver forever); a transient failure gets 503 so it is retried. An event
/// that could be read but is refused for good (a type or data this function cannot handle, a
/// <see cref="BadEventException"/>) is also recorded as a dead letter (<see cref="IDeadLetters"/>) with the reason.
/// </summary>
public static class CloudEventEndpoint
{
    public static RequestDelegate For<TFunction, TData>(params string[] acceptedTypes)
        where TFunction : ICloudEventFunction<TData>
        where TData : class
    {
        // The package's formatter binds the data to TData (the content type is not consulted, as Eventarc's is JSON).
        var formatter = new JsonEventFormatter<TData>(new JsonSerializerOptions(JsonSerializerDefaults.Web), default);
        return http => HandleAsync<TFunction, TData>(http, formatter, acceptedTypes);
    }

    private static async Task HandleAsync<TFunction, TData>(HttpContext http, JsonEventFormatter<TData> formatter, string[] acceptedTypes)
        where TFunction : ICloudEventFunction<TData>
        where TData : class
    {
        ILogger log = http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(TFunction).Name);
        if (!HttpMethods.IsPost(http.Request.Method))
        {
            await Problem(http, StatusCodes.Status405MethodNotAllowed, "CloudEvents are delivered with POST");
            return;
        }
        if (await RequestBody.ReadAtMostAsync(http.Request, http.RequestAborted) is not { } body)
        {
            await Problem(http, StatusCodes.Status413PayloadTooLarge, "event body too large");
            return;
        }
        CloudEvent? cloudEvent = HttpRequestCloudEvents.TryReadBinaryMode(http.Request, body, out string? error);
        if (cloudEvent is null)
        {
            log.LogWarning("Refused a malformed CloudEvent: {Error}", error);
            await Problem(http, StatusCodes.Status400BadRequest, error!);
            return;
        }
        if (!acceptedTypes.Contains(cloudEvent.Type))
        {
            log.LogWarning("Refused CloudEvent {EventId}: type {Type} is not one this function handles ({Accepted})", cloudEvent.Id, cloudEvent.Type, string.Join(", ", acceptedTypes));
            await RefuseForGoodAsync(http, cloudEvent, body, $"event type '{cloudEvent.Type}' is not handled here");
            return;
        }
        try
        {
            formatter.DecodeBinaryModeEventData(body, cloudEvent);
        }
        catch (JsonException e)
        {
            log.LogWarning("Refused CloudEvent {EventId}: its data is not valid JSON ({Error})", cloudEvent.Id, e.Message);
            await RefuseForGoodAsync(http, cloudEvent, body, "event data is not valid JSON: " + e.Message);
            return;
        }
        if (cloudEvent.Data is not TData data)
        {
            await RefuseForGoodAsync(http, cloudEvent, body, "event has no data");
            return;
        }
        try
        {
            await http.RequestServices.GetRequiredService<TFunction>().HandleAsync(cloudEvent, data, http.RequestAborted);
            http.Response.StatusCode = StatusCodes.Status204NoContent;
        }
        catch (BadEventException e)
        {
            log.LogWarning("Refused CloudEvent {EventId}: {Error}", cloudEvent.Id, e.Message);
            await RefuseForGoodAsync(http, cloudEvent, body, e.Message);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogError(e, "CloudEvent {EventId} failed; it will be redelivered", cloudEvent.Id);
            await Problem(http, StatusCodes.Status503ServiceUnavailable, "temporarily unable to process the event; retry");
        }
    }

    /// <summary>
    /// 400 with the reason, once the event is recorded as a dead letter; 503 when it could not be recorded.
    /// </summary>
    /// <remarks>
    /// The 400 is what lets the event go: Eventarc (and the embedded dispatcher) stop retrying an event only as far as
    /// the answer says so, so it may be given only once the record is durable (the JSON file fsynced, the Pub/Sub
    /// publish acknowledged). Any failure to record (the emulator or Pub/Sub down, a timeout, a 403 or 404 from a
    /// missing grant or topic, a full disk) is therefore a 503: the event is redelivered (by Eventarc with its back-off,
    /// for as long as it keeps the event, 24 hours) and recorded once recording works again, instead of being dropped
    /// with nothing but a log line. A redelivery after a record that did succeed only records it again under the same
    /// event ID, which the record carries for deduplication.
    /// </remarks>
    private static async Task RefuseForGoodAsync(HttpContext http, CloudEvent cloudEvent, byte[] body, string reason)
    {
        IDeadLetters deadLetters = http.RequestServices.GetRequiredService<IDeadLetters>();
        TimeProvider time = http.RequestServices.GetRequiredService<TimeProvider>();
        ILogger log = http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(nameof(CloudEventEndpoint));
        string where;
        try
        {
            where = await deadLetters.RecordAsync(DeadLetter.Of(cloudEvent, body, reason, time.GetUtcNow()), http.RequestAborted);
        }
        catch (Exception e) when (e is not OperationCanceledException || !http.RequestAborted.IsCancellationRequested)
        {
            log.LogError(e, "CloudEvent {EventId} is refused for good ({Reason}) but could not be recorded as a dead letter; it will be redelivered", cloudEvent.Id, reason);
            await Problem(http, StatusCodes.Status503ServiceUnavailable, "the event is refused for good but could not be recorded; retry");
            return;
        }
        log.LogWarning("Dead letter: CloudEvent {EventId} ({Type} from {Source}, {Subject}) refused for good: {Reason}; recorded as {DeadLetter}",
            cloudEvent.Id, cloudEvent.Type, cloudEvent.Source, cloudEvent.Subject, reason, where);
        await Problem(http, StatusCodes.Status400BadRequest, reason);
    }

    private static Task Problem(HttpContext http, int status, string detail)
    {
        http.Response.StatusCode = status;
        return http.Response.WriteAsJsonAsync(new { error = detail });
    }
}
