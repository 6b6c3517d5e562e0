using Cctv.Functions.Api;
using Cctv.Shared.CloudEvents;
using Cctv.Shared.Local;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Cctv.Functions.Local;

/// <summary>
/// The embedded backend's Eventarc: delivers the event spool's files to this host's finalize endpoint as
/// binary-mode CloudEvents over real HTTP, oldest first, with the operator credential the endpoint requires, removing
/// each only after a 2xx. A refused event (4xx: refused for good, and recorded as a dead letter by the endpoint) is set
/// aside with the reason. A failed delivery (5xx, no answer) is retried with a capped exponential back-off of its own,
/// while the events after it go on being delivered: one event that keeps failing never holds up the others.
/// </summary>
/// <param name="finalizePath">Where this host serves the finalize function: <see cref="FinalizePath"/> when it serves
/// every function, <c>/</c> under <c>FUNCTION_TARGET=StagingObjectFinalized</c> (<c>FunctionsHost.FinalizeRoute</c>).</param>
public sealed class LocalEventDispatcher(LocalEventSpool spool, IServer server, IHttpClientFactory clients, ApiToken token, TimeProvider time,
    ILogger<LocalEventDispatcher> log, string finalizePath) : BackgroundService
{
    public const string FinalizePath = "/functions/staging-object-finalized";
    public const string RefusedSuffix = ".refused";
    private static readonly TimeSpan Idle = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    /// <summary>Events whose last delivery failed, by spool path: when to try again (a <see cref="TimeProvider.GetTimestamp"/>) and the back-off.</summary>
    private readonly Dictionary<string, (long RetryAt, TimeSpan Backoff)> _failing = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Uri target = await WaitForAddressAsync(stoppingToken);
        HttpClient client = clients.CreateClient(nameof(LocalEventDispatcher));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await DeliverPendingAsync(client, target, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            try
            {
                await Task.Delay(Idle, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One pass over the spool: every event that is not waiting out a back-off, oldest first.</summary>
    private async Task DeliverPendingAsync(HttpClient client, Uri target, CancellationToken stoppingToken)
    {
        long now = time.GetTimestamp();
        foreach (PendingEvent pending in spool.Pending(100, path => _failing.TryGetValue(path, out var f) && f.RetryAt > now))
        {
            string? failure;
            try
            {
                using HttpRequestMessage request = CloudEventHttp.ToBinaryModeRequest(pending.Event, target);
                request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token.Value);
                using HttpResponseMessage response = await client.SendAsync(request, stoppingToken);
                if (response.IsSuccessStatusCode)
                {
                    LocalEventSpool.Complete(pending);
                    _failing.Remove(pending.Path);
                    continue;
                }
                if ((int)response.StatusCode is >= 400 and < 500 and not 408 and not 429)
                {
                    string body = await response.Content.ReadAsStringAsync(stoppingToken);
                    log.LogError("Event {EventId} was refused ({Status}: {Body}); set aside as {Path}{Suffix}", pending.Event.Id, (int)response.StatusCode, body,
                        pending.Path, RefusedSuffix);
                    File.Move(pending.Path, pending.Path + RefusedSuffix, overwrite: true);
                    _failing.Remove(pending.Path);
                    continue;
                }
                failure = ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            catch (HttpRequestException e)
            {
                failure = e.Message;
            }
            TimeSpan backoff = _failing.TryGetValue(pending.Path, out var last)
                ? TimeSpan.FromTicks(Math.Min(last.Backoff.Ticks * 2, MaxBackoff.Ticks))
                : FirstBackoff;
            _failing[pending.Path] = (time.GetTimestamp() + (long)(backoff.TotalSeconds * time.TimestampFrequency), backoff);
            log.LogWarning("Delivery of event {EventId} failed ({Failure}); retrying it in {Backoff}, delivering the events after it meanwhile",
                pending.Event.Id, failure, backoff);
        }
        // Forget events no longer in the spool (delivered by another host meanwhile, or removed by hand).
        if (_failing.Count > 0)
        {
            foreach (string path in _failing.Keys.Where(p => !File.Exists(p)).ToList())
            {
                _failing.Remove(path);
            }
        }
    }

    private async Task<Uri> WaitForAddressAsync(CancellationToken stoppingToken)
    {
        while (true)
        {
            string? address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
            if (address is not null && !address.Contains(":0", StringComparison.Ordinal))
            {
                var uri = new Uri(address.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal).Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("+", "127.0.0.1", StringComparison.Ordinal).Replace("*", "127.0.0.1", StringComparison.Ordinal));
                return new Uri(uri, finalizePath);
            }
            await Task.Delay(Idle, time, stoppingToken);
        }
    }
}
