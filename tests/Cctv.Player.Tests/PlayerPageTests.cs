using System.Net;
using System.Text.RegularExpressions;
using Cctv.Functions.Hosting;
using Cctv.Functions.Player;
using Cctv.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace Cctv.Player.Tests;

/// <summary>The functions host serves the page (embedded at build time, hls.js included) where the player API is, and nowhere else.</summary>
public sealed partial class PlayerPageTests
{
    [Fact]
    public async Task Root_RedirectsToThePlayerPage_AndThePageLoadsItsModulesFromItsOwnOrigin()
    {
        await using var host = await HostAsync(target: null);
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = host.Base };

        using HttpResponseMessage root = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.Redirect, root.StatusCode);
        Assert.Equal(PlayerPage.Path, root.Headers.Location?.OriginalString);
        using HttpResponseMessage bare = await client.GetAsync("/player");
        Assert.Equal(PlayerPage.Path, bare.Headers.Location?.OriginalString);

        using HttpResponseMessage page = await client.GetAsync(PlayerPage.Path);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Equal(PlayerPage.ContentSecurityPolicy, page.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal("no-referrer", page.Headers.GetValues("Referrer-Policy").Single());
        string html = await page.Content.ReadAsStringAsync();
        Assert.Contains("<script type=\"module\" src=\"app.js\"></script>", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EveryModuleThePageImports_IsServed_HlsJsIncluded()
    {
        await using var host = await HostAsync(target: null);
        using var client = new HttpClient { BaseAddress = host.Base };
        var pending = new Queue<string>(["app.js"]);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (pending.TryDequeue(out string? file))
        {
            if (!seen.Add(file))
            {
                continue;
            }
            using HttpResponseMessage response = await client.GetAsync(PlayerPage.Path + file);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{PlayerPage.Path}{file}: HTTP {(int)response.StatusCode}");
            Assert.Equal("text/javascript", response.Content.Headers.ContentType?.MediaType);
            string source = await response.Content.ReadAsStringAsync();
            if (file != "hls.min.mjs")
            {
                foreach (Match import in ImportPattern().Matches(source))
                {
                    pending.Enqueue(import.Groups["file"].Value);
                }
            }
        }
        Assert.Equal(["api.js", "app.js", "hls.min.mjs", "model.js", "playback.js"], seen.Order(StringComparer.Ordinal));
        using HttpResponseMessage css = await client.GetAsync(PlayerPage.Path + "player.css");
        Assert.Equal("text/css", css.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData(FunctionTargets.PlayerApi, true)]
    [InlineData(FunctionTargets.StagingObjectFinalized, false)]
    [InlineData(FunctionTargets.ReconcileSweep, false)]
    [InlineData(FunctionTargets.RetryHandler, false)]
    public async Task ThePage_IsServedByTheAllInOneHostAndThePlayerApiTarget_Only(string? target, bool serves)
    {
        await using var host = await HostAsync(target);
        using var client = new HttpClient { BaseAddress = host.Base };

        using HttpResponseMessage page = await client.GetAsync(PlayerPage.Path);
        using HttpResponseMessage health = await client.GetAsync("/healthz");

        Assert.Equal(serves ? HttpStatusCode.OK : HttpStatusCode.NotFound, page.StatusCode);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task ThePage_NeedsNoToken_ButTheApiStillDoes()
    {
        await using var host = await HostAsync(target: FunctionTargets.PlayerApi);
        using var client = new HttpClient { BaseAddress = host.Base };

        using HttpResponseMessage page = await client.GetAsync(PlayerPage.Path + "index.html");
        using HttpResponseMessage cameras = await client.GetAsync("/api/cameras/");

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, cameras.StatusCode);
    }

    [GeneratedRegex(@"^import .* from '\./(?<file>[\w.]+)';$", RegexOptions.Multiline)]
    private static partial Regex ImportPattern();

    private static async Task<RunningHost> HostAsync(string? target)
    {
        var dir = new TempDir("player-page");
        WebApplication app = FunctionsHost.Build(new FunctionsHostSettings(dir.Path, "page-test-token-0123456789", target, ["http://127.0.0.1:0"],
            MinimumLogLevel: LogLevel.Warning));
        await app.StartAsync();
        return new RunningHost(app, dir, new Uri(app.Urls.First()));
    }

    private sealed record RunningHost(WebApplication App, TempDir Dir, Uri Base) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await App.StopAsync();
            await App.DisposeAsync();
            Dir.Dispose();
        }
    }
}
