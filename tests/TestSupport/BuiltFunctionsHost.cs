using System.Diagnostics;

namespace Cctv.TestSupport;

/// <summary>
/// The built functions host (<c>dotnet Cctv.Functions.dll COMMAND …</c> from the test's output folder), run as an
/// operator or a recipient runs it: no backend chosen from this machine's environment, no ambient credentials.
/// </summary>
public static class BuiltFunctionsHost
{
    public static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Cctv.Functions.dll"));
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }
        start.Environment.Remove("CCTV_BACKEND");
        start.Environment.Remove("GOOGLE_APPLICATION_CREDENTIALS");
        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }
}
