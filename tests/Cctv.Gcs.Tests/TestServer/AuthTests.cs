using System.Net;
using Cctv.Testing.Gcs;

namespace Cctv.Gcs.Tests.TestServer;

public sealed class AuthTests : IAsyncLifetime
{
    private const string Bucket = "staging";
    private const string Token = "test-token-123";

    private GcsTestServer _server = null!;

    public async Task InitializeAsync() =>
        _server = await GcsTestServer.StartAsync(new GcsTestServerOptions { Buckets = [Bucket], RequiredBearerToken = Token });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task RequiredToken_Missing_Is401WithGcsError()
    {
        using var anonymous = new GcsHttp(_server);

        using HttpResponseMessage get = await anonymous.Http.GetAsync($"storage/v1/b/{Bucket}/o");
        using HttpResponseMessage upload = await anonymous.InitiateRawAsync(Bucket, "x");

        await GcsHttp.AssertErrorAsync(get, 401, "required");
        await GcsHttp.AssertErrorAsync(upload, 401, "required");
        Assert.Equal(0, _server.Counters.SessionsStarted);
    }

    [Fact]
    public async Task RequiredToken_Wrong_Is401()
    {
        using var wrong = new GcsHttp(_server, bearerToken: "other");

        using HttpResponseMessage response = await wrong.Http.GetAsync($"storage/v1/b/{Bucket}");

        await GcsHttp.AssertErrorAsync(response, 401, "authError");
    }

    [Fact]
    public async Task RequiredToken_Present_IsServed_AndTheSessionUriNeedsNoToken()
    {
        using var authorized = new GcsHttp(_server, bearerToken: Token);
        using var anonymous = new GcsHttp(_server);

        using HttpResponseMessage bucket = await authorized.Http.GetAsync($"storage/v1/b/{Bucket}");
        Uri session = await authorized.InitiateAsync(Bucket, "x");
        using HttpResponseMessage chunk = await anonymous.PutChunkAsync(session, [1, 2], 0, 2, 2);

        Assert.Equal(HttpStatusCode.OK, bucket.StatusCode);
        Assert.Equal(HttpStatusCode.OK, chunk.StatusCode);
    }
}
