namespace Cctv.Shared.Ports;

/// <summary>A time-limited link to one object.</summary>
/// <param name="Endpoint">Where the bytes are served from, for backends that serve them themselves (the
/// embedded backend serves them from the functions host); Cloud Storage ignores it.</param>
public sealed record SignedUrlRequest(
    string Bucket,
    string ObjectName,
    TimeSpan Lifetime,
    string? ResponseContentDisposition = null,
    string? ResponseContentType = null,
    Uri? Endpoint = null);

/// <summary>Signs URLs that let a browser fetch an object directly, without our credentials.</summary>
public interface IUrlSigner
{
    /// <summary>The longest lifetime this signing method allows.</summary>
    TimeSpan MaxLifetime { get; }

    Task<Uri> SignAsync(SignedUrlRequest request, CancellationToken cancellationToken);
}
