using System.Diagnostics;
using System.Security.Cryptography;
using Cctv.EdgeRecorder.Cameras;

namespace Cctv.EndToEnd.Tests;

public static class Media
{
    public static string Sha256Of(string path)
    {
        using FileStream f = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(f));
    }

    public static string Sha256Of(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>The duration ffprobe reads (through FFMpegCore's FFProbe, as the recorder does).</summary>
    public static async Task<double> ProbeDurationAsync(string path) =>
        await MediaProbe.DurationAsync("ffprobe", path, CancellationToken.None) ?? throw new InvalidDataException($"ffprobe cannot read {path}");

    /// <summary>Decodes the whole file with FFmpeg; throws with FFmpeg's errors if it cannot.</summary>
    public static async Task DecodeAsync(string path)
    {
        var psi = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in (string[])["-v", "error", "-i", path, "-f", "null", "-"])
        {
            psi.ArgumentList.Add(a);
        }
        using Process p = Process.Start(psi)!;
        string errors = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0)
        {
            throw new InvalidDataException($"ffmpeg could not decode {path}: {errors}");
        }
    }
}
