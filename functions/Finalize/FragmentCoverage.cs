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
