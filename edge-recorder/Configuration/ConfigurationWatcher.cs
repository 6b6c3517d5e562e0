using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace Cctv.EdgeRecorder.Configuration;

/// <summary>
/// Picks up a change to the agent's configuration file without a restart. The file is read every couple of seconds
/// (polling survives editors that replace the file, and network file systems where change notifications do not
/// arrive); a changed file is loaded and validated in full: accepted, it is handed over; refused, every problem is
/// logged with the line it is on, and the last good configuration keeps running.
/// </summary>
public sealed partial class ConfigurationWatcher(string path, Pipeline.Metronome beat, ILogger<ConfigurationWatcher> log)
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    private string? _lastHash = Hash(path);

    /// <summary>The problems of the last refused change (with their lines), or empty.</summary>
    public IReadOnlyList<string> LastProblems { get; private set; } = [];

    public async Task RunAsync(Action<RecorderOptions> apply, CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await beat.WaitAsync(PollInterval, stopping); // with the agent's other looks
            }
            catch (OperationCanceledException)
            {
                return;
            }
            try
            {
                if (CheckNow() is { } accepted)
                {
                    apply(accepted);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogError(e, "Applying the changed configuration failed; the previous one stays in force");
            }
        }
    }

    /// <summary>A new configuration when the file changed and is valid; null when it did not change or was refused.</summary>
    public RecorderOptions? CheckNow()
    {
        string? hash = Hash(path);
        if (hash is null || hash == _lastHash)
        {
            return null;
        }
        _lastHash = hash;
        try
        {
            RecorderOptions next = RecorderConfiguration.Load(path);
            LastProblems = [];
            log.LogInformation("Configuration file {Path} changed; the new configuration is valid and applied", path);
            return next;
        }
        catch (ConfigurationException e)
        {
            string text = File.Exists(path) ? File.ReadAllText(path) : "";
            LastProblems = e.Problems.Select(p => WithLine(p, text)).ToList();
            foreach (string problem in LastProblems)
            {
                log.LogError("Configuration change refused; the previous configuration keeps recording: {Problem}", problem);
            }
            return null;
        }
    }

    /// <summary>Adds "(line N)" to a problem that quotes a value found on one line of the file.</summary>
    public static string WithLine(string problem, string fileText)
    {
        if (problem.Contains("line ", StringComparison.Ordinal))
        {
            return problem;
        }
        foreach (Match quoted in QuotedValue().Matches(problem))
        {
            string value = quoted.Groups[1].Value;
            if (value.Length == 0)
            {
                continue;
            }
            string[] lines = fileText.Split('\n');
            for (int i = 0; i < lines.Length; i++)
            {
                if (lines[i].Contains('"' + value + '"', StringComparison.Ordinal) || lines[i].Contains(": " + value, StringComparison.Ordinal))
                {
                    return $"line {i + 1}: {problem}";
                }
            }
        }
        return problem;
    }

    private static string? Hash(string file)
    {
        try
        {
            return Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(file)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    [GeneratedRegex("'([^']*)'")]
    private static partial Regex QuotedValue();
}
