using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Cctv.Functions.Hosting;
using Cctv.Functions.Tests.Gcp;
using Cctv.Shared.CloudEvents;
using CloudNative.CloudEvents;
using Cctv.Shared.Domain;

namespace Cctv.Functions.Tests.Hosting;

/// <summary>
/// Every function endpoint (<c>/functions/*</c>, or <c>/</c> under a FUNCTION_TARGET) answers only its callers: the
/// operator's token on the embedded backend, an invoker's OIDC token on the all-in-one gcp host. Anyone else gets a
/// 401/403 with no sweep output, no event processed.
/// </summary>
public sealed class FunctionAuthenticationTests
{
    private static readonly string[] LocalPaths = [FunctionsHost.FinalizePath, FunctionsHost.ReconcilePath, FunctionsHost.RetentionPath];

    private static HttpRequestMessage Post(string path, string? authorization, string body = """{"job":"reconcile"}""")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }
        return request;
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer wrong-token")]
    [InlineData("Bearer ")]
    [InlineData("Basic dGVzdC10b2tlbi0wMTIzNDU2Nzg5")]
    [InlineData("Bearer cctv_k1_notakey_0000000000000000000000")]
    public async Task TheLocalHostsFunctions_RefuseEveryoneButTheOperator_AndRunNothing(string? authorization)
    {
        await using LocalFunctionsHost host = await LocalFunctionsHost.StartAsync();
        RecordingAnnouncement a = await host.RecordAsync("cam1", 0, "x"u8.ToArray());
        await host.WaitForStateAsync(a.Id, CloudState.Archived);
        using var anonymous = new HttpClient { BaseAddress = host.BaseUri };

        foreach (string path in LocalPaths)
        {
            using HttpRequestMessage request = Post(path, authorization);
            using HttpResponseMessage response = await anonymous.SendAsync(request);
            string body = await response.Content.ReadAsStringAsync();

            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{path} with {authorization ?? "no credential"}: {(int)response.StatusCode} {body}");
            Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
            Assert.Contains("operator", body);
            Assert.DoesNotContain(a.Id, body);
            Assert.DoesNotContain("r1", body);
        }
    }

    [Fact]
    public async Task TheLocalHostsFunctions_AnswerTheOperatorsToken()
    {
        await using LocalFunctionsHost host = await LocalFunctionsHost.StartAsync();

        using HttpResponseMessage sweep = await host.Client.SendAsync(Post(FunctionsHost.ReconcilePath, $"Bearer {LocalFunctionsHost.Token}"));
        using HttpResponseMessage retention = await host.Client.SendAsync(Post(FunctionsHost.RetentionPath, $"Bearer {LocalFunctionsHost.Token}", """{"job":"retention"}"""));
        using HttpResponseMessage finalize = await host.Client.SendAsync(Post(FunctionsHost.FinalizePath, $"Bearer {LocalFunctionsHost.Token}", "{}"));

        Assert.Equal(HttpStatusCode.OK, sweep.StatusCode);
        Assert.Equal("reconcile", JsonDocument.Parse(await sweep.Content.ReadAsStringAsync()).RootElement.GetProperty("job").GetString());
        Assert.Equal(HttpStatusCode.OK, retention.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, finalize.StatusCode); // past the guard: the CloudEvent endpoint wants ce-* headers
        Assert.Contains("ce-id", await finalize.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData(FunctionTargets.StagingObjectFinalized, "/")]
    [InlineData(FunctionTargets.ReconcileSweep, "/")]
    [InlineData(FunctionTargets.ReconcileSweep, "/retention")]
    [InlineData(FunctionTargets.RetryHandler, "/")]
    public async Task UnderAFunctionTarget_TheLocalFunctionOnRoot_RefusesAnonymousCalls(string target, string path)
    {
        await using LocalFunctionsHost host = await LocalFunctionsHost.StartAsync(s => s with { Target = target });
        using var anonymous = new HttpClient { BaseAddress = host.BaseUri };

        using HttpResponseMessage refused = await anonymous.SendAsync(Post(path, null));
        using HttpResponseMessage wrong = await anonymous.SendAsync(Post(path, "Bearer not-the-token"));
        using HttpResponseMessage allowed = await host.Client.SendAsync(Post(path, null));

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.NotEqual(HttpStatusCode.Unauthorized, allowed.StatusCode); // the client carries the operator's token
    }

    [Fact]
    public async Task TheInProcessDispatcher_SendsTheOperatorsToken_SoEventsStillArchive()
    {
        await using LocalFunctionsHost host = await LocalFunctionsHost.StartAsync();

        RecordingAnnouncement a = await host.RecordAsync("cam1", 0, "delivered with the token"u8.ToArray());

        Assert.Equal(CloudState.Archived, (await host.WaitForStateAsync(a.Id, CloudState.Archived)).State);
        // Delivered by the dispatcher, not refused (and then archived by the reconciler's timer).
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(host.DataDir, "cloud", "events"), "*" + Functions.Local.LocalEventDispatcher.RefusedSuffix));
    }

    [Fact]
    public async Task TheAllInOneGcpHost_VerifiesTheFinalizeCallersOidcToken()
    {
        await using GcpShapedHost host = await GcpShapedHost.StartAsync();
        RecordingAnnouncement a = await host.RecordAsync("cam1", 0, "segment"u8.ToArray());
        CloudEvent finalized = StorageEvents.Create($"{GcpShapedHost.Staging}/{a.StagingObject}/1", StorageEvents.Source(GcpShapedHost.Staging), StorageEvents.ObjectFinalized,
            $"objects/{a.StagingObject}", DateTimeOffset.UtcNow, "application/json",
            JsonSerializer.SerializeToUtf8Bytes(new StorageObjectData { Bucket = GcpShapedHost.Staging, Name = a.StagingObject, Generation = "1" }));
        async Task<HttpStatusCode> SendAsync(string? token)
        {
            using HttpRequestMessage request = CloudEventHttp.ToBinaryModeRequest(finalized, new Uri(host.BaseUri, FunctionsHost.FinalizePath));
            GcpShapedHost.Authorize(request, token);
            using HttpResponseMessage response = await host.Client.SendAsync(request);
            return response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(null));
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(host.Issuer.Token(GcpShapedHost.Audience, GcpShapedHost.EventarcAccount, signedByStranger: true)));
        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(host.Issuer.Token(GcpShapedHost.Audience, "intruder@example.com")));
        Assert.Equal(CloudState.Announced, (await host.Catalog.GetAsync(a.Id, CancellationToken.None))!.State);

        Assert.Equal(HttpStatusCode.NoContent, await SendAsync(host.TokenFor(GcpShapedHost.EventarcAccount)));
        Assert.Equal(CloudState.Archived, (await host.Catalog.GetAsync(a.Id, CancellationToken.None))!.State);
    }

    [Fact]
    public async Task TheGcpFinalizeService_LeavesTheCheckToCloudRun_WhichTerraformKeepsOn()
    {
        // Under FUNCTION_TARGET=StagingObjectFinalized, Cloud Run's invoker check has consumed Eventarc's token before the
        // request arrives: the function takes the event as it comes (TerraformTests checks that the check stays on).
        await using GcpShapedHost host = await GcpShapedHost.StartAsync(FunctionTargets.StagingObjectFinalized);

        using HttpResponseMessage response = await host.Client.PostAsync("/", new StringContent("{}", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("ce-id", await response.Content.ReadAsStringAsync());
    }
}

/// <summary>Where the host listens when no --urls are given.</summary>
public sealed class ListenAddressTests
{
    private static Func<string, string?> Env(params (string Name, string Value)[] values) =>
        name => values.FirstOrDefault(v => v.Name == name).Value;

    [Fact]
    public void WithPortSet_OutsideCloudRun_TheHostListensOnLoopback()
    {
        Assert.Equal(["http://127.0.0.1:9000"], HostEnvironment.DefaultUrls(Env(("PORT", "9000"))));
        Assert.Equal(["http://127.0.0.1:8080"], HostEnvironment.DefaultUrls(Env()));
    }

    [Fact]
    public void OnCloudRun_TheHostListensOnEveryInterface()
    {
        Assert.Equal(["http://0.0.0.0:8080"], HostEnvironment.DefaultUrls(Env(("PORT", "8080"), (HostEnvironment.CloudRunService, "cctv-api"))));
    }

    [Fact]
    public void AnExplicitListenAddress_IsHonoured()
    {
        Assert.Equal(["http://0.0.0.0:9000"], HostEnvironment.DefaultUrls(Env(("PORT", "9000"), (HostEnvironment.ListenAddress, "0.0.0.0"))));
        Assert.Equal(["http://[::1]:8080"], HostEnvironment.DefaultUrls(Env((HostEnvironment.ListenAddress, "::1"))));
    }

    [Theory]
    [InlineData(HostEnvironment.ListenAddress, "everywhere")]
    [InlineData("PORT", "99999")]
    [InlineData("PORT", "eighty")]
    public void ABadValue_IsRefused_WithAMessageNamingTheVariable(string name, string value)
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => HostEnvironment.DefaultUrls(Env((name, value))));
        Assert.StartsWith(name, e.Message);
    }
}
