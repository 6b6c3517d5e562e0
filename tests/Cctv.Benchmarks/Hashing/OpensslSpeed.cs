using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;

namespace Cctv.Benchmarks.Hashing;

/// <summary>
/// <c>openssl speed -evp sha256 -bytes 16384 -seconds 3 -elapsed</c>: OpenSSL's own SHA-256 on one core (no <c>-multi</c>),
/// the yardstick for the one-pass hasher. <c>-elapsed</c> divides by wall-clock time, as BenchmarkDotNet does, instead of
/// OpenSSL's default CPU time, so that on a shared machine both sides are measured the same way.
/// </summary>
internal static class OpensslSpeed
{
    public static string Command(int seconds) => $"openssl speed -evp sha256 -bytes 16384 -seconds {seconds} -elapsed";

    /// <summary>10^9 bytes per second, or why there is no figure (openssl missing, output not understood).</summary>
    public static async Task<(double? GBps, string? Problem)> MeasureAsync(int seconds)
    {
        var start = new ProcessStartInfo("openssl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in Command(seconds).Split(' ').Skip(1))
        {
            start.ArgumentList.Add(arg);
        }
        try
        {
            using Process process = Process.Start(start)!;
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            string output = await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            await stderr;
            return process.ExitCode == 0 && Parse(output) is { } gbps
                ? (gbps, null)
                : (null, $"openssl exited with {process.ExitCode} and printed no sha256 line");
        }
        catch (Win32Exception e)
        {
            return (null, $"openssl could not be started ({e.Message}); install it: apt-get install -y openssl");
        }
    }

    /// <summary>The figure on the <c>sha256</c> line, in 1000s of bytes per second with a trailing <c>k</c>.</summary>
    internal static double? Parse(string output)
    {
        foreach (string line in output.Split('\n'))
        {
            string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts is ["sha256", string figure] && figure.EndsWith('k')
                && double.TryParse(figure[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out double kBps))
            {
                return kBps * 1000 / 1e9;
            }
        }
        return null;
    }
}
