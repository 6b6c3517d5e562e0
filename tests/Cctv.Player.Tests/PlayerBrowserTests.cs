using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Cctv.EdgeRecorder.Demo;
using Cctv.Shared.Domain;
using Cctv.TestSupport;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Cctv.Player.Tests;

/// <summary>
/// The player page in Debian's headless Chromium, driven by Playwright (its executable path set: no browser is
/// downloaded), against the demo's host over real recorded footage with a gap: sign in (a wrong token first), pick
/// cam1, see its timeline and the gap's reason, play at least 5 seconds, jump across the gap, download the recording
/// on screen and compare its bytes with the catalog's SHA-256, ask for a range with no footage; then the same page at
/// a phone's width, and the backend going away. Screenshots of each step go to screenshots/ in the test output folder
/// (bin/Debug/net10.0/screenshots/), which CI keeps.
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
    public async Task ThePlayerPage_SignsIn_ShowsTheTimeline_PlaysAcrossTheGap_AndDownloadsTheVerifiedRecording_OnDesktopAndPhone()
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
        IPage page = await OpenAsync(context, rig);
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

            await page.FillAsync("#token", FootageRig.Token);
            await page.ClickAsync("#signin-button");
            ILocator cam1 = page.Locator("li[data-camera-id=cam1]");
            await Expect(cam1.Locator(".timeline .block.recorded").First).ToBeVisibleAsync();
            await Expect(page.Locator("li[data-camera-id=cam2] .summary")).ToContainTextAsync("no footage in this range");
            await Expect(page.Locator("#message")).ToBeHiddenAsync();
            await TheGapAsync(cam1.Locator(".timeline"), rig.Gap);
            await Expect(page.Locator("#recorders tbody tr th")).ToHaveTextAsync(DemoCommand.RecorderId);
            await Expect(page.Locator("#recorders tbody tr td").Nth(2)).ToContainTextAsync("0 (0 B)");
            Log("signed in: cam1 and cam2 listed, cam1's timeline shows its footage and the camera_offline gap, the recorder's backlog is 0");

            await cam1.Locator(".camera-pick").ClickAsync();
            double started = await PlayingAsync(page);
            await page.WaitForFunctionAsync("t0 => document.getElementById('video').currentTime >= t0 + 5", started,
                new PageWaitForFunctionOptions { Timeout = 30_000 });
            double played = await CurrentTimeAsync(page);
            DateTimeOffset beforeJump = await WallClockAsync(page);
            Assert.True(beforeJump < rig.Gap.StartTime, $"playback crossed the gap on its own: at {beforeJump:HH:mm:ss.fff}, the gap starts at {rig.Gap.StartTime:HH:mm:ss.fff}");
            ILocator gap = await TheGapAsync(page.Locator("#footage-timeline"), rig.Gap);
            DateTimeOffset validUntil = DateTimeOffset.Parse((await page.GetAttributeAsync("#refresh-status", "data-valid-until"))!, CultureInfo.InvariantCulture);
            DateTimeOffset refreshAt = DateTimeOffset.Parse((await page.GetAttributeAsync("#refresh-status", "data-refresh-at"))!, CultureInfo.InvariantCulture);
            Assert.True(refreshAt <= validUntil - TimeSpan.FromMinutes(5) && refreshAt > DateTimeOffset.UtcNow,
                $"the page fetches new links at {refreshAt:O}, for links valid until {validUntil:O}");
            await ShotAsync(page, "03-desktop-playing");
            Log($"played {played - started:0.0} s of cam1 (video time {started:0.0} -> {played:0.0} s), on screen {beforeJump:HH:mm:ss.fff}");

            await page.ClickAsync("#next-footage");
            await page.WaitForFunctionAsync("end => Date.parse(document.getElementById('clock').dataset.wall ?? '') >= end",
                (rig.Gap.EndTime!.Value - TimeSpan.FromSeconds(1)).ToUnixTimeMilliseconds(), new PageWaitForFunctionOptions { Timeout = 15_000 });
            double afterJump = await CurrentTimeAsync(page);
            await page.WaitForFunctionAsync("t0 => document.getElementById('video').currentTime >= t0 + 1.5", afterJump,
                new PageWaitForFunctionOptions { Timeout = 20_000 });
            DateTimeOffset acrossGap = await WallClockAsync(page);
            Assert.True(acrossGap >= rig.Gap.EndTime, $"after the jump the clock shows {acrossGap:HH:mm:ss.fff}, before the gap's end {rig.Gap.EndTime:HH:mm:ss.fff}");
            await gap.ClickAsync();
            await Expect(page.Locator("#footage-detail")).ToContainTextAsync($"camera offline — {rig.Gap.Reason}");
            await ShotAsync(page, "04-desktop-across-the-gap");
            Log($"jumped across the gap ({rig.Gap.StartTime:HH:mm:ss.fff}–{rig.Gap.EndTime:HH:mm:ss.fff}); playing on at {acrossGap:HH:mm:ss.fff}");

            string id = (await page.GetAttributeAsync("#download", "data-recording-id"))!;
            Assert.True(RecordingId.IsValid(id), $"the download button names '{id}'");
            IDownload download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#download"));
            string saved = Path.Combine(Screenshots, "downloaded-" + download.SuggestedFilename);
            await download.SaveAsAsync(saved);
            Recording recording = (await rig.Backend.Catalog.GetAsync(id, CancellationToken.None))!;
            await using (FileStream file = File.OpenRead(saved))
            {
                Assert.Equal(recording.Announcement.Sha256, Convert.ToHexStringLower(await SHA256.HashDataAsync(file)));
            }
            Assert.Equal(recording.Announcement.FileSize, new FileInfo(saved).Length);
            await Expect(page.Locator("#download-status")).ToContainTextAsync("its SHA-256 matches the catalog's");
            File.Delete(saved);
            await ShotAsync(page, "05-desktop-downloaded");
            Log($"downloaded {download.SuggestedFilename} ({recording.Announcement.FileSize} bytes): its SHA-256 is the catalog's");

            // A range a day ago holds no footage: the page says so, with the reason.
            DateTime dayAgo = DateTime.UtcNow.AddDays(-1);
            await page.SelectOptionAsync("#range", "custom");
            await page.FillAsync("#from", dayAgo.ToString("yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture));
            await page.FillAsync("#to", dayAgo.AddHours(1).ToString("yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture));
            await Expect(page.Locator("#player-message")).ToContainTextAsync("No footage from Camera 1 between");
            await Expect(page.Locator("#player-message")).ToContainTextAsync("no recording");
            await ShotAsync(page, "06-desktop-no-footage");
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
        IPage page = await OpenAsync(context, rig);
        try
        {
            await page.FillAsync("#token", FootageRig.Token);
            await page.TapAsync("#signin-button");
            ILocator cam1 = page.Locator("li[data-camera-id=cam1]");
            await TheGapAsync(cam1.Locator(".timeline"), rig.Gap);
            await ShotAsync(page, "07-phone-cameras");

            await cam1.Locator(".camera-pick").TapAsync();
            double started = await PlayingAsync(page);
            await page.WaitForFunctionAsync("t0 => document.getElementById('video').currentTime >= t0 + 5", started,
                new PageWaitForFunctionOptions { Timeout = 30_000 });
            await (await TheGapAsync(page.Locator("#footage-timeline"), rig.Gap)).TapAsync();
            await Expect(page.Locator("#footage-detail")).ToContainTextAsync($"camera offline — {rig.Gap.Reason}");
            await AssertNoSidewaysScrollAsync(page);
            await ShotAsync(page, "08-phone-playing-gap-reason");
            Log("at 390 px: signed in, cam1 plays, a tap on the gap shows its reason, nothing scrolls sideways");

            await page.Locator("li[data-camera-id=cam2] .camera-pick").TapAsync();
            await Expect(page.Locator("#player-message")).ToContainTextAsync("No footage from Camera 2 between");
            await ShotAsync(page, "09-phone-camera-without-footage");
            Log($"cam2, which never answered: {await page.Locator("#player-message").TextContentAsync()}");

            await rig.StopHostAsync();
            await page.TapAsync("#refresh");
            await Expect(page.Locator("#message")).ToContainTextAsync("The backend cannot be reached");
            await ShotAsync(page, "10-phone-backend-unreachable");
            Log("with the host stopped, Refresh says the backend cannot be reached");
        }
        catch
        {
            await ShotAsync(page, "failed-phone");
            throw;
        }
    }

    private async Task<IPage> OpenAsync(IBrowserContext context, FootageRig rig)
    {
        IPage page = await context.NewPageAsync();
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
        return page;
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
