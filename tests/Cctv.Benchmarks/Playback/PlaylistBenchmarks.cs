using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Cctv.Functions.Api;
using Cctv.Shared.Domain;

namespace Cctv.Benchmarks.Playback;

/// <summary>
/// The HLS playlist of 24 hours of one camera in 10-second segments: 8,640 archived recordings, from the recordings in
/// memory through the timeline to the playlist text with every segment's link (an HMAC-SHA256 playback link each). What it leaves out, the catalog
/// query, the <c>playlist</c> command measures through the API. Not sealed: BenchmarkDotNet derives from it.
/// </summary>
public class PlaylistBenchmarks
{
    public const int Segments = 8_640;
    public static readonly DateTimeOffset From = new(2026, 1, 15, 0, 0, 0, TimeSpan.Zero);

    private List<Recording> _recordings = [];
    private List<RecordingGap> _gaps = [];
    private PlaybackLinks _links = null!;

    [GlobalSetup]
    public void Setup()
    {
        (_recordings, _gaps) = Day();
        _links = new PlaybackLinks(RandomNumberGenerator.GetBytes(32));
    }

    /// <summary>A day of one camera's archived 10-second recordings, end to end: 8,640 of them.</summary>
    public static (List<Recording> Recordings, List<RecordingGap> Gaps) Day()
    {
        var recordings = new List<Recording>(Segments);
        for (int i = 0; i < Segments; i++)
        {
            DateTimeOffset start = From.AddSeconds(i * 10);
            string id = RecordingId.For("r1", "gate", 1, i);
            var a = new RecordingAnnouncement(id, "r1", "gate", "Gate", 1, i, start, start.AddSeconds(10), 2_000_000, "sha", "crc", "md5", "video/mp4",
                ObjectNames.Staging("r1", "gate", id));
            recordings.Add(new Recording(a, CloudState.Archived, null, 1, ObjectNames.Archive(a.Camera, start, id), 2, start, start, start, start, 3));
        }
        return (recordings, []);
    }

    [Benchmark(Description = "24 h playlist, 10 s segments, with links")]
    public string Playlist24Hours()
    {
        DateTimeOffset to = From.AddHours(24);
        DateTimeOffset validUntil = to.AddHours(26);
        IReadOnlyList<TimelineSpan> spans = TimelineBuilder.Build(_recordings, _gaps, From, to);
        using PlaybackLinks.LinkWriter links = _links.Writer(validUntil);
        return HlsPlaylist.Write(spans, r => links.For(r.Id), "gate", From, to, validUntil);
    }
}
