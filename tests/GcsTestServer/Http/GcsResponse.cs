namespace Cctv.Testing.Gcs.Http;

/// <summary>What the pipeline sends back (or, for <see cref="Abort"/>, the instruction to reset the connection instead).</summary>
internal sealed class GcsResponse
{
    public const string JsonContentType = "application/json; charset=UTF-8";

    public static readonly GcsResponse Abort = new(0);

    public GcsResponse(int status) => Status = status;

    public int Status { get; }

    public bool IsAbort => Status == 0;

    public string? ContentType { get; init; }

    public ReadOnlyMemory<byte> Body { get; init; }

    public List<KeyValuePair<string, string>> Headers { get; } = [];

    public static GcsResponse Json(int status, ReadOnlyMemory<byte> json) => new(status) { ContentType = JsonContentType, Body = json };

    public static GcsResponse Empty(int status) => new(status);

    public static GcsResponse Error(int status, string reason, string message) => Json(status, GcsJson.Error(status, reason, message));

    public GcsResponse WithHeader(string name, string value)
    {
        Headers.Add(new(name, value));
        return this;
    }
}
