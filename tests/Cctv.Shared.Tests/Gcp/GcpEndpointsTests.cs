using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Cctv.Shared.Gcp;
using Google.Apis.Auth.OAuth2;

namespace Cctv.Shared.Tests.Gcp;

public sealed class GcpEndpointsTests
{
    private static readonly GcpEndpointOptions Quick = new() { TransientRetries = 2, RetryDelay = TimeSpan.FromMilliseconds(10) };

    [Fact]
    public async Task FromEnvironment_WithTheEmulatorVariable_UsesPlainHttpToThatHost()
    {
        using GcpEndpoint firestore = await GcpEndpoint.FromEnvironmentAsync(GcpService.Firestore, null, CancellationToken.None,
            name => name == "FIRESTORE_EMULATOR_HOST" ? "127.0.0.1:8080" : null);
        using GcpEndpoint pubsub = await GcpEndpoint.FromEnvironmentAsync(GcpService.PubSub, null, CancellationToken.None,
            name => name == "PUBSUB_EMULATOR_HOST" ? "[::1]:8085" : null);

        Assert.Equal((new Uri("http://127.0.0.1:8080/"), true), (firestore.Root, firestore.IsEmulator));
        Assert.Equal((new Uri("http://[::1]:8085/"), true), (pubsub.Root, pubsub.IsEmulator));
    }

    [Theory]
    [InlineData("http://localhost:8080")]
    [InlineData("localhost")]
    [InlineData("localhost:8080/v1")]
    public void Emulator_WithSomethingOtherThanHostAndPort_IsRefusedNamingTheVariable(string value)
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => GcpEndpoint.Emulator(GcpService.PubSub, value));

        Assert.Contains("PUBSUB_EMULATOR_HOST", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FromEnvironment_WithAMissingKeyFile_SaysWhichFile()
    {
        FileNotFoundException e = await Assert.ThrowsAsync<FileNotFoundException>(() => GcpEndpoint.FromEnvironmentAsync(
            GcpService.Firestore, new GcpEndpointOptions { CredentialsPath = "/nonexistent/key.json" }, CancellationToken.None, _ => null));

        Assert.Contains("/nonexistent/key.json", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Production_SendsTheCredentialsToken_TheEmulatorSendsNone()
    {
        using var server = new StubHttpServer(_ => (200, "{}"));
        using GcpEndpoint production = GcpEndpoint.Production(GcpService.Firestore, GoogleCredential.FromAccessToken("token-1"), Quick, server.Root);
        using GcpEndpoint emulator = GcpEndpoint.Emulator(GcpService.Firestore, server.HostPort, Quick);

        using JsonDocument? _ = await production.SendAsync(HttpMethod.Get, "v1/a", null, CancellationToken.None);
        using JsonDocument? __ = await emulator.SendAsync(HttpMethod.Get, "v1/b", null, CancellationToken.None);

        Assert.Equal([("/v1/a", "Bearer token-1"), ("/v1/b", (string?)null)], server.Requests.Select(r => (r.PathAndQuery, r.Authorization)));
        Assert.Equal(new Uri("https://firestore.googleapis.com/"), GcpService.Firestore.ProductionRoot);
        Assert.Equal(new Uri("https://pubsub.googleapis.com/"), GcpService.PubSub.ProductionRoot);
    }

    [Theory]
    [InlineData(429)]
    [InlineData(500)]
    [InlineData(503)]
    public async Task Send_ThrottledOrFailingServer_IsRetried_ThenATransientError(int status)
    {
        using var server = new StubHttpServer(_ => (status, $$$"""{"error":{"code":{{{status}}},"message":"busy","status":"UNAVAILABLE"}}"""));
        using GcpEndpoint endpoint = GcpEndpoint.Emulator(GcpService.Firestore, server.HostPort, Quick);

        GcpTransientException e = await Assert.ThrowsAsync<GcpTransientException>(() => endpoint.SendAsync(HttpMethod.Get, "v1/x", null, CancellationToken.None));

        Assert.Equal((status, "UNAVAILABLE"), (e.HttpStatus, e.Status));
        Assert.Equal(3, server.Requests.Count);
    }

    [Fact]
    public async Task Send_AfterOneFailure_ReturnsTheAnswerOfTheRetry()
    {
        int calls = 0;
        using var server = new StubHttpServer(_ => Interlocked.Increment(ref calls) == 1 ? (503, "") : (200, """{"ok":true}"""));
        using GcpEndpoint endpoint = GcpEndpoint.Emulator(GcpService.Firestore, server.HostPort, Quick);

        using JsonDocument? answer = await endpoint.SendAsync(HttpMethod.Get, "v1/x", null, CancellationToken.None);

        Assert.True(answer!.RootElement.GetProperty("ok").GetBoolean());
    }

    [Fact]
    public async Task Send_RefusedRequest_IsAnApiErrorWithGooglesStatus_AndIsNotRetried()
    {
        using var server = new StubHttpServer(_ => (400, """{"error":{"code":400,"message":"the stored version does not match","status":"FAILED_PRECONDITION"}}"""));
        using GcpEndpoint endpoint = GcpEndpoint.Emulator(GcpService.Firestore, server.HostPort, Quick);

        GcpApiException e = await Assert.ThrowsAsync<GcpApiException>(() => endpoint.SendAsync(HttpMethod.Post, "v1/x", new System.Text.Json.Nodes.JsonObject(), CancellationToken.None));

        Assert.IsNotType<GcpTransientException>(e);
        Assert.Equal((400, "FAILED_PRECONDITION"), (e.HttpStatus, e.Status));
        Assert.Contains("the stored version does not match", e.Message, StringComparison.Ordinal);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task Send_ToAServerThatNeverAnswers_TimesOutAsATransientError()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start(); // accepts connections (the backlog) and never answers
        using GcpEndpoint endpoint = GcpEndpoint.Emulator(GcpService.Firestore, $"127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}",
            new GcpEndpointOptions { RequestTimeout = TimeSpan.FromMilliseconds(300), TransientRetries = 0 });

        GcpTransientException e = await Assert.ThrowsAsync<GcpTransientException>(() => endpoint.SendAsync(HttpMethod.Get, "v1/x", null, CancellationToken.None));

        Assert.Equal("DEADLINE_EXCEEDED", e.Status);
    }

    [Fact]
    public async Task Send_CancelledByTheCaller_IsACancellation_NotATransientError()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        using GcpEndpoint endpoint = GcpEndpoint.Emulator(GcpService.Firestore, $"127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}", Quick);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => endpoint.SendAsync(HttpMethod.Get, "v1/x", null, cancel.Token));
    }
}
