using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Cctv.Shared.Domain;
using Cctv.TestSupport;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Cctv.Player.Tests;

/// <summary>
/// The player page in Debian's headless Chromium, driven by Playwright (its executable path set: no browser is
/// downloaded), against the demo's host over real recorded footage of two sites whose recorders both have a camera
/// <c>cam1</c> (<see cref="FootageRig"/>): sign in (a wrong token first) with site A's API key and see site A's cameras
/// only, cam1's timeline with site A's gap and not site B's, play at least 5 seconds, jump across the gap, download the
/// recording on screen and compare its bytes with the catalog's SHA-256, with nothing of site B anywhere in the page or
/// in any response it received; then as the operator, both cam1s told apart by site, site B's played; a range with no
/// footage; then site B's key at a phone's width, and the backend going away. Screenshots of each step go to
/// screenshots/ in the test output folder (bin/Debug/net10.0/screenshots/), which CI keeps.
/// </summary>
[Trait("Category", "Slow")]
public sealed class PlayerBrowserTests(ITestOutputHelper output)
{
    public const string Chromium = "/usr/bin/chromium";

    /// <summary>The flags these machines need (../.library/env/machines/dotnet.md); Playwright adds a fresh --user-data-dir.</summary>
    private static readonly string[] ChromiumArgs =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync",
    ];

    private static string Screenshots { get; } = Path.Combine(AppContext.BaseDirectory, "screenshots");

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<string> _pageErrors = [];

    [Fact]
    public async Task ThePlayerPage_ShowsEachSiteOnlyItsOwnCam1_PlaysAcrossTheGap_AndDownloadsTheVerifiedRecording_OnDesktopAndPhone()
    {
        string chromium = RequiredTool.Find("chromium", "chromium");
        Assert.Equal(Chromium, chromium);
        Directory.CreateDirectory(Screenshots);
        foreach (string old in Directory.EnumerateFiles(Screenshots, "*.png"))
        {
            File.Delete(old);
        }
        SetDefaultExpectTimeout(20_000);

        await using FootageRig rig = await FootageRig.RecordAsync(Log);
        using IPlaywright playwright = await Playwright.CreateAsync();
        await using IBrowser browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = chromium,
            Headless = true,
            Args = ChromiumArgs,
        });
        Log($"Chromium {browser.Version} started");

        await DesktopAsync(browser, rig);
        await PhoneAsync(browser, rig);

        Assert.True(_pageErrors.Count == 0, "the page threw:\n" + string.Join("\n", _pageErrors));
        Log($"done; screenshots in {Screenshots}");
    }

    private async Task DesktopAsync(IBrowser browser, FootageRig rig)
    {
        await using IBrowserContext context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
            TimezoneId = "UTC",
            AcceptDownloads = true,
        });
        (IPage page, PageTraffic traffic) = await OpenAsync(context, rig);
        RecordedSite a = rig.A;
        RecordedSite b = rig.B;
        try
        {
            await Expect(page.Locator("#signin")).ToBeVisibleAsync();
            await ShotAsync(page, "01-desktop-sign-in");

            await page.FillAsync("#token", "not-the-token");
            await page.ClickAsync("#signin-button");
            await Expect(page.Locator("#message")).ToContainTextAsync("The API refused this token (HTTP 401");
            await Expect(page.Locator("#signin")).ToBeVisibleAsync();
            await ShotAsync(page, "02-desktop-wrong-token");
            Log("a wrong token is refused, and the page says so");

            // Site A's API key: site A's cameras only, and nothing of site B anywhere.
            await page.FillAsync("#token", a.ApiKey);
            await page.ClickAsync("#signin-button");
            ILocator cam1 = CameraOf(page, a.Cam1);
            await Expect(cam1.Locator(".timeline .block.recorded").First).ToBeVisibleAsync();
            await Expect(CameraOf(page, a.Other).Locator(".summary")).ToContainTextAsync("no footage in this range");
            await Expect(page.Locator("#message")).ToBeHiddenAsync();
            // Every timeline and the status have answered (the page renders them together): check what they carried.
            await NothingOfAsync(page, traffic, b, "site B");
            await TheCamerasAsync(page, a.Cam1, a.Other);
            await Expect(page.Locator("#recorders")).ToContainTextAsync("shown to operators only");
            await Expect(page.Locator("#cameras .where")).ToHaveTextAsync([a.Where, a.Where]);
            await TheGapAsync(cam1.Locator(".timeline"), a.Gap);
            await NotTheGapAsync(cam1.Locator(".timeline"), b.Gap);
            await ShotAsync(page, "03-desktop-site-a-cameras");
            Log($"signed in with site A's key: {a.Cam1} and {a.Other} listed ({a.Where}), cam1's timeline shows its own gap and not site B's");

            await cam1.Locator(".camera-pick").ClickAsync();
            await Expect(page.Locator("#player-title")).ToContainTextAsync(a.Where);
            double started = await PlayingAsync(page);
            await page.WaitForFunctionAsync("t0 => document.getElementById('video').currentTime >= t0 + 5", started,
                new PageWaitForFunctionOptions { Timeout = 30_000 });
            double played = await CurrentTimeAsync(page);
            DateTimeOffset beforeJump = await WallClockAsync(page);
            Assert.True(beforeJump < a.Gap.StartTime, $"playback crossed the gap on its own: at {beforeJump:HH:mm:ss.fff}, the gap starts at {a.Gap.StartTime:HH:mm:ss.fff}");
            ILocator gap = await TheGapAsync(page.Locator("#footage-timeline"), a.Gap);
            await NotTheGapAsync(page.Locator("#footage-timeline"), b.Gap);
            DateTimeOffset validUntil = DateTimeOffset.Parse((await page.GetAttributeAsync("#refresh-status", "data-valid-until"))!, CultureInfo.InvariantCulture);
            DateTimeOffset refreshAt = DateTimeOffset.Parse((await page.GetAttributeAsync("#refresh-status", "data-refresh-at"))!, CultureInfo.InvariantCulture);
            Assert.True(refreshAt <= validUntil - TimeSpan.FromMinutes(5) && refreshAt > DateTimeOffset.UtcNow,
                $"the page fetches new links at {refreshAt:O}, for links valid until {validUntil:O}");
            await ShotAsync(page, "04-desktop-playing");
            Log($"played {played - started:0.0} s of {a.Cam1} (video time {started:0.0} -> {played:0.0} s), on screen {beforeJump:HH:mm:ss.fff}");

            await page.ClickAsync("#next-footage");
            await page.WaitForFunctionAsync("end => Date.parse(document.getElementById('clock').dataset.wall ?? '') >= end",
                (a.Gap.EndTime!.Value - TimeSpan.FromSeconds(1)).ToUnixTimeMilliseconds(), new PageWaitForFunctionOptions { Timeout = 15_000 });
            double afterJump = await CurrentTimeAsync(page);
            await page.WaitForFunctionAsync("t0 => document.getElementById('video').currentTime >= t0 + 1.5", afterJump,
                new PageWaitForFunctionOptions { Timeout = 20_000 });
            DateTimeOffset acrossGap = await WallClockAsync(page);
            Assert.True(acrossGap >= a.Gap.EndTime, $"after the jump the clock shows {acrossGap:HH:mm:ss.fff}, before the gap's end {a.Gap.EndTime:HH:mm:ss.fff}");
            await gap.ClickAsync();
            await Expect(page.Locator("#footage-detail")).ToContainTextAsync($"camera offline — {a.Gap.Reason}");
            await ShotAsync(page, "05-desktop-across-the-gap");
            Log($"jumped across the gap ({a.Gap.StartTime:HH:mm:ss.fff}–{a.Gap.EndTime:HH:mm:ss.fff}); playing on at {acrossGap:HH:mm:ss.fff}");

            // Playback goes on while the download runs, so the recording on screen may change between reading the
            // button and clicking it: the status names the recording that was actually saved.
            IDownload download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#download"));
            string saved = Path.Combine(Screenshots, "downloaded-" + download.SuggestedFilename);
            await download.SaveAsAsync(saved);
            await Expect(page.Locator("#download-status")).ToContainTextAsync("its SHA-256 matches the catalog's");
            string id = (await page.GetAttributeAsync("#download-status", "data-recording-id"))!;
            Assert.Contains(id, a.Recordings.Select(r => r.Id));
            Recording recording = (await rig.Backend.Catalog.GetAsync(id, CancellationToken.None))!;
            await using (FileStream file = File.OpenRead(saved))
            {
                Assert.Equal(recording.Announcement.Sha256, Convert.ToHexStringLower(await SHA256.HashDataAsync(file)));
            }
            Assert.Equal(recording.Announcement.FileSize, new FileInfo(saved).Length);
            File.Delete(saved);
            await ShotAsync(page, "06-desktop-downloaded");
            Log($"downloaded {download.SuggestedFilename} ({recording.Announcement.FileSize} bytes) of {a.RecorderId}: its SHA-256 is the catalog's");

            // Evidence of the range on screen: the API writes the bundle and the page offers its link and SHA-256. The
            // recorder's last manifest may still be on its way to the archive (the API then says to try again).
            string? sha = null;
            for (int attempt = 0; attempt < 10 && sha is null; attempt++)
            {
                await page.ClickAsync("#export-evidence");
                await Expect(page.Locator("#export-evidence")).ToBeEnabledAsync(new LocatorAssertionsToBeEnabledOptions { Timeout = 120_000 });
                sha = await page.GetAttributeAsync("#export-status", "data-sha256");
                if (sha is null)
                {
                    Log($"export not ready yet: {await page.TextContentAsync("#export-status")}");
                    await Task.Delay(3000);
                }
            }
            Assert.True(sha is not null, await page.TextContentAsync("#export-status"));
            string bundleUrl = (await page.GetAttributeAsync("#export-link", "href"))!;
            using (var http = new HttpClient())
            {
                byte[] bundle = await http.GetByteArrayAsync(new Uri(bundleUrl));
                Assert.Equal(sha, Convert.ToHexStringLower(SHA256.HashData(bundle)));
                string bundlePath = Path.Combine(Screenshots, "evidence.zip");
                await File.WriteAllBytesAsync(bundlePath, bundle);
                using (var opened = Cctv.Shared.Evidence.EvidenceBundle.Open(bundlePath))
                {
                    Cctv.Shared.Evidence.BundleReport report = Cctv.Shared.Evidence.BundleVerifier.Verify(opened);
                    Assert.True(report.IsIntact, string.Join("; ", report.Breaks.Select(x => x.ToString())));
                    Assert.Equal(a.Cam1, report.Index.Camera);
                }
                File.Delete(bundlePath);
            }
            await ShotAsync(page, "06b-desktop-evidence-exported");
            Log($"exported the evidence of the range on screen ({sha}); it verifies intact");
            await NothingOfAsync(page, traffic, b, "site B");

            // The operator: both cam1s, told apart by their site.
            await page.ClickAsync("#signout");
            await Expect(page.Locator("#signin")).ToBeVisibleAsync();
            await page.FillAsync("#token", FootageRig.Token);
            await page.ClickAsync("#signin-button");
            ILocator aCam1 = CameraOf(page, a.Cam1);
            ILocator bCam1 = CameraOf(page, b.Cam1);
            await Expect(bCam1.Locator(".timeline .block.recorded").First).ToBeVisibleAsync();
            await TheCamerasAsync(page, a.Cam1, a.Other, b.Cam1, b.Other);
            foreach ((ILocator item, RecordedSite site) in ((ILocator, RecordedSite)[])[(aCam1, a), (bCam1, b)])
            {
                await Expect(item.Locator(".name")).ToHaveTextAsync(RecordedSite.Cam1Name);
                await Expect(item.Locator(".id")).ToHaveTextAsync("cam1");
                await Expect(item.Locator(".where")).ToHaveTextAsync(site.Where);
                await Expect(item.Locator(".summary")).ToContainTextAsync("recorder online, backlog 0");
            }
            await TheGapAsync(aCam1.Locator(".timeline"), a.Gap);
            await NotTheGapAsync(aCam1.Locator(".timeline"), b.Gap);
            await TheGapAsync(bCam1.Locator(".timeline"), b.Gap);
            await NotTheGapAsync(bCam1.Locator(".timeline"), a.Gap);
            await Expect(page.Locator("#recorders tbody tr th")).ToHaveTextAsync([a.RecorderId, b.RecorderId]);
            await Expect(page.Locator("#recorders tbody tr td:nth-child(4)")).ToHaveTextAsync(["0 (0 B)", "0 (0 B)"]);
            await ShotAsync(page, "07-desktop-operator-both-cam1");
            Log("signed in as the operator: both cam1s listed, each with its site, recorder and own gap; both recorders' backlog is 0");

            await bCam1.Locator(".camera-pick").ClickAsync();
            await Expect(page.Locator("#player-title")).ToContainTextAsync(b.Where);
            await PlayingAsync(page);
            await page.WaitForFunctionAsync("() => document.getElementById('download').dataset.recordingId", null,
                new PageWaitForFunctionOptions { Timeout = 10_000 });
            Assert.Contains((await page.GetAttributeAsync("#download", "data-recording-id"))!, b.Recordings.Select(r => r.Id));
            await ShotAsync(page, "08-desktop-operator-plays-site-b");
            Log($"the operator picked {b.Cam1}: its footage plays");
            await traffic.TakeAsync();

            // A range a day ago holds no footage: the page says so, with the reason.
            DateTime dayAgo = DateTime.UtcNow.AddDays(-1);
            await page.SelectOptionAsync("#range", "custom");
            await page.FillAsync("#from", dayAgo.ToString("yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture));
            await page.FillAsync("#to", dayAgo.AddHours(1).ToString("yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture));
            await Expect(page.Locator("#player-message")).ToContainTextAsync($"No footage from {RecordedSite.Cam1Name} between");
            await Expect(page.Locator("#player-message")).ToContainTextAsync("no recording");
            await ShotAsync(page, "09-desktop-no-footage");
            Log("a range with no footage is named as such");

            await AssertNoSidewaysScrollAsync(page);
        }
        catch
        {
            await ShotAsync(page, "failed-desktop");
            throw;
        }
    }

    private async Task PhoneAsync(IBrowser browser, FootageRig rig)
    {
        await using IBrowserContext context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 390, Height = 844 },
            DeviceScaleFactor = 2,
            IsMobile = true,
            HasTouch = true,
            TimezoneId = "Europe/Berlin",
            AcceptDownloads = true,
        });
        (IPage page, PageTraffic traffic) = await OpenAsync(context, rig);
        RecordedSite a = rig.A;
        RecordedSite b = rig.B;
        try
        {
            await page.FillAsync("#token", b.ApiKey);
            await page.TapAsync("#signin-button");
            ILocator cam1 = CameraOf(page, b.Cam1);
            await TheGapAsync(cam1.Locator(".timeline"), b.Gap);
            await Expect(CameraOf(page, b.Other).Locator(".summary")).ToContainTextAsync("no footage in this range");
            await NothingOfAsync(page, traffic, a, "site A");
            await TheCamerasAsync(page, b.Cam1, b.Other);
            await NotTheGapAsync(cam1.Locator(".timeline"), a.Gap);
            await ShotAsync(page, "10-phone-site-b-cameras");

            await cam1.Locator(".camera-pick").TapAsync();
            double started = await PlayingAsync(page);
            await page.WaitForFunctionAsync("t0 => document.getElementById('video').currentTime >= t0 + 5", started,
                new PageWaitForFunctionOptions { Timeout = 30_000 });
            await (await TheGapAsync(page.Locator("#footage-timeline"), b.Gap)).TapAsync();
            await Expect(page.Locator("#footage-detail")).ToContainTextAsync($"camera offline — {b.Gap.Reason}");
            await AssertNoSidewaysScrollAsync(page);
            await ShotAsync(page, "11-phone-playing-gap-reason");
            Log($"at 390 px with site B's key: {b.Cam1} and {b.Other} only, cam1 plays, a tap on its gap shows its reason, nothing scrolls sideways");

            await CameraOf(page, b.Other).Locator(".camera-pick").TapAsync();
            await Expect(page.Locator("#player-message")).ToContainTextAsync($"No footage from {b.OtherCameraName} between");
            await ShotAsync(page, "12-phone-camera-without-footage");
            Log($"{b.Other}, which never answered: {await page.Locator("#player-message").TextContentAsync()}");
            await NothingOfAsync(page, traffic, a, "site A");

            await rig.StopHostAsync();
            await page.TapAsync("#refresh");
            await Expect(page.Locator("#message")).ToContainTextAsync("The backend cannot be reached");
            await ShotAsync(page, "13-phone-backend-unreachable");
            Log("with the host stopped, Refresh says the backend cannot be reached");
        }
        catch
        {
            await ShotAsync(page, "failed-phone");
            throw;
        }
    }

    private async Task<(IPage Page, PageTraffic Traffic)> OpenAsync(IBrowserContext context, FootageRig rig)
    {
        IPage page = await context.NewPageAsync();
        var traffic = new PageTraffic(page);
        page.PageError += (_, error) => _pageErrors.Add(error);
        page.Console += (_, message) =>
        {
            if (message.Type is "error" or "warning")
            {
                output.WriteLine($"  [console {message.Type}] {message.Text}");
            }
        };
        IResponse? response = await page.GotoAsync(rig.BaseUrl.AbsoluteUri);
        Assert.True(response?.Ok, $"GET {rig.BaseUrl}: {response?.Status}");
        Assert.EndsWith("/player/", page.Url, StringComparison.Ordinal);
        return (page, traffic);
    }

    private static ILocator CameraOf(IPage page, CameraKey camera) => page.Locator($"#cameras > li[data-camera-key=\"{camera}\"]");

    /// <summary>The page lists exactly these cameras, in this order.</summary>
    private static async Task TheCamerasAsync(IPage page, params CameraKey[] cameras)
    {
        ILocator items = page.Locator("#cameras > li");
        await Expect(items).ToHaveCountAsync(cameras.Length);
        string[] keys = await items.EvaluateAllAsync<string[]>("items => items.map(i => i.dataset.cameraKey)");
        Assert.Equal(cameras.Select(c => c.ToString()), keys);
    }

    /// <summary>
    /// Neither the page's document nor any response it received since the last check (URL, headers, body) carries
    /// anything of <paramref name="other"/>: its site and recorder IDs, recording IDs, object names, SHA-256s, gap ID.
    /// </summary>
    private async Task NothingOfAsync(IPage page, PageTraffic traffic, RecordedSite other, string whose)
    {
        IReadOnlyList<PageTraffic.Received> received = await traffic.AssertNoneCarriesAsync(other.Secrets, whose);
        string dom = await page.ContentAsync();
        string[] found = [.. other.Secrets.Where(s => dom.Contains(s, StringComparison.Ordinal))];
        Assert.True(found.Length == 0, $"the page's document carries {whose}'s {string.Join(", ", found)}");
        Log($"nothing of {whose} ({other.Secrets.Count} IDs) in the page or in the {received.Count} responses it received "
            + $"({received.Sum(r => (long)(r.Body?.Length ?? 0))} bytes of bodies; {received.Count(r => r.Unreadable is not null)} bodies unreadable: "
            + string.Join(", ", received.Where(r => r.Unreadable is not null).Select(r => new Uri(r.Url).AbsolutePath).Distinct()) + ")");
    }

    /// <summary>The block of a timeline bar that shows the catalog's gap (camera offline, from its start to its end, to the second).</summary>
    private static async Task<ILocator> TheGapAsync(ILocator bar, RecordingGap gap)
    {
        ILocator gaps = bar.Locator(".block.gap[data-reason=camera_offline]");
        await Expect(gaps.First).ToBeAttachedAsync();
        string[][] spans = await gaps.EvaluateAllAsync<string[][]>("blocks => blocks.map(b => [b.dataset.start, b.dataset.end])");
        for (int i = 0; i < spans.Length; i++)
        {
            DateTimeOffset start = DateTimeOffset.Parse(spans[i][0], CultureInfo.InvariantCulture);
            DateTimeOffset end = DateTimeOffset.Parse(spans[i][1], CultureInfo.InvariantCulture);
            if ((start - gap.StartTime).Duration() < TimeSpan.FromSeconds(1) && (end - gap.EndTime!.Value).Duration() < TimeSpan.FromSeconds(1))
            {
                return gaps.Nth(i);
            }
        }
        throw new Xunit.Sdk.XunitException($"no camera_offline gap from {gap.StartTime:HH:mm:ss.fff} to {gap.EndTime:HH:mm:ss.fff} on the bar; it shows "
            + string.Join(", ", spans.Select(s => $"{s[0]}–{s[1]}")));
    }

    /// <summary>The timeline bar shows no gap (of any reason) from <paramref name="gap"/>'s start to its end: another camera's gap.</summary>
    private static async Task NotTheGapAsync(ILocator bar, RecordingGap gap)
    {
        await Expect(bar.Locator(".block").First).ToBeAttachedAsync();
        string[][] spans = await bar.Locator(".block.gap").EvaluateAllAsync<string[][]>("blocks => blocks.map(b => [b.dataset.start, b.dataset.end])");
        Assert.DoesNotContain(spans, s =>
            (DateTimeOffset.Parse(s[0], CultureInfo.InvariantCulture) - gap.StartTime).Duration() < TimeSpan.FromSeconds(1)
            && (DateTimeOffset.Parse(s[1], CultureInfo.InvariantCulture) - gap.EndTime!.Value).Duration() < TimeSpan.FromSeconds(1));
    }

    /// <summary>Waits until the video plays (its time moves) and returns its time then.</summary>
    private static async Task<double> PlayingAsync(IPage page)
    {
        await page.WaitForFunctionAsync("() => { const v = document.getElementById('video'); return !v.paused && v.currentTime > 0.2; }", null,
            new PageWaitForFunctionOptions { Timeout = 30_000 });
        return await CurrentTimeAsync(page);
    }

    private static Task<double> CurrentTimeAsync(IPage page) => page.EvaluateAsync<double>("() => document.getElementById('video').currentTime");

    private static async Task<DateTimeOffset> WallClockAsync(IPage page) =>
        DateTimeOffset.Parse((await page.GetAttributeAsync("#clock", "data-wall"))!, CultureInfo.InvariantCulture);

    private static async Task AssertNoSidewaysScrollAsync(IPage page)
    {
        int[] widths = await page.EvaluateAsync<int[]>("() => [document.documentElement.scrollWidth, window.innerWidth]");
        Assert.True(widths[0] <= widths[1], $"the page is {widths[0]} px wide in a {widths[1]} px window");
    }

    private static async Task ShotAsync(IPage page, string name) =>
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, name + ".png"), FullPage = true });

    private void Log(string line) => output.WriteLine($"[{_clock.Elapsed.TotalSeconds,5:0.0} s] {line}");
}
