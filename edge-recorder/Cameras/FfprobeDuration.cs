using System.Diagnostics;
using System.Globalization;

namespace Cctv.EdgeRecorder.Cameras;

/// <summary>Asks ffprobe how long a media file plays (for segments FFmpeg did not get to list).</summary>
public static class FfprobeDuration
{
    public static async Task<double?> ReadAsync(string ffprobe, string file, CancellationToken cancellationToken)
    {
        var psi = new ProcessStartInfo(ffprobe)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in (string[])["-v", "error", "-show_entries", "format=duration", "-of", "default=noprint_wrappers=1:nokey=1", file])
        {
            psi.ArgumentList.Add(a);
        }
        Process started;
        try
        {
            started = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {ffprobe}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new FfmpegNotFoundException(ffprobe, e);
        }
        using Process process = started;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        Task<string> stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        await stderr;
        return Parse(await stdout);
    }

    public static double? Parse(string output) =>
        double.TryParse(output.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && d >= 0 && double.IsFinite(d) ? d : null;
}
