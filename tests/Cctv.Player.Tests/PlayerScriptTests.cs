using System.Diagnostics;
using Cctv.TestSupport;

namespace Cctv.Player.Tests;

/// <summary>
/// The page's pure modules (functions/Player/web/model.js, api.js) under node's own test runner: the playlist parser,
/// clock and seek arithmetic, jumps across gaps, when to fetch fresh links, timeline blocks, and what each API failure
/// is called. The tests are Scripts/*.test.mjs.
/// </summary>
public sealed class PlayerScriptTests
{
    [Fact]
    public async Task PageModules_PassTheirNodeTests()
    {
        string node = RequiredTool.Find("node", "nodejs");
        string scripts = Path.Combine(Repository.Root, "tests", "Cctv.Player.Tests", "Scripts");
        var start = new ProcessStartInfo(node)
        {
            WorkingDirectory = Repository.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add("--test");
        start.ArgumentList.Add("--test-reporter=spec");
        foreach (string file in Directory.EnumerateFiles(scripts, "*.test.mjs").Order(StringComparer.Ordinal))
        {
            start.ArgumentList.Add(file);
        }
        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);

        Assert.True(process.ExitCode == 0, $"node --test failed ({process.ExitCode}):\n{await stdout}\n{await stderr}");
        Assert.Contains("fail 0", await stdout, StringComparison.Ordinal);
    }
}

/// <summary>The checkout this test assembly was built from.</summary>
internal static class Repository
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CctvServerless.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"No CctvServerless.sln above {AppContext.BaseDirectory}.");
    }
}
