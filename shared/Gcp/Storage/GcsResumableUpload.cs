using Google.Apis.Upload;

namespace Cctv.Shared.Gcp.Storage;

/// <summary>
/// Google.Apis' resumable upload (chunking, 308 + Range handling, the <c>bytes */N</c> status query on resume)
/// with our own session initiation (a JSON API insert carrying the checksums and the precondition) and the
/// final response kept, so that the stored object's metadata comes back to the caller.
/// </summary>
internal sealed class GcsResumableUpload(Stream content, ResumableUploadOptions options, Func<CancellationToken, Task<Uri>> initiate)
    : ResumableUpload(content, options)
{
    public string? FinalResponseBody { get; private set; }

    public override Task<Uri> InitiateSessionAsync(CancellationToken cancellationToken = default) => initiate(cancellationToken);

    protected override void ProcessResponse(HttpResponseMessage httpResponse)
    {
        // The client reads responses in full before handing them over, so this does not block on the network.
        FinalResponseBody = httpResponse.Content.ReadAsStringAsync().GetAwaiter().GetResult();
    }
}
