using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Cctv.Benchmarks.Uploads;

/// <summary>What the numbers were measured on.</summary>
internal static class MachineInfo
{
    public static string CpuModel()
    {
        try
        {
            string? line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line is null ? RuntimeInformation.ProcessArchitecture.ToString() : line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
        }
        catch (IOException)
        {
            return RuntimeInformation.ProcessArchitecture.ToString();
        }
    }

    public static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "?";
        }
    }

    public static async Task<string> RcloneVersionAsync(string rclone)
    {
        try
        {
            var start = new ProcessStartInfo(rclone) { RedirectStandardOutput = true, UseShellExecute = false };
            start.ArgumentList.Add("version");
            using Process process = Process.Start(start)!;
            string output = await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            return output.Split('\n')[0].Trim();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"'{rclone}' could not be started ({e.Message}). Install it: apt-get install -y rclone", e);
        }
    }

    public static string Describe(string rcloneVersion) =>
        $"{Environment.ProcessorCount} cores, {CpuModel()}, {RuntimeInformation.FrameworkDescription}, {RuntimeInformation.OSDescription}, {rcloneVersion}";
}
