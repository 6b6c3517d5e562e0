namespace Cctv.Testing.Gcs.Http;

/// <summary>An answer in GCS's error format, thrown from wherever the problem is found.</summary>
internal sealed class GcsException(int status, string reason, string message) : Exception(message)
{
    public int Status { get; } = status;

    public string Reason { get; } = reason;

    public static GcsException Invalid(string message) => new(400, "invalid", message);

    public static GcsException Required(string message) => new(400, "required", message);

    public static GcsException NotFound(string message) => new(404, "notFound", message);

    public static GcsException NoSuchBucket(string bucket) => new(404, "notFound", $"The specified bucket does not exist: {bucket}");

    public static GcsException NoSuchObject(string bucket, string name) => new(404, "notFound", $"No such object: {bucket}/{name}");

    public static GcsException PreconditionFailed() =>
        new(412, "conditionNotMet", "At least one of the pre-conditions you specified did not hold.");

    /// <summary>GCS's answer to deleting or overwriting an object under an event-based hold.</summary>
    public static GcsException Held(string bucket, string name) =>
        new(403, "forbidden", $"Object '{bucket}/{name}' is subject to an active Event-Based hold and cannot be deleted, overwritten or archived until hold is removed.");

    public GcsResponse ToResponse() => GcsResponse.Error(Status, Reason, Message);
}
