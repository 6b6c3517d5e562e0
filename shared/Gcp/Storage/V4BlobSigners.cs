using System.Security.Cryptography;
using Google.Apis.Auth.OAuth2;

namespace Cctv.Shared.Gcp.Storage;

/// <summary>Who signs a V4 string to sign, with RSA-SHA256, as which service account, and for how long such a URL may live.</summary>
public interface IV4BlobSigner
{
    /// <summary>The service account's email: the credential the signed URL names.</summary>
    ValueTask<string> GetClientEmailAsync(CancellationToken cancellationToken);

    /// <summary>The RSA-SHA256 (PKCS #1 v1.5) signature of <paramref name="data"/>.</summary>
    ValueTask<byte[]> SignAsync(byte[] data, CancellationToken cancellationToken);

    /// <summary>The longest lifetime a URL signed this way may be given.</summary>
    TimeSpan MaxLifetime { get; }
}

/// <summary>
/// Signs with the private key of a service-account JSON key file (read with Google.Apis.Auth's
/// <see cref="ServiceAccountCredential"/>), in process: V4's full seven days.
/// </summary>
public sealed class ServiceAccountKeySigner : IV4BlobSigner
{
    private readonly RSA _key;

    public ServiceAccountKeySigner(string clientEmail, RSA key)
    {
        ArgumentException.ThrowIfNullOrEmpty(clientEmail);
        ClientEmail = clientEmail;
        _key = key;
    }

    public string ClientEmail { get; }

    public TimeSpan MaxLifetime => V4Signing.MaxExpiry;

    /// <summary>Reads a service-account key file (<c>"type": "service_account"</c>); the message of a failure says what is wrong with it.</summary>
    public static ServiceAccountKeySigner FromJson(Stream json)
    {
        ServiceAccountCredential credential;
        try
        {
            credential = ServiceAccountCredential.FromServiceAccountData(json);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or Newtonsoft.Json.JsonException or FormatException or CryptographicException)
        {
            throw new InvalidOperationException("not a service-account key file (JSON with type service_account, client_email and private_key): " + e.Message, e);
        }
        return new ServiceAccountKeySigner(credential.Id, credential.Key);
    }

    public static ServiceAccountKeySigner FromFile(string path)
    {
        using FileStream stream = File.OpenRead(path);
        return FromJson(stream);
    }

    public ValueTask<string> GetClientEmailAsync(CancellationToken cancellationToken) => ValueTask.FromResult(ClientEmail);

    public ValueTask<byte[]> SignAsync(byte[] data, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_key.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
}

/// <summary>
/// Signs without a key file, through the IAM Credentials API's signBlob, so no private key ever leaves Google. Either
/// with Google.Apis.Auth's blob signer on the default credential (on Cloud Run: the service's own account, which then
/// needs <c>iam.serviceAccounts.signBlob</c> on itself), or as another, dedicated account the service may sign for
/// (<see cref="ForServiceAccount"/>: CCTV_SIGNING_SERVICE_ACCOUNT, roles/iam.serviceAccountTokenCreator on it; the URL
/// then carries that account's read access and nothing else). The key that signs is Google-managed and rotated, so,
/// as gsutil's <c>signurl -u</c> does, such URLs live at most 12 hours.
/// </summary>
public sealed class IamBlobSigner(IBlobSigner signer, Func<CancellationToken, Task<string>> clientEmail) : IV4BlobSigner
{
    /// <summary>The limit for URLs signed with a system-managed key.</summary>
    public static readonly TimeSpan SystemManagedKeyLimit = TimeSpan.FromHours(12);

    private string? _email;

    public TimeSpan MaxLifetime => SystemManagedKeyLimit;

    /// <summary>The default credential's own blob signer: the metadata server's account on Cloud Run, or a key file's account.</summary>
    public static async Task<IamBlobSigner> ForDefaultCredentialAsync(CancellationToken cancellationToken)
    {
        GoogleCredential credential = await GoogleCredential.GetApplicationDefaultAsync(cancellationToken);
        Func<CancellationToken, Task<string>> email = credential.UnderlyingCredential switch
        {
            ComputeCredential compute => compute.GetDefaultServiceAccountEmailAsync,
            ServiceAccountCredential account => _ => Task.FromResult(account.Id),
            ImpersonatedCredential impersonated => _ => Task.FromResult(impersonated.TargetPrincipal),
            _ => _ => throw new InvalidOperationException(
                "the default credential is not a service account, so it cannot sign URLs: set CCTV_SIGNING_SERVICE_ACCOUNT to an account it may sign for"),
        };
        return new IamBlobSigner(credential, email);
    }

    /// <summary>Signs as <paramref name="serviceAccount"/> through IAM Credentials (reached at <paramref name="iamCredentials"/>, authorized as the caller).</summary>
    public static IamBlobSigner ForServiceAccount(GcpEndpoint iamCredentials, string serviceAccount) =>
        new(new IamCredentialsBlobSigner(iamCredentials, serviceAccount), _ => Task.FromResult(serviceAccount));

    public async ValueTask<string> GetClientEmailAsync(CancellationToken cancellationToken) =>
        _email ??= await clientEmail(cancellationToken);

    public async ValueTask<byte[]> SignAsync(byte[] data, CancellationToken cancellationToken) =>
        Convert.FromBase64String(await signer.SignBlobAsync(data, cancellationToken));
}

/// <summary>
/// Google.Apis.Auth's <see cref="IBlobSigner"/> contract over <c>projects/-/serviceAccounts/{email}:signBlob</c> of the
/// IAM Credentials API (the same call Google.Apis.Auth's impersonated credential makes), for a caller whose credential
/// cannot impersonate in the library (the metadata server's). Transient failures are retried by <see cref="GcpEndpoint"/>.
/// </summary>
public sealed class IamCredentialsBlobSigner(GcpEndpoint endpoint, string serviceAccount) : IBlobSigner
{
    public static readonly GcpService Service = new(
        "IAM Credentials", new Uri("https://iamcredentials.googleapis.com/"), "CCTV_IAM_CREDENTIALS_EMULATOR_HOST", "https://www.googleapis.com/auth/cloud-platform");

    public async Task<string> SignBlobAsync(byte[] blob, CancellationToken cancellationToken = default)
    {
        using System.Text.Json.JsonDocument? answer = await endpoint.SendAsync(HttpMethod.Post,
            $"v1/projects/-/serviceAccounts/{Uri.EscapeDataString(serviceAccount)}:signBlob",
            new System.Text.Json.Nodes.JsonObject { ["payload"] = Convert.ToBase64String(blob) }, cancellationToken);
        return answer?.RootElement.TryGetProperty("signedBlob", out System.Text.Json.JsonElement signed) == true && signed.GetString() is { Length: > 0 } value
            ? value
            : throw new GcpApiException($"signBlob for {serviceAccount} answered without a signedBlob");
    }
}
