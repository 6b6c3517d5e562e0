using System.Net;
using System.Text;
using System.Text.Json;
using Cctv.Functions.Api;
using Cctv.Functions.Hosting;
using Cctv.Shared.Domain;
using Cctv.Shared.Local;
using Cctv.Shared.Ports;
using static Cctv.TestSupport.Media.Mp4Boxes;

namespace Cctv.Functions.Tests.Reconcile;

/// <summary>
/// The salvage through the embedded functions host, as the demo runs it: the sweep function finishes a silent
/// recorder's live upload, the host's own finalize event archives it, and the timeline API says <c>salvaged</c> and
/// <c>recorder offline</c>, while the other site's <c>cam1</c>, whose recorder is alive, is not touched.
/// </summary>
public sealed class SalvageHostTests
{
    private static readonly uint[] OneSecond = [.. Enumerable.Repeat(512u, 25)]; // 25 frames of 40 ms at a 12800 timescale

    [Fact]
    public async Task TheSweepFunction_SalvagesASilentRecorder_AndTheTimelineSaysSalvagedThenRecorderOffline()
    {
        await using LocalFunctionsHost host = await LocalFunctionsHost.StartAsync();
        DateTimeOffset now = host.Clock.GetUtcNow();
        var sessions = new Dictionary<string, LiveSession>();
        foreach (string recorder in (string[])["site-a", "site-b"])
        {
            await host.Backend.Catalog.UpsertCameraAsync(new CameraInfo("cam1", "Gate", recorder), CancellationToken.None);
            string id = RecordingId.For(recorder, "cam1", 1, 9);
            string staging = ObjectNames.Staging(recorder, "cam1", id);
            Uri uri = await host.Backend.Store.StartAsync(new AppendSessionRequest(LocalBackend.StagingBucket, staging, "video/mp4", 0,
                new Dictionary<string, string> { [ObjectMetadata.RecordingId] = id }), CancellationToken.None);
            // What FFmpeg writes, in miniature: the header and two whole one-second fragments, then half of a third (cut by the kill).
            byte[] third = Fragment(25600, OneSecond, payload: 400);
            await host.Backend.Store.AppendAsync(uri, 0, Concat(Header(), Fragment(0, OneSecond), Fragment(12800, OneSecond), third[..(third.Length / 2)]), CancellationToken.None);
            sessions[recorder] = new LiveSession(id, "cam1", 1, 9, staging, uri, 20, now.AddSeconds(-30), now.AddSeconds(-1));
            await host.Backend.Catalog.RecordLiveSessionsAsync(recorder, now, [sessions[recorder]], CancellationToken.None);
        }
        host.Clock.Advance(TimeSpan.FromMinutes(3));
        await host.Backend.Catalog.RecordHeartbeatAsync(new RecorderHeartbeat("site-b", host.Clock.GetUtcNow(), 0, 0, null), CancellationToken.None);

        using HttpResponseMessage swept = await host.Client.PostAsync(FunctionsHost.ReconcilePath,
            new StringContent("""{"job":"reconcile","limit":50}""", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, swept.StatusCode);
        using (JsonDocument report = JsonDocument.Parse(await swept.Content.ReadAsStringAsync()))
        {
            Assert.Equal(1, report.RootElement.GetProperty("salvaged").GetProperty("count").GetInt32());
        }
        Recording salvaged = await host.WaitForStateAsync(sessions["site-a"].RecordingId, CloudState.Salvaged);
        Assert.Null(await host.Backend.Catalog.GetAsync(sessions["site-b"].RecordingId, CancellationToken.None));

        string from = Uri.EscapeDataString(RecordingItem.Iso(now.AddMinutes(-1)));
        string to = Uri.EscapeDataString(RecordingItem.Iso(host.Clock.GetUtcNow()));
        using JsonDocument timeline = JsonDocument.Parse(await host.Client.GetStringAsync($"/api/cameras/site-a~cam1/timeline/?from={from}&to={to}"));
        JsonElement[] entries = [.. timeline.RootElement.GetProperty("entries").EnumerateArray()];
        JsonElement segment = entries.Single(e => e.GetProperty("type").GetString() == "segment");
        Assert.Equal((salvaged.Id, "salvaged"), (segment.GetProperty("id").GetString(), segment.GetProperty("state").GetString()));
        Assert.StartsWith("recorder offline since ", segment.GetProperty("detail").GetString(), StringComparison.Ordinal);
        JsonElement after = entries[Array.IndexOf(entries, segment) + 1];
        Assert.Equal(GapReasons.RecorderOffline, after.GetProperty("reason").GetString());
        string since = now.UtcDateTime.ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
        // Footage up to the session's start plus what its media's whole fragments cover (2 s), read in the cloud: not the
        // recorder's last report (now - 1 s), which says when bytes were confirmed, not what they play.
        Assert.Equal(now.AddSeconds(-28).ToUnixTimeMilliseconds(), salvaged.Announcement.EndTime.ToUnixTimeMilliseconds());
        string upTo = now.AddSeconds(-28).UtcDateTime.ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal($"recorder offline since {since} UTC, footage up to {upTo} UTC recovered", after.GetProperty("detail").GetString());

        using JsonDocument other = JsonDocument.Parse(await host.Client.GetStringAsync($"/api/cameras/site-b~cam1/timeline/?from={from}&to={to}"));
        Assert.DoesNotContain(other.RootElement.GetProperty("entries").EnumerateArray(), e => e.GetProperty("type").GetString() == "segment");
    }
}
