using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Cctv.Functions.Gcp;
using Cctv.Functions.Hosting;
using Cctv.Functions.Tests.Gcp;
using Cctv.Shared.Domain;

namespace Cctv.Functions.Tests.Hosting;

/// <summary>With FUNCTION_TARGET set, the gcp host serves that one function on "/", as each Cloud Run service does.</summary>
public sealed class GcpTargetTests
{
    [Fact]
    public async Task TheRetryHandlerService_AnswersPushesOnRoot_AndNothingElse()
    {
        await using GcpShapedHost host = await GcpShapedHost.StartAsync(FunctionTargets.RetryHandler);
        RecordingAnnouncement a = await host.RecordAsync("cam1", 0, Encoding.UTF8.GetBytes("x"));

        using HttpResponseMessage push = await host.Client.SendAsync(host.Push(host.RetryOf(a), path: "/"));
        using HttpResponseMessage status = await host.Client.GetAsync("/api/status");
        using HttpResponseMessage sweep = await host.Client.PostAsync("/retention", null);
        string health = await host.Client.GetStringAsync("/healthz");

        Assert.Equal(HttpStatusCode.NoContent, push.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, status.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, sweep.StatusCode);
        Assert.Contains("RetryHandler", health);
        Assert.Equal(CloudState.Archived, (await host.Catalog.GetAsync(a.Id, CancellationToken.None))!.State);
    }

    [Fact]
    public async Task TheSweepService_AnswersOnRootAndOnRetention_AsTheSchedulerJobsCallIt()
    {
        await using GcpShapedHost host = await GcpShapedHost.StartAsync(FunctionTargets.ReconcileSweep);
        string token = host.TokenFor(GcpShapedHost.SchedulerAccount);

        foreach ((string path, string body, string job) in ((string, string, string)[])[("/", """{"job":"reconcile"}""", "reconcile"), ("/retention", """{"job":"retention"}""", "retention")])
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using HttpResponseMessage response = await host.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using JsonDocument report = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal(job, report.RootElement.GetProperty("job").GetString());
        }
    }

    [Fact]
    public async Task TheFinalizeService_TakesCloudEventsOnRoot_AndThePlayerApiServiceServesApi()
    {
        await using GcpShapedHost finalize = await GcpShapedHost.StartAsync(FunctionTargets.StagingObjectFinalized);
        await using GcpShapedHost api = await GcpShapedHost.StartAsync(FunctionTargets.PlayerApi);

        using HttpResponseMessage refused = await finalize.Client.PostAsync("/", new StringContent("{}", Encoding.UTF8, "application/json"));
        using var status = new HttpRequestMessage(HttpMethod.Get, "/api/status");
        status.Headers.Authorization = new AuthenticationHeaderValue("Bearer", api.Issuer.Token(GcpShapedHost.PlayerAudience, "operator@example.com"));
        using HttpResponseMessage served = await api.Client.SendAsync(status);
        using HttpResponseMessage noRetry = await api.Client.PostAsync(FunctionsHost.RetryPath, null);

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode); // reached the CloudEvent endpoint: no ce-* headers
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, noRetry.StatusCode);
    }

    [Theory]
    [InlineData(FunctionTargets.StagingObjectFinalized)]
    [InlineData(null)]
    public void TheFinalizeFunction_WithoutADeadLetterTopic_DoesNotStart_AndTheErrorNamesTheVariable(string? target)
    {
        using var dir = new Cctv.TestSupport.TempDir("gcp-no-dead-letters");
        var local = new Cctv.Shared.Local.LocalBackend(dir.Path, TimeProvider.System);
        var settings = new GcpFunctionsSettings
        {
            ProjectId = GcpShapedHost.Project,
            StagingBucket = GcpShapedHost.Staging,
            ArchiveBucket = GcpShapedHost.Archive,
            RetryTopic = "cctv-retry",
            OidcAudience = GcpShapedHost.Audience,
            InvokerServiceAccounts = [GcpShapedHost.EventarcAccount],
        };
        using var gcp = new GcpBackend(settings, local.Store, local.Catalog, new RecordingRetryQueue(), local.Signer, deadLetters: null);

        ArgumentException e = Assert.Throws<ArgumentException>(() => FunctionsHost.Build(FunctionsHostSettings.ForGcp(gcp, target, ["http://127.0.0.1:0"])));

        Assert.Contains(FunctionEnvironment.DeadLetterTopic, e.Message);
    }
}
