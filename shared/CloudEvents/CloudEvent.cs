namespace Cctv.Shared.CloudEvents;

/// <summary>
/// A CloudEvent (spec 1.0) as it crosses HTTP in binary mode: attributes in <c>ce-*</c> headers, data in
/// the body. This is the thin piece that stands in for CloudNative.CloudEvents, which the registry lacks.
/// </summary>
public sealed record CloudEvent(
    string Id,
    string Source,
    string Type,
    string? Subject,
    DateTimeOffset? Time,
    string? DataContentType,
    ReadOnlyMemory<byte> Data)
{
    public const string SpecVersion = "1.0";

    /// <summary>The event type Cloud Storage sends when an object is created or overwritten.</summary>
    public const string StorageObjectFinalized = "google.cloud.storage.object.v1.finalized";

    public static string StorageSource(string bucket) => $"//storage.googleapis.com/projects/_/buckets/{bucket}";
}
