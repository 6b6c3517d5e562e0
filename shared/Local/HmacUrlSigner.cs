using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Cctv.Shared.Ports;

namespace Cctv.Shared.Local;

/// <summary>
/// Signed URLs of the embedded backend: HMAC-SHA256 over the method, bucket, object, expiry and the
/// response overrides, with a key kept in the data directory. The functions host serves the bytes at
/// <c>/storage/{bucket}/{object}</c> and checks the signature and expiry with <see cref="Verify"/>.
/// </summary>
public sealed class HmacUrlSigner : IUrlSigner
{
    public const string ExpiresParameter = "X-Cctv-Expires";
    public const string SignatureParameter = "X-Cctv-Signature";
    public const string DispositionParameter = "response-content-disposition";
    public const string ContentTypeParameter = "response-content-type";
    public const string PathPrefix = "/storage/";

    private readonly byte[] _key;
    private readonly TimeProvider _time;

    public HmacUrlSigner(byte[] key, TimeProvider time)
    {
        if (key.Length < 32)
        {
            throw new ArgumentException("The URL signing key must be at least 32 bytes.", nameof(key));
        }
        _key = key;
        _time = time;
    }

    /// <summary>Reads the key file, creating it (32 random bytes, owner-only) the first time.</summary>
    public static HmacUrlSigner FromKeyFile(string path, TimeProvider time)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        if (!File.Exists(path))
        {
            string temp = path + "." + Guid.NewGuid().ToString("N");
            File.WriteAllText(temp, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
            try
            {
                File.Move(temp, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                File.Delete(temp); // another process created it first; use theirs
            }
        }
        return new HmacUrlSigner(Convert.FromBase64String(File.ReadAllText(path).Trim()), time);
    }

    /// <summary>As Cloud Storage's V4 signatures: at most seven days.</summary>
    public TimeSpan MaxLifetime => TimeSpan.FromDays(7);

    public Task<Uri> SignAsync(SignedUrlRequest request, CancellationToken cancellationToken)
    {
        if (request.Endpoint is null)
        {
            throw new ArgumentException("The embedded backend serves objects itself: SignedUrlRequest.Endpoint is required.", nameof(request));
        }
        if (request.Lifetime <= TimeSpan.Zero || request.Lifetime > MaxLifetime)
        {
            throw new ArgumentOutOfRangeException(nameof(request), $"A signed URL lives between 1 second and {MaxLifetime.TotalDays} days, not {request.Lifetime}.");
        }
        long expires = _time.GetUtcNow().Add(request.Lifetime).ToUnixTimeSeconds();
        string signature = Sign(request.Bucket, request.ObjectName, expires, request.ResponseContentDisposition, request.ResponseContentType);
        var query = new StringBuilder()
            .Append(ExpiresParameter).Append('=').Append(expires.ToString(CultureInfo.InvariantCulture));
        if (request.ResponseContentDisposition is { } disposition)
        {
            query.Append('&').Append(DispositionParameter).Append('=').Append(Uri.EscapeDataString(disposition));
        }
        if (request.ResponseContentType is { } type)
        {
            query.Append('&').Append(ContentTypeParameter).Append('=').Append(Uri.EscapeDataString(type));
        }
        query.Append('&').Append(SignatureParameter).Append('=').Append(signature);
        string path = PathPrefix + Uri.EscapeDataString(request.Bucket) + "/" + string.Join('/', request.ObjectName.Split('/').Select(Uri.EscapeDataString));
        var builder = new UriBuilder(request.Endpoint) { Path = path, Query = query.ToString() };
        return Task.FromResult(builder.Uri);
    }

    /// <summary>Checks a request for an object against its signature and expiry.</summary>
    public UrlCheck Verify(string bucket, string objectName, string? expires, string? signature, string? disposition, string? contentType)
    {
        if (string.IsNullOrEmpty(expires) || string.IsNullOrEmpty(signature)
            || !long.TryParse(expires, NumberStyles.None, CultureInfo.InvariantCulture, out long expiresAt))
        {
            return UrlCheck.Malformed;
        }
        string expected = Sign(bucket, objectName, expiresAt, disposition, contentType);
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(signature)))
        {
            return UrlCheck.BadSignature;
        }
        return _time.GetUtcNow().ToUnixTimeSeconds() >= expiresAt ? UrlCheck.Expired : UrlCheck.Valid;
    }

    private string Sign(string bucket, string objectName, long expires, string? disposition, string? contentType)
    {
        string toSign = string.Join('\n', "GET", bucket, objectName, expires.ToString(CultureInfo.InvariantCulture), disposition ?? "", contentType ?? "");
        byte[] mac = HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(toSign));
        return Base64Url.EncodeToString(mac);
    }
}

public enum UrlCheck
{
    Valid,
    Expired,
    BadSignature,
    Malformed,
}
