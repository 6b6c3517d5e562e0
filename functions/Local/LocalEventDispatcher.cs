using Cctv.Shared.CloudEvents;
using Cctv.Shared.Local;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Cctv.Functions.Local;

/// <summary>
/// The embedded backend's Eventarc: delivers the event spool's files to this host's finalize endpoint as
/// binary-mode CloudEvents over real HTTP, in order, removing each only after a 2xx; a refused event (4xx)
/// is set aside with the reason; a failed delivery is retried with a capped exponential back-off.
/// </summary>
public sealed class LocalEventDispatcher(LocalEventSpool spool, IServer server, IHttpClientFactory clients, TimeProvider time,
    ILogger<LocalEventDispatcher> log) : BackgroundService
{
    public const string FinalizePath = "/functions/staging-object-finalized";
    private static readonly TimeSpan Idle = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Uri target = await WaitForAddressAsync(stoppingToken);
        HttpClient client = clients.CreateClient(nameof(LocalEventDispatcher));
        TimeSpan backoff = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            bool failed = false;
            try
            {
                foreach (PendingEvent pending in spool.Pending(100))
                {
                    using HttpRequestMessage request = BinaryModeHttp.ToRequest(pending.Event, target);
                    using HttpResponseMessage response = await client.SendAsync(request, stoppingToken);
                    if (response.IsSuccessStatusCode)
                    {
                        LocalEventSpool.Complete(pending);
                    }
                    else if ((int)response.StatusCode is >= 400 and < 500 and not 408 and not 429)
                    {
                        string body = await response.Content.ReadAsStringAsync(stoppingToken);
                        log.LogError("Event {EventId} was refused ({Status}: {Body}); set aside as {Path}.refused", pending.Event.Id, (int)response.StatusCode, body, pending.Path);
                        File.Move(pending.Path, pending.Path + ".refused", overwrite: true);
                    }
                    else
                    {
                        log.LogWarning("Delivery of event {EventId} failed ({Status}); retrying in {Backoff}", pending.Event.Id, (int)response.StatusCode, backoff);
                        failed = true;
                        break;
                    }
                }
            }
            catch (HttpRequestException e)
            {
                log.LogWarning("Event delivery failed ({Error}); retrying in {Backoff}", e.Message, backoff);
                failed = true;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            try
            {
                await Task.Delay(failed ? backoff : Idle, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            backoff = failed ? TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks)) : TimeSpan.FromSeconds(1);
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
                return new Uri(uri, FinalizePath);
            }
            await Task.Delay(Idle, time, stoppingToken);
        }
    }
}
