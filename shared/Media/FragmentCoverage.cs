namespace Cctv.Shared.Media;

/// <summary>
/// What the whole fragments at the start of a fragmented MP4 hold: the prefix a player can play.
/// </summary>
/// <param name="Fragments">Whole fragments (moof and its mdat complete), in file order.</param>
/// <param name="WholeBytes">Bytes from the start up to the end of the last whole fragment; 0 when there is none.</param>
/// <param name="Covered">Media time the whole fragments cover, from the first fragment's decode time to the last one's end (video track).</param>
/// <param name="FirstDecodeTime">The first whole fragment's base media decode time (tfdt); zero when there is no fragment.</param>
/// <param name="Timescale">The video track's timescale (units a second), from its mdhd; 0 when the header was not whole.</param>
public sealed record FragmentCoverage(int Fragments, long WholeBytes, TimeSpan Covered, TimeSpan FirstDecodeTime, uint Timescale)
{
    public static readonly FragmentCoverage None = new(0, 0, TimeSpan.Zero, TimeSpan.Zero, 0);
}

/// <summary>The bytes are not a fragmented MP4 this reader can trust (a box that lies, a header that is missing): says what and where.</summary>
public sealed class MediaFormatException(string message) : Exception(message);
