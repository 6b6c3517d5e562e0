using System.Text.Json;
using Cctv.Shared.Domain;
using Cctv.Shared.Local;
using Cctv.TestSupport;

namespace Cctv.Functions.Tests.Operator;

/// <summary>The operator commands, run as the built program (dotnet Cctv.Functions.dll ...), so stdout is exactly what a shell gets.</summary>
public sealed class OperatorCommandTests
{
    private static readonly string Vectors = Path.Combine(AppContext.BaseDirectory, "testdata", "gcs-conformance");

    private static Task<(int Exit, string Stdout, string Stderr)> RunAsync(params string[] args) => BuiltFunctionsHost.RunAsync(args);

    [Fact]
    public async Task SignUrl_WithTheVectorsKeyAndTimestamp_PrintsGooglesExpectedUrl_AndNothingElse()
    {
        using JsonDocument vectors = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(Vectors, "v4_signatures.json")));
        JsonElement simpleGet = vectors.RootElement.GetProperty("signingV4Tests").EnumerateArray().First(c => c.GetProperty("description").GetString() == "Simple GET");

        (int exit, string stdout, string stderr) = await RunAsync("sign-url", "--key", Path.Combine(Vectors, "test_service_account.not-a-test.json"),
            "--bucket", "test-bucket", "--object", "test-object", "--method", "GET", "--expires", "10", "--timestamp", "2019-02-01T09:00:00Z");

        Assert.Equal(0, exit);
        Assert.Equal(simpleGet.GetProperty("expectedUrl").GetString() + Environment.NewLine, stdout);
        Assert.Equal("", stderr);
    }

    [Fact]
    public async Task SignUrl_ForADownload_SignsTheAttachmentFileNameAndType()
    {
        (int exit, string stdout, _) = await RunAsync("sign-url", "--key", Path.Combine(Vectors, "test_service_account.not-a-test.json"),
            "--bucket", "cctv-archive", "--object", "recordings/gate/2026/01/15/x.mp4", "--expires", "3600", "--download", "gate-incident.mp4", "--content-type", "video/mp4");

        Assert.Equal(0, exit);
        Uri url = new(stdout.Trim());
        Assert.Equal("/cctv-archive/recordings/gate/2026/01/15/x.mp4", url.AbsolutePath);
        Assert.Contains("response-content-disposition=attachment%3B%20filename%3D%22gate-incident.mp4%22", url.Query, StringComparison.Ordinal);
        Assert.Contains("response-content-type=video%2Fmp4", url.Query, StringComparison.Ordinal);
        Assert.Contains("X-Goog-Expires=3600&", url.Query, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--expires", "604801", "604800")]
    [InlineData("--expires", "0", "604800")]
    [InlineData("--method", "PATCH", "GET, HEAD")]
    [InlineData("--timestamp", "2019-02-01 09:00", "ISO 8601")]
    [InlineData("--key", "/nonexistent/key.json", "does not exist")]
    public async Task SignUrl_WithABadArgument_PrintsNothingOnStdout_AndSaysWhatToFixOnStderr(string option, string value, string fix)
    {
        var args = new List<string> { "sign-url", "--key", Path.Combine(Vectors, "test_service_account.not-a-test.json"), "--bucket", "b", "--object", "o" };
        int existing = args.IndexOf(option);
        if (existing >= 0)
        {
            args[existing + 1] = value;
        }
        else
        {
            args.AddRange([option, value]);
        }

        (int exit, string stdout, string stderr) = await RunAsync([.. args]);

        Assert.Equal(2, exit);
        Assert.Equal("", stdout);
        Assert.Contains(fix, stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Access_AssignsSites_GrantsAndListsThem_AndMakesAKeyShownOnceAndStoredHashed()
    {
        using var dir = new TempDir("access");

        Assert.Equal(0, (await RunAsync("access", "--data-dir", dir.Path, "site", "--recorder", "r-hq", "--site", "hq")).Exit);
        Assert.Equal(0, (await RunAsync("access", "--data-dir", dir.Path, "grant", "--principal", "Alice@Example.com", "--site", "hq")).Exit);
        Assert.Equal(0, (await RunAsync("access", "--data-dir", dir.Path, "grant", "--principal", "alice@example.com", "--camera", "r-depot~depot-door")).Exit);
        Assert.Equal(0, (await RunAsync("access", "--data-dir", dir.Path, "grant", "--principal", "alice@example.com", "--recorder", "r-yard", "--camera", "cam1")).Exit);
        Assert.Equal(0, (await RunAsync("access", "--data-dir", dir.Path, "grant", "--principal", "alice@example.com", "--site", "depot", "--camera", "cam1")).Exit);
        (int bareExit, _, string bareErr) = await RunAsync("access", "--data-dir", dir.Path, "grant", "--principal", "alice@example.com", "--camera", "cam1");
        (int keyExit, string key, _) = await RunAsync("access", "--data-dir", dir.Path, "key-create", "--name", "nvr-export");
        (int badExit, string badOut, string badErr) = await RunAsync("access", "--data-dir", dir.Path, "grant", "--principal", "alice@example.com", "--site", "hq", "--all");
        (_, string listed, _) = await RunAsync("access", "--data-dir", dir.Path, "list", "--principal", "user:alice@example.com");

        Assert.Equal(0, keyExit);
        Assert.Matches("^cctv_[0-9a-f]{12}_[A-Za-z0-9_-]{43}\n$", key.Replace("\r", "", StringComparison.Ordinal));
        Assert.Equal((2, ""), (badExit, badOut));
        Assert.Contains("give --site, --site with --camera, --recorder with --camera, --camera RECORDER~CAMERA, or --all", badErr, StringComparison.Ordinal);
        Assert.Equal(2, bareExit); // a bare camera ID could be another site's camera
        Assert.Contains("--camera RECORDER~cam1", bareErr, StringComparison.Ordinal);
        Assert.Equal("camera\tr-depot~depot-door\ncamera\tr-yard~cam1\nsite\thq\nsite-camera\tdepot~cam1\n", listed.Replace("\r", "", StringComparison.Ordinal));
        var catalog = new LocalBackend(dir.Path, TimeProvider.System).Catalog;
        Assert.Equal("hq", (await catalog.ListRecorderSitesAsync(CancellationToken.None))["r-hq"]);
        ApiKeyRecord stored = (await catalog.GetApiKeyAsync(key.Trim()[5..17], CancellationToken.None))!;
        Assert.Equal(("key:nvr-export", 64), (stored.Principal, stored.SecretSha256.Length));
        Assert.DoesNotContain(key.Trim()[18..], stored.SecretSha256, StringComparison.Ordinal);

        Assert.Equal(0, (await RunAsync("access", "--data-dir", dir.Path, "key-revoke", "--id", key.Trim())).Exit);
        Assert.NotNull((await catalog.GetApiKeyAsync(stored.KeyId, CancellationToken.None))!.RevokedAt);
    }
}
