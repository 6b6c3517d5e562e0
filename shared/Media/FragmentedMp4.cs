using System.Buffers.Binary;
using System.Text;

namespace Cctv.Shared.Media;

/// <summary>
/// Reads how much of a fragmented MP4 (as FFmpeg's mov muxer writes it with <c>empty_moov</c> and fragments) is whole:
/// the fragments whose moof and mdat are both complete, the bytes they end at and the media time they cover on the
/// video track. Made for a file cut short anywhere (a recorder destroyed mid-write, an upload finished at the bytes the
/// store held): what is whole is returned, the torn tail is not counted.
/// <para>
/// Streams the input: it keeps one moov or one moof in memory (each at most <see cref="MaxBufferedBoxBytes"/>), and
/// skips over mdat payloads (seeking when it can, reading through otherwise), so memory is bounded whatever the file's
/// size. Every box read advances by at least its own header and nested boxes are read only along fixed paths, so no
/// input makes it loop or recurse. A box that lies about itself inside a box that is whole (a child past its parent's
/// end, a sample table longer than its box, a decode time that runs backwards or overflows) throws
/// <see cref="MediaFormatException"/> naming the box and its offset; errors of the stream itself propagate as they are.
/// </para>
/// </summary>
public static class FragmentedMp4
{
    /// <summary>The largest moov or moof read into memory (FFmpeg's are a few KiB: one entry of 8-16 bytes per sample).</summary>
    public const int MaxBufferedBoxBytes = 4 << 20;

    private const int SkipChunk = 64 << 10;

    /// <summary>What the whole fragments at the start of <paramref name="stream"/> (from its current position) cover.</summary>
    public static FragmentCoverage Read(Stream stream, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var reader = new BoxReader(stream);
        VideoTrack? video = null;
        FragmentTimes? pending = null;
        int fragments = 0;
        long wholeBytes = 0;
        ulong first = 0;
        ulong end = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            long boxStart = reader.Position;
            BoxHeader? read = reader.ReadHeader();
            if (read is not { } header)
            {
                break; // the end, or a header cut short
            }
            if (header.ToEndOfFile)
            {
                break; // size 0 ("runs to the end"): nothing says whether its end is there
            }
            long bodyLength = header.Size - header.HeaderLength;
            switch (header.Type)
            {
                case "moov":
                {
                    byte[]? body = reader.ReadBody(Bounded(header, boxStart));
                    if (body is null)
                    {
                        return Result();
                    }
                    video = ParseMoov(body, boxStart + header.HeaderLength);
                    break;
                }
                case "moof":
                {
                    if (video is null)
                    {
                        throw new MediaFormatException($"moof at offset {boxStart} comes before any moov: no track or timescale to read it with.");
                    }
                    byte[]? body = reader.ReadBody(Bounded(header, boxStart));
                    if (body is null)
                    {
                        return Result();
                    }
                    pending = ParseMoof(body, boxStart, boxStart + header.HeaderLength, video, fragments == 0 ? null : end);
                    break;
                }
                case "mdat":
                {
                    if (!reader.Skip(bodyLength))
                    {
                        return Result();
                    }
                    if (pending is { } fragment)
                    {
                        ulong start = fragment.BaseDecodeTime ?? end;
                        if (fragments == 0)
                        {
                            first = start;
                        }
                        end = Add(start, fragment.Duration, boxStart);
                        fragments++;
                        wholeBytes = reader.Position;
                        pending = null;
                    }
                    break;
                }
                default:
                    if (!reader.Skip(bodyLength))
                    {
                        return Result();
                    }
                    break;
            }
        }
        return Result();

        FragmentCoverage Result() => fragments == 0 || video is null
            ? FragmentCoverage.None with { Timescale = video?.Timescale ?? 0 }
            : new FragmentCoverage(fragments, wholeBytes, ToTime(end - first, video.Timescale), ToTime(first, video.Timescale), video.Timescale);
    }

    private static int Bounded(BoxHeader header, long offset) =>
        header.Size - header.HeaderLength <= MaxBufferedBoxBytes
            ? (int)(header.Size - header.HeaderLength)
            : throw new MediaFormatException(
                $"{header.Type} at offset {offset} declares {header.Size} bytes; more than {MaxBufferedBoxBytes} is not a box FFmpeg writes.");

    private static ulong Add(ulong a, ulong b, long offset) =>
        a <= ulong.MaxValue - b ? a + b : throw new MediaFormatException($"the fragment before offset {offset} ends past the largest decode time.");

    private static TimeSpan ToTime(ulong units, uint timescale)
    {
        UInt128 ticks = (UInt128)units * TimeSpan.TicksPerSecond / timescale;
        return ticks <= (UInt128)TimeSpan.MaxValue.Ticks
            ? TimeSpan.FromTicks((long)ticks)
            : throw new MediaFormatException($"{units} units at {timescale}/s is longer than any recording.");
    }

    private sealed record VideoTrack(uint TrackId, uint Timescale, uint TrexDefaultDuration);

    /// <summary>One moof's video timing: its tfdt (when it has one) and the sum of its samples' durations.</summary>
    private readonly record struct FragmentTimes(ulong? BaseDecodeTime, ulong Duration);

    private static VideoTrack ParseMoov(byte[] moov, long bodyOffset)
    {
        VideoTrack? video = null;
        uint trexDuration = 0;
        var trexByTrack = new Dictionary<uint, uint>();
        foreach (Box child in Children(moov, 0, moov.Length, bodyOffset, "moov"))
        {
            if (child.Type == "trak" && video is null)
            {
                video = ParseTrak(moov, child, bodyOffset);
            }
            else if (child.Type == "mvex")
            {
                foreach (Box trex in Children(moov, child.BodyStart, child.End, bodyOffset, "mvex"))
                {
                    if (trex.Type == "trex")
                    {
                        ReadOnlySpan<byte> body = Body(moov, trex, 24, bodyOffset);
                        trexByTrack[BinaryPrimitives.ReadUInt32BigEndian(body[4..])] = BinaryPrimitives.ReadUInt32BigEndian(body[12..]);
                    }
                }
            }
        }
        if (video is null)
        {
            throw new MediaFormatException($"the moov at offset {bodyOffset - 8} has no video track (no trak whose hdlr is 'vide').");
        }
        trexByTrack.TryGetValue(video.TrackId, out trexDuration);
        return video with { TrexDefaultDuration = trexDuration };
    }

    private static VideoTrack? ParseTrak(byte[] buffer, Box trak, long bodyOffset)
    {
        uint? trackId = null;
        uint? timescale = null;
        bool isVideo = false;
        foreach (Box child in Children(buffer, trak.BodyStart, trak.End, bodyOffset, "trak"))
        {
            if (child.Type == "tkhd")
            {
                ReadOnlySpan<byte> body = Body(buffer, child, 4, bodyOffset);
                int at = body[0] == 1 ? 20 : 12;
                trackId = BinaryPrimitives.ReadUInt32BigEndian(Body(buffer, child, at + 4, bodyOffset)[at..]);
            }
            else if (child.Type == "mdia")
            {
                foreach (Box m in Children(buffer, child.BodyStart, child.End, bodyOffset, "mdia"))
                {
                    if (m.Type == "mdhd")
                    {
                        ReadOnlySpan<byte> body = Body(buffer, m, 4, bodyOffset);
                        int at = body[0] == 1 ? 20 : 12;
                        timescale = BinaryPrimitives.ReadUInt32BigEndian(Body(buffer, m, at + 4, bodyOffset)[at..]);
                    }
                    else if (m.Type == "hdlr")
                    {
                        isVideo = Body(buffer, m, 12, bodyOffset)[8..12].SequenceEqual("vide"u8);
                    }
                }
            }
        }
        if (!isVideo)
        {
            return null;
        }
        if (trackId is null || timescale is null)
        {
            throw new MediaFormatException($"the video trak at offset {bodyOffset + trak.Start} has no {(trackId is null ? "tkhd" : "mdhd")}.");
        }
        if (timescale == 0)
        {
            throw new MediaFormatException($"the video track's mdhd in the trak at offset {bodyOffset + trak.Start} says its timescale is 0.");
        }
        return new VideoTrack(trackId.Value, timescale.Value, 0);
    }

    private static FragmentTimes? ParseMoof(byte[] moof, long moofOffset, long bodyOffset, VideoTrack video, ulong? previousEnd)
    {
        ulong? baseTime = null;
        ulong duration = 0;
        bool found = false;
        foreach (Box traf in Children(moof, 0, moof.Length, bodyOffset, "moof"))
        {
            if (traf.Type != "traf")
            {
                continue;
            }
            uint? trackId = null;
            uint defaultDuration = video.TrexDefaultDuration;
            foreach (Box box in Children(moof, traf.BodyStart, traf.End, bodyOffset, "traf"))
            {
                switch (box.Type)
                {
                    case "tfhd":
                    {
                        ReadOnlySpan<byte> body = Body(moof, box, 8, bodyOffset);
                        uint flags = BinaryPrimitives.ReadUInt32BigEndian(body) & 0xFFFFFF;
                        trackId = BinaryPrimitives.ReadUInt32BigEndian(body[4..]);
                        int at = 8 + ((flags & 0x1) != 0 ? 8 : 0) + ((flags & 0x2) != 0 ? 4 : 0);
                        if ((flags & 0x8) != 0)
                        {
                            defaultDuration = BinaryPrimitives.ReadUInt32BigEndian(Body(moof, box, at + 4, bodyOffset)[at..]);
                        }
                        break;
                    }
                    case "tfdt" when trackId == video.TrackId:
                    {
                        ReadOnlySpan<byte> body = Body(moof, box, 8, bodyOffset);
                        baseTime ??= body[0] == 1
                            ? BinaryPrimitives.ReadUInt64BigEndian(Body(moof, box, 12, bodyOffset)[4..])
                            : BinaryPrimitives.ReadUInt32BigEndian(body[4..]);
                        break;
                    }
                    case "trun" when trackId == video.TrackId:
                        duration = Add(duration, RunDuration(moof, box, bodyOffset, defaultDuration), bodyOffset + box.Start);
                        break;
                }
            }
            found |= trackId == video.TrackId;
        }
        if (!found)
        {
            return new FragmentTimes(null, 0); // a fragment of other tracks only: whole, but no video time
        }
        if (baseTime is { } t && previousEnd is { } e && t < e)
        {
            throw new MediaFormatException($"the moof at offset {moofOffset} starts at decode time {t}, before the previous fragment's end {e}.");
        }
        return new FragmentTimes(baseTime, duration);
    }

    private static ulong RunDuration(byte[] moof, Box trun, long bodyOffset, uint defaultDuration)
    {
        ReadOnlySpan<byte> body = Body(moof, trun, 8, bodyOffset);
        uint flags = BinaryPrimitives.ReadUInt32BigEndian(body) & 0xFFFFFF;
        uint count = BinaryPrimitives.ReadUInt32BigEndian(body[4..]);
        int at = 8 + ((flags & 0x1) != 0 ? 4 : 0) + ((flags & 0x4) != 0 ? 4 : 0);
        int entry = 4 * System.Numerics.BitOperations.PopCount(flags & 0xF00);
        if ((long)at + (long)count * entry > body.Length)
        {
            throw new MediaFormatException(
                $"the trun at offset {bodyOffset + trun.Start} declares {count} samples of {entry} bytes; its box holds {body.Length - at} bytes for them.");
        }
        if ((flags & 0x100) == 0)
        {
            return (ulong)count * defaultDuration; // no entries to walk: at most 2^32 * 2^32, which fits
        }
        ulong sum = 0;
        for (int i = 0; i < count; i++)
        {
            sum += BinaryPrimitives.ReadUInt32BigEndian(body[(at + i * entry)..]); // at most 1 Mi entries of 2^32: no overflow
        }
        return sum;
    }

    private readonly record struct Box(string Type, int Start, int BodyStart, int End);

    /// <summary>The boxes inside [start, end) of a buffer whose box is whole: a child that does not fit is a lie, not a cut.</summary>
    private static List<Box> Children(byte[] buffer, int start, int end, long bodyOffset, string parent)
    {
        var boxes = new List<Box>();
        int at = start;
        while (at < end)
        {
            if (end - at < 8)
            {
                throw new MediaFormatException($"{end - at} stray bytes at offset {bodyOffset + at} at the end of a {parent}.");
            }
            long size = BinaryPrimitives.ReadUInt32BigEndian(buffer.AsSpan(at));
            string type = TypeOf(buffer.AsSpan(at + 4, 4));
            int header = 8;
            if (size == 1)
            {
                if (end - at < 16)
                {
                    throw new MediaFormatException($"{type} at offset {bodyOffset + at} has a 64-bit size cut off by the end of its {parent}.");
                }
                ulong large = BinaryPrimitives.ReadUInt64BigEndian(buffer.AsSpan(at + 8));
                size = large > long.MaxValue ? long.MaxValue : (long)large;
                header = 16;
            }
            else if (size == 0)
            {
                size = end - at;
            }
            if (size < header || size > end - at)
            {
                throw new MediaFormatException($"{type} at offset {bodyOffset + at} declares {size} bytes; its {parent} has {end - at} left from there.");
            }
            boxes.Add(new Box(type, at, at + header, at + (int)size));
            at += (int)size;
        }
        return boxes;
    }

    private static ReadOnlySpan<byte> Body(byte[] buffer, Box box, int needed, long bodyOffset) =>
        box.End - box.BodyStart >= needed
            ? buffer.AsSpan(box.BodyStart, box.End - box.BodyStart)
            : throw new MediaFormatException($"{box.Type} at offset {bodyOffset + box.Start} is too short: {box.End - box.BodyStart} bytes where {needed} are needed.");

    private static string TypeOf(ReadOnlySpan<byte> fourCc) => Encoding.Latin1.GetString(fourCc);

    private readonly record struct BoxHeader(string Type, long Size, int HeaderLength, bool ToEndOfFile);

    /// <summary>Reads boxes off a stream, keeping its own count of the offset (streams that cannot seek have no Position).</summary>
    private sealed class BoxReader(Stream stream)
    {
        private readonly byte[] _header = new byte[16];
        private byte[]? _skip;

        public long Position { get; private set; }

        /// <summary>The next box's header; null at the end or when the header itself is cut short.</summary>
        public BoxHeader? ReadHeader()
        {
            if (Fill(_header.AsSpan(0, 8)) < 8)
            {
                return null;
            }
            long offset = Position - 8;
            uint size = BinaryPrimitives.ReadUInt32BigEndian(_header);
            string type = TypeOf(_header.AsSpan(4, 4));
            if (size == 0)
            {
                return new BoxHeader(type, 0, 8, ToEndOfFile: true);
            }
            if (size == 1)
            {
                if (Fill(_header.AsSpan(8, 8)) < 8)
                {
                    return null;
                }
                ulong large = BinaryPrimitives.ReadUInt64BigEndian(_header.AsSpan(8));
                if (large < 16 || large > long.MaxValue)
                {
                    throw new MediaFormatException($"{type} at offset {offset} declares a 64-bit size of {large} bytes.");
                }
                return new BoxHeader(type, (long)large, 16, ToEndOfFile: false);
            }
            if (size < 8)
            {
                throw new MediaFormatException($"{type} at offset {offset} declares {size} bytes, less than its own 8-byte header.");
            }
            return new BoxHeader(type, size, 8, ToEndOfFile: false);
        }

        /// <summary>The next <paramref name="length"/> bytes; null when the stream ends first.</summary>
        public byte[]? ReadBody(int length)
        {
            byte[] body = new byte[length];
            return Fill(body) == length ? body : null;
        }

        /// <summary>Passes over <paramref name="length"/> bytes; false when the stream ends first.</summary>
        public bool Skip(long length)
        {
            if (stream.CanSeek)
            {
                long left = stream.Length - stream.Position;
                if (length > left)
                {
                    return false;
                }
                stream.Seek(length, SeekOrigin.Current);
                Position += length;
                return true;
            }
            _skip ??= new byte[SkipChunk];
            while (length > 0)
            {
                int read = stream.Read(_skip, 0, (int)Math.Min(length, _skip.Length));
                if (read == 0)
                {
                    return false;
                }
                Position += read;
                length -= read;
            }
            return true;
        }

        private int Fill(Span<byte> into)
        {
            int total = 0;
            while (total < into.Length)
            {
                int read = stream.Read(into[total..]);
                if (read == 0)
                {
                    break;
                }
                total += read;
            }
            Position += total;
            return total;
        }
    }
}
