using System.Buffers.Binary;
using System.Text;

namespace Cctv.TestSupport.Media;

/// <summary>Hand-built ISO BMFF boxes, for inputs FFmpeg never writes (sizes that lie, 64-bit sizes, missing boxes).</summary>
internal static class Mp4Boxes
{
    public static byte[] Box(string type, params byte[][] children)
    {
        byte[] body = children.SelectMany(c => c).ToArray();
        byte[] box = new byte[8 + body.Length];
        BinaryPrimitives.WriteUInt32BigEndian(box, (uint)box.Length);
        Encoding.ASCII.GetBytes(type, box.AsSpan(4));
        body.CopyTo(box, 8);
        return box;
    }

    /// <summary>A box whose header says <paramref name="declared"/> bytes whatever it holds.</summary>
    public static byte[] Lying(string type, uint declared, byte[] body)
    {
        byte[] box = Box(type, body);
        BinaryPrimitives.WriteUInt32BigEndian(box, declared);
        return box;
    }

    /// <summary>A box with a 64-bit size (size field 1, then the size).</summary>
    public static byte[] Large(string type, byte[] body, ulong? declared = null)
    {
        byte[] box = new byte[16 + body.Length];
        BinaryPrimitives.WriteUInt32BigEndian(box, 1);
        Encoding.ASCII.GetBytes(type, box.AsSpan(4));
        BinaryPrimitives.WriteUInt64BigEndian(box.AsSpan(8), declared ?? (ulong)box.Length);
        body.CopyTo(box, 16);
        return box;
    }

    public static byte[] Full(byte version, uint flags, params uint[] fields)
    {
        byte[] b = new byte[4 + 4 * fields.Length];
        BinaryPrimitives.WriteUInt32BigEndian(b, ((uint)version << 24) | flags);
        for (int i = 0; i < fields.Length; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(4 + 4 * i), fields[i]);
        }
        return b;
    }

    public static byte[] Ftyp() => Box("ftyp", Encoding.ASCII.GetBytes("isom"), new byte[4], Encoding.ASCII.GetBytes("isomiso6"));

    public static byte[] Trak(uint trackId, uint timescale, string handler = "vide") => Box("trak",
        Box("tkhd", Full(0, 3, 0, 0, trackId, 0, 0)),
        Box("mdia",
            Box("mdhd", Full(0, 0, 0, 0, timescale, 0, 0)),
            Box("hdlr", Full(0, 0, 0), Encoding.ASCII.GetBytes(handler), new byte[12])));

    public static byte[] Trex(uint trackId, uint defaultDuration) => Box("trex", Full(0, 0, trackId, 1, defaultDuration, 0, 0));

    /// <summary>ftyp + moov with one video track (ID 1) at <paramref name="timescale"/> and, when given, an audio track (ID 2).</summary>
    public static byte[] Header(uint timescale = 12800, uint trexDuration = 0, bool audioFirst = false)
    {
        byte[] video = Trak(1, timescale);
        byte[] audio = Trak(2, 48000, "soun");
        byte[] moov = audioFirst
            ? Box("moov", audio, video, Box("mvex", Trex(1, trexDuration), Trex(2, 1024)))
            : Box("moov", video, Box("mvex", Trex(1, trexDuration)));
        return [.. Ftyp(), .. moov];
    }

    /// <summary>A traf with tfhd, tfdt (v1) and a trun whose samples each carry a duration and a size.</summary>
    public static byte[] Traf(uint trackId, ulong baseTime, uint[] durations, uint? tfhdDefault = null)
    {
        byte[] tfhd = tfhdDefault is { } d ? Box("tfhd", Full(0, 0x020008, trackId, d)) : Box("tfhd", Full(0, 0x020000, trackId));
        byte[] tfdt = Box("tfdt", Full(1, 0, (uint)(baseTime >> 32), (uint)baseTime));
        byte[] trun = tfhdDefault is null
            ? Box("trun", Full(0, 0x000301, [(uint)durations.Length, 0, .. durations.SelectMany(x => new[] { x, 100u })]))
            : Box("trun", Full(0, 0x000201, [(uint)durations.Length, 0, .. durations.Select(_ => 100u)]));
        return Box("traf", tfhd, tfdt, trun);
    }

    public static byte[] Fragment(ulong baseTime, uint[] durations, int payload = 100, uint? tfhdDefault = null) =>
        [.. Box("moof", Box("mfhd", Full(0, 0, 1)), Traf(1, baseTime, durations, tfhdDefault)), .. Box("mdat", new byte[payload])];

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    /// <summary>Ticks a second of <see cref="CutFootage"/>'s video track, and of each of its frames (25 a second).</summary>
    public const uint FootageTimescale = 12800;
    private const uint FootageFrame = 512;

    /// <summary>
    /// Footage as a live tail holds it when its recorder vanished: ftyp and moov, then one-second fragments (25 frames)
    /// whose payloads are patterned by <paramref name="seed"/> (two sites never hold the same bytes), cut at exactly
    /// <paramref name="length"/> bytes, so the last fragment is usually partial. <paramref name="covered"/> is the time the
    /// whole fragments cover.
    /// </summary>
    public static byte[] CutFootage(string seed, int length, out TimeSpan covered, int fragmentPayload = 50_000)
    {
        var bytes = new List<byte>(length + fragmentPayload * 2);
        bytes.AddRange(Header(FootageTimescale));
        int wholeFragments = 0;
        ulong baseTime = 0;
        uint[] frames = [.. Enumerable.Repeat(FootageFrame, 25)];
        while (bytes.Count < length)
        {
            byte[] fragment = Fragment(baseTime, frames, fragmentPayload);
            int mdatBody = fragmentPayload;
            for (int i = 0; i < mdatBody; i++)
            {
                fragment[fragment.Length - mdatBody + i] = (byte)((i * 31) ^ seed.Length ^ (i >> 8) ^ seed[i % seed.Length]);
            }
            if (bytes.Count + fragment.Length <= length)
            {
                wholeFragments++;
            }
            bytes.AddRange(fragment);
            baseTime += FootageFrame * (ulong)frames.Length;
        }
        covered = TimeSpan.FromSeconds(wholeFragments);
        return [.. bytes.Take(length)];
    }
}
