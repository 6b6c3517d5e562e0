namespace Cctv.Functions.Hosting;

/// <summary>
/// The values of <c>FUNCTION_TARGET</c> (the Functions Framework's convention) that pick the function a
/// deployed Cloud Run service runs. With no target set, the local host serves all of them.
/// terraform/ declares one Cloud Run service for each constant here; a test checks that it does.
/// </summary>
public static class FunctionTargets
{
    public const string StagingObjectFinalized = "StagingObjectFinalized";
    public const string RetryHandler = "RetryHandler";
    public const string ReconcileSweep = "ReconcileSweep";
    public const string PlayerApi = "PlayerApi";

    public static IReadOnlyList<string> All { get; } =
        [StagingObjectFinalized, RetryHandler, ReconcileSweep, PlayerApi];
}
