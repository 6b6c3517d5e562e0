using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Cctv.EdgeRecorder.Cameras;

/// <summary>One kind of FFmpeg warning in a summary: its pattern (numbers and addresses as #), how often, and the first line as FFmpeg wrote it.</summary>
public sealed record WarningKind(string Pattern, long Count, string FirstExample);

/// <summary>What one camera's FFmpeg warned about in one window (about a minute), kinds most frequent first.</summary>
public sealed record WarningSummary(string CameraId, DateTimeOffset From, DateTimeOffset To, long Total, IReadOnlyList<WarningKind> Kinds)
{
    /// <summary>The summary as one log-friendly line: the three most frequent kinds with their counts and first example.</summary>
    public string Describe()
    {
        var text = new StringBuilder();
        foreach (WarningKind kind in Kinds.Take(3))
        {
            text.Append(text.Length == 0 ? "" : "; ").Append(kind.Count).Append(" x '").Append(kind.Pattern).Append("' (first: '").Append(kind.FirstExample).Append("')");
        }
        if (Kinds.Count > 3)
        {
            text.Append("; ").Append(Kinds.Skip(3).Sum(k => k.Count)).Append(" others");
        }
        return text.ToString();
    }
}

/// <summary>
/// Counts a camera's FFmpeg warnings instead of logging each one (a lossy stream makes FFmpeg repeat the same warning
/// many times a second): lines are grouped by kind (the line with its numbers and addresses blanked), and once a window
/// (a minute) has passed since its first line, <see cref="TakeIfDue"/> hands back one summary with the counts and each
/// kind's first line as FFmpeg wrote it. Thread-safe: FFmpeg's stderr pump adds while the supervisor takes.
/// </summary>
public sealed partial class FfmpegWarningSummary(string cameraId, TimeProvider time, TimeSpan? window = null)
{
    /// <summary>Distinct kinds kept per window; further kinds are counted under one "other" entry.</summary>
    public const int MaxKinds = 20;
    public const string OtherKinds = "(other warnings)";
    private readonly TimeSpan _window = window ?? TimeSpan.FromMinutes(1);
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (long Count, string First, int Order)> _kinds = new(StringComparer.Ordinal);
    private DateTimeOffset? _from;
    private long _total;

    public void Add(string line)
    {
        string kind = KindOf(line);
        lock (_lock)
        {
            _from ??= time.GetUtcNow();
            _total++;
            if (!_kinds.ContainsKey(kind) && _kinds.Count >= MaxKinds)
            {
                kind = OtherKinds;
            }
            _kinds[kind] = _kinds.TryGetValue(kind, out var seen) ? (seen.Count + 1, seen.First, seen.Order) : (1, line, _kinds.Count);
        }
    }

    /// <summary>The window's summary once a window has passed since its first warning, and a new window begins; else null.</summary>
    public WarningSummary? TakeIfDue()
    {
        lock (_lock)
        {
            return _from is { } from && time.GetUtcNow() - from >= _window ? TakeLocked() : null;
        }
    }

    /// <summary>Whatever was counted so far (when FFmpeg exits); null when nothing was.</summary>
    public WarningSummary? Take()
    {
        lock (_lock)
        {
            return TakeLocked();
        }
    }

    private WarningSummary? TakeLocked()
    {
        if (_from is not { } from)
        {
            return null;
        }
        var kinds = _kinds.OrderByDescending(k => k.Value.Count).ThenBy(k => k.Value.Order)
            .Select(k => new WarningKind(k.Key, k.Value.Count, k.Value.First)).ToList();
        var summary = new WarningSummary(cameraId, from, time.GetUtcNow(), _total, kinds);
        _kinds.Clear();
        _total = 0;
        _from = null;
        return summary;
    }

    /// <summary>A warning's kind: the line with its numbers and hexadecimal addresses replaced by # (names such as h264 are kept).</summary>
    public static string KindOf(string line) => Numbers().Replace(line.Trim(), "#");

    [GeneratedRegex(@"0x[0-9a-fA-F]+|(?<!\w)-?\d+(\.\d+)?")]
    private static partial Regex Numbers();

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Where a camera's latest summary is kept for <c>status</c> (it reads only local files).</summary>
    public static string FileOf(string dataDir, string cameraId) => Path.Combine(dataDir, "edge", "ffmpeg-warnings", cameraId + ".json");

    /// <summary>Keeps the summary as the camera's latest (a temporary file, then a rename).</summary>
    public static void Save(string dataDir, WarningSummary summary)
    {
        string path = FileOf(dataDir, summary.CameraId);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path + ".tmp", JsonSerializer.Serialize(summary, Json));
        File.Move(path + ".tmp", path, overwrite: true);
    }

    /// <summary>The camera's latest summary; null when it has none or it cannot be read.</summary>
    public static WarningSummary? Load(string dataDir, string cameraId)
    {
        try
        {
            return JsonSerializer.Deserialize<WarningSummary>(File.ReadAllText(FileOf(dataDir, cameraId)), Json);
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
