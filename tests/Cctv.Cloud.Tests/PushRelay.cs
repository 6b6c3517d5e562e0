using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Cctv.TestSupport.Gcp;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Cctv.Cloud.Tests;

/// <summary>
/// The part of Pub/Sub the emulator leaves out: a push subscription with an <c>oidcToken</c> sends each push with
/// <c>Authorization: Bearer</c> an ID token of its service account for its audience; the emulator sends none. The
/// emulator pushes here, and this adds the token (from the test's issuer) and forwards the push to the retry
/// function, answering with the function's status, so Pub/Sub's acknowledgement, redelivery and dead-lettering
/// depend on the function alone.
/// </summary>
public sealed class PushRelay : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };

    private PushRelay(WebApplication app) => _app = app;

    public Uri Endpoint { get; private set; } = null!;

    /// <summary>Each push: the message ID, its recording attribute, and the status the function answered.</summary>
    public ConcurrentQueue<(string MessageId, string? RecordingId, int Status)> Pushes { get; } = new();

    /// <summary>
    /// Waits until a push that <paramref name="match"/> accepts has been answered. A push is recorded only once the
    /// function has answered it, which is after the function changed the catalog: a test that sees the change may look
    /// here a moment before the push is.
    /// </summary>
    public async Task<bool> WaitForPushAsync(Func<(string MessageId, string? RecordingId, int Status), bool> match, TimeSpan patience)
    {
        DateTime deadline = DateTime.UtcNow + patience;
        while (!Pushes.Any(match))
        {
            if (DateTime.UtcNow >= deadline)
            {
                return false;
            }
            await Task.Delay(20);
        }
        return true;
    }

    public static async Task<PushRelay> StartAsync(TestTokenIssuer issuer, string audience, string pushAccount, Uri retryFunction)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        WebApplication app = builder.Build();
        var relay = new PushRelay(app);
        app.MapPost("/push", async (HttpContext http) =>
        {
            using var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body);
            string text = Encoding.UTF8.GetString(body.ToArray());
            using var forward = new HttpRequestMessage(HttpMethod.Post, retryFunction) { Content = new StringContent(text, Encoding.UTF8, "application/json") };
            forward.Headers.Authorization = new AuthenticationHeaderValue("Bearer", issuer.Token(audience, pushAccount));
            using HttpResponseMessage response = await relay._http.SendAsync(forward);
            (string id, string? recording) = Describe(text);
            relay.Pushes.Enqueue((id, recording, (int)response.StatusCode));
            http.Response.StatusCode = (int)response.StatusCode;
        });
        await app.StartAsync();
        relay.Endpoint = new Uri(new Uri(app.Urls.First()), "/push");
        return relay;
    }

    private static (string, string?) Describe(string push)
    {
        using JsonDocument doc = JsonDocument.Parse(push);
        JsonElement m = doc.RootElement.GetProperty("message");
        string id = m.TryGetProperty("messageId", out JsonElement i) ? i.GetString()! : "?";
        string? recording = m.TryGetProperty("attributes", out JsonElement a) && a.TryGetProperty("recording_id", out JsonElement r) ? r.GetString() : null;
        return (id, recording);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _http.Dispose();
    }
}
