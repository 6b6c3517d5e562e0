using System.Buffers;
using System.Globalization;
using System.Text;
using Microsoft.Win32.SafeHandles;

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

    /// <summary>The complete lines of <paramref name="bytes"/> (UTF-8), and how many bytes they take; an unfinished last line is left.</summary>
    internal static (IReadOnlyList<SegmentListEntry> Entries, int Consumed) ParseComplete(ReadOnlySpan<byte> bytes)
    {
        int end = bytes.LastIndexOf((byte)'\n') + 1;
        return end == 0 ? ([], 0) : (Parse(Encoding.UTF8.GetString(bytes[..end])), end);
    }

    /// <summary>The sequence number in a segment file name (<c>seg_000042.mp4</c> -> 42).</summary>
    public static bool TryParseSequence(string fileName, out long sequence)
    {
        sequence = -1;
        return fileName.StartsWith("seg_", StringComparison.Ordinal) && fileName.EndsWith(".mp4", StringComparison.Ordinal)
            && long.TryParse(fileName.AsSpan(4, fileName.Length - 8), NumberStyles.None, CultureInfo.InvariantCulture, out sequence);
    }
}

/// <summary>
/// One run's segment list, followed as FFmpeg appends to it: each <see cref="Read"/> parses only the lines completed since the
/// last one, so a pass costs the same on a run's first day as on its hundredth (at 4-second segments a camera's list grows by
/// 21,600 lines a day, all of which a whole read parsed on every pass). FFmpeg only appends; a list that is shorter than what
/// was read was replaced, and is read again from its start. Entries the caller no longer needs are let go with <see cref="Forget"/>.
/// </summary>
public sealed class SegmentListFollower(string runDirectory)
{
    private readonly string _path = Path.Combine(runDirectory, FfmpegArguments.SegmentList);
    private readonly Dictionary<long, SegmentListEntry> _entries = [];
    private long _offset;

    /// <summary>The entries read so far (less those forgotten), by sequence number.</summary>
    public IReadOnlyDictionary<long, SegmentListEntry> Read()
    {
        SafeFileHandle file;
        try
        {
            file = File.OpenHandle(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return _entries;
        }
        using (file)
        {
            long length = RandomAccess.GetLength(file);
            if (length < _offset)
            {
                _offset = 0;
                _entries.Clear();
            }
            while (_offset < length)
            {
                // A pass usually finds a line or two (about 40 bytes each); a first read of a long run's list goes in slices.
                byte[] buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(length - _offset, 64 * 1024));
                try
                {
                    int read = RandomAccess.Read(file, buffer, _offset);
                    (IReadOnlyList<SegmentListEntry> entries, int consumed) = SegmentList.ParseComplete(buffer.AsSpan(0, read));
                    if (consumed == 0)
                    {
                        break; // the rest is a line still being written (or one longer than a slice, which FFmpeg never writes)
                    }
                    foreach (SegmentListEntry entry in entries)
                    {
                        _entries[entry.Sequence] = entry;
                    }
                    _offset += consumed;
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }
        return _entries;
    }

    /// <summary>Lets go of the entries of sequences below <paramref name="sequence"/>.</summary>
    public void Forget(long sequence)
    {
        foreach (long seq in _entries.Keys.Where(s => s < sequence).ToList())
        {
            _entries.Remove(seq);
        }
    }
}
