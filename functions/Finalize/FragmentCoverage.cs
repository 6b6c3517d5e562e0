namespace Cctv.Functions.Finalize;

/// <summary>
/// How much footage a salvaged segment covers: a fragmented MP4 cut wherever the store stopped holding bytes plays up
/// to the end of its last whole fragment (docs/live-tail.md). The media part of issue 12 reads it
/// (<c>FragmentedMp4</c> in shared); finalize asks through this one method only.
/// </summary>
public interface IFragmentCoverage
{
    /// <summary>The time from the first frame to the end of the last whole fragment; null when no fragment is whole.</summary>
    Task<TimeSpan?> CoveredAsync(Stream content, CancellationToken cancellationToken);
}

/// <summary>
/// <see cref="IFragmentCoverage"/> over <see cref="Cctv.Shared.Media.FragmentedMp4"/>: reads the object's boxes (one
/// moov or moof at a time, mdat payloads skipped) and returns what its whole fragments cover. A box that lies is a
/// <see cref="Cctv.Shared.Media.MediaFormatException"/>, which finalize reports as an error (not "nothing playable").
/// </summary>
public sealed class Mp4FragmentCoverage : IFragmentCoverage
{
    public async Task<TimeSpan?> CoveredAsync(Stream content, CancellationToken cancellationToken)
    {
        // The reader is synchronous; the store's stream may be a network response: read it off the request's thread, buffered.
        Cctv.Shared.Media.FragmentCoverage c = await Task.Run(() =>
        {
            using var buffered = new BufferedStream(content, 64 * 1024);
            return Cctv.Shared.Media.FragmentedMp4.Read(buffered, cancellationToken);
        }, cancellationToken);
        return c.Fragments == 0 ? null : c.Covered;
    }
}
