using System.Net;
using System.Text;
using System.Text.Json;
using Cctv.Functions.Hosting;
using Cctv.Functions.Tests.Gcp;
using Cctv.Shared.Domain;
using Microsoft.Extensions.Logging;

namespace Cctv.Functions.Tests.Reconcile;

/// <summary>The sweep as Cloud Scheduler calls it: OIDC-checked, a JSON request, a JSON report.</summary>
public sealed class ReconcileSweepFunctionTests
{
    private static HttpRequestMessage Call(GcpShapedHost host, string path, string? body, string? token)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }
        GcpShapedHost.Authorize(request, token);
        return request;
    }

    [Fact]
    public async Task TheSchedulersCall_RunsTheSweep_AndAnswersWithTheReport()
    {
        await using GcpShapedHost host = await GcpShapedHost.StartAsync();
        RecordingAnnouncement a = await host.RecordAsync("cam1", 0, Encoding.UTF8.GetBytes("lost event"));
        host.Clock.Advance(TimeSpan.FromMinutes(3));

        using HttpResponseMessage response = await host.Client.SendAsync(Call(host, FunctionsHost.ReconcilePath, """{"job":"reconcile","limit":50}""",
            host.TokenFor(GcpShapedHost.SchedulerAccount)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using JsonDocument report = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        JsonElement r = report.RootElement;
        Assert.Equal(("reconcile", 50, true), (r.GetProperty("job").GetString(), r.GetProperty("limit").GetInt32(), r.GetProperty("complete").GetBoolean()));
        Assert.Equal(JsonValueKind.Null, r.GetProperty("continuation").ValueKind);
        Assert.Equal(1, r.GetProperty("redriven").GetProperty("count").GetInt32());
        JsonElement item = r.GetProperty("redriven").GetProperty("items")[0];
        Assert.Equal((a.Id, "Archived"), (item.GetProperty("recording_id").GetString(), item.GetProperty("outcome").GetString()));
        foreach (string finding in (string[])["orphans", "not_staged_past_sla", "quarantined_past_sla", "recorders_offline", "expired", "errors", "awaiting_announcement"])
        {
            Assert.Equal(0, r.GetProperty(finding).GetProperty("count").GetInt32());
        }
        Assert.Equal(CloudState.Archived, (await host.Catalog.GetAsync(a.Id, CancellationToken.None))!.State);
        await host.Logs.WaitForAsync(LogLevel.Information, "Sweep reconcile", "complete");
    }

    [Fact]
    public async Task TheRetentionPath_RunsTheRetentionJob()
    {
        await using GcpShapedHost host = await GcpShapedHost.StartAsync();

        using HttpResponseMessage response = await host.Client.SendAsync(Call(host, FunctionsHost.RetentionPath, """{"job":"retention"}""",
            host.TokenFor(GcpShapedHost.SchedulerAccount)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using JsonDocument report = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("retention", report.RootElement.GetProperty("job").GetString());
    }

    [Fact]
    public async Task CallsWithoutAValidSchedulerToken_OrThatCannotBeRun_AreRefused_WithTheReasonLogged()
    {
        await using GcpShapedHost host = await GcpShapedHost.StartAsync();
        string token = host.TokenFor(GcpShapedHost.SchedulerAccount);
        (HttpRequestMessage Request, HttpStatusCode Status, string Reason)[] cases =
        [
            (Call(host, FunctionsHost.ReconcilePath, null, null), HttpStatusCode.Unauthorized, "no Authorization header"),
            (Call(host, FunctionsHost.ReconcilePath, null, host.Issuer.Token(GcpShapedHost.Audience, GcpShapedHost.SchedulerAccount, signedByStranger: true)),
                HttpStatusCode.Unauthorized, "invalid token"),
            (Call(host, FunctionsHost.ReconcilePath, null, host.Issuer.Token(GcpShapedHost.Audience, "user@example.com")), HttpStatusCode.Forbidden, "may not call"),
            (Call(host, FunctionsHost.ReconcilePath, "{oops", token), HttpStatusCode.BadRequest, "not JSON"),
            (Call(host, FunctionsHost.ReconcilePath, """{"job":"defragment"}""", token), HttpStatusCode.BadRequest, "job 'defragment' is unknown"),
            (Call(host, FunctionsHost.ReconcilePath, """{"limit":0}""", token), HttpStatusCode.BadRequest, "limit must be"),
            (Call(host, FunctionsHost.ReconcilePath + "?limit=many", null, token), HttpStatusCode.BadRequest, "limit must be"),
            (Call(host, FunctionsHost.ReconcilePath, """{"continuation":"forged"}""", token), HttpStatusCode.BadRequest, "not a token this sweep issued"),
        ];

        foreach ((HttpRequestMessage request, HttpStatusCode status, string reason) in cases)
        {
            using (request)
            using (HttpResponseMessage response = await host.Client.SendAsync(request))
            {
                Assert.Equal(status, response.StatusCode);
                Assert.Contains(reason, await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
            }
            await host.Logs.WaitForAsync(LogLevel.Warning, "Refused", reason);
        }
    }
}
