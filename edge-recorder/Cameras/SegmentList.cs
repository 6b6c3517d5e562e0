using System.Globalization;

namespace Cctv.EdgeRecorder.Cameras;

/// <summary>One line of FFmpeg's CSV segment list: a closed segment and its times from the run's first packet.</summary>
public sealed record SegmentListEntry(string FileName, long Sequence, double Start, double End);

/// <summary>Reads FFmpeg's <c>-segment_list_type csv</c> output. A line still being written is ignored.</summary>
public static class SegmentList
{
    public static IReadOnlyList<SegmentListEntry> Parse(string text)
    {
        var entries = new List<SegmentListEntry>();
        if (!text.EndsWith('\n'))
        {
            int lastNewline = text.LastIndexOf('\n');
            text = lastNewline < 0 ? "" : text[..(lastNewline + 1)];
        }
        foreach (string raw in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] parts = raw.TrimEnd('\r').Split(',');
            if (parts.Length == 3
                && TryParseSequence(parts[0], out long seq)
                && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double start)
                && double.TryParse(parts[2], NumberStyles.Float, CultureInfo.InvariantCulture, out double end))
            {
                entries.Add(new SegmentListEntry(parts[0], seq, start, end));
            }
        }
        return entries;
    }

    public static IReadOnlyList<SegmentListEntry> Read(string runDirectory)
    {
        string path = Path.Combine(runDirectory, FfmpegArguments.SegmentList);
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            return Parse(reader.ReadToEnd());
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return [];
        }
    }

    /// <summary>The sequence number in a segment file name (<c>seg_000042.mp4</c> -> 42).</summary>
    public static bool TryParseSequence(string fileName, out long sequence)
    {
        sequence = -1;
        return fileName.StartsWith("seg_", StringComparison.Ordinal) && fileName.EndsWith(".mp4", StringComparison.Ordinal)
            && long.TryParse(fileName.AsSpan(4, fileName.Length - 8), NumberStyles.None, CultureInfo.InvariantCulture, out sequence);
    }
}
