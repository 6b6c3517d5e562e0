using System.Text;
using Cctv.Shared.Ports;

namespace Cctv.Shared.Gcp.Storage;

/// <summary>
/// V4 signed GET URLs for Cloud Storage objects (<see cref="V4Signing"/>), signed by a service-account key or by IAM
/// signBlob (<see cref="IV4BlobSigner"/>), stamped by a <see cref="TimeProvider"/>. The response overrides
/// (<c>response-content-disposition</c>, <c>response-content-type</c>) are signed query parameters, so nobody can
/// change how the browser treats the bytes. <see cref="IUrlSigner.MaxLifetime"/> is the signing method's limit.
/// </summary>
public sealed class GcsUrlSigner(IV4BlobSigner signer, TimeProvider time, V4UrlEndpoint? endpoint = null) : IUrlSigner
{
    public const string DispositionParameter = "response-content-disposition";
    public const string ContentTypeParameter = "response-content-type";

    private readonly V4UrlEndpoint _endpoint = endpoint ?? V4UrlEndpoint.Production;

    public TimeSpan MaxLifetime => signer.MaxLifetime < V4Signing.MaxExpiry ? signer.MaxLifetime : V4Signing.MaxExpiry;

    public async Task<Uri> SignAsync(SignedUrlRequest request, CancellationToken cancellationToken)
    {
        if (request.Lifetime < TimeSpan.FromSeconds(1) || request.Lifetime > MaxLifetime)
        {
            throw new ArgumentOutOfRangeException(nameof(request), $"A URL signed this way lives from 1 second to {MaxLifetime}, not {request.Lifetime}.");
        }
        var query = new Dictionary<string, string>(2);
        if (request.ResponseContentDisposition is { } disposition)
        {
            query[DispositionParameter] = disposition;
        }
        if (request.ResponseContentType is { } type)
        {
            query[ContentTypeParameter] = type;
        }
        string email = await signer.GetClientEmailAsync(cancellationToken);
        V4SignedParts parts = V4Signing.Prepare(
            new V4SigningRequest("GET", request.Bucket, request.ObjectName, time.GetUtcNow(), request.Lifetime, QueryParameters: query), email, _endpoint);
        byte[] signature = await signer.SignAsync(Encoding.UTF8.GetBytes(parts.StringToSign), cancellationToken);
        return new Uri(parts.Complete(signature));
    }
}
