using Google.Apis.Auth;

namespace Cctv.Functions.Auth;

/// <summary>
/// Who may call an endpoint: the audience a Google-signed ID token must be for, and the accounts that may present it
/// (empty: any Google account with a verified email). <see cref="CertificatesUrl"/> is where the signing keys are
/// fetched from: null for Google's own (production); tests point it at a local key set.
/// </summary>
public sealed record TokenPolicy(IReadOnlyList<string> Audiences, IReadOnlyList<string> AllowedEmails, Uri? CertificatesUrl = null)
{
    /// <summary>The issuers of Google ID tokens (Pub/Sub pushes, Cloud Scheduler, users' Google sign-in).</summary>
    public static readonly IReadOnlyList<string> GoogleIssuers = ["https://accounts.google.com", "accounts.google.com"];
}

/// <summary>The result of checking a request's token: who presented it, or the status and reason to refuse it with.</summary>
public sealed record TokenCheck(bool IsValid, int Status, string? Error, string? Email)
{
    public static TokenCheck Valid(string? email) => new(true, 200, null, email);

    public static TokenCheck Refuse(int status, string error) => new(false, status, error, null);
}

/// <summary>
/// Verifies the OIDC token of a Pub/Sub push or a Cloud Scheduler call (<c>Authorization: Bearer</c>) with
/// Google.Apis.Auth: signature against Google's keys, issuer, audience, expiry; then the caller's email against the
/// allowed accounts. A missing or invalid token is 401, a valid token of an account not allowed here is 403, and
/// keys that could not be fetched are 503 (the caller retries). Expiry is checked against the system clock
/// (Google.Apis.Auth's <see cref="SignedTokenVerificationOptions"/> takes no clock).
/// </summary>
public sealed class GoogleTokenVerifier(TokenPolicy policy)
{
    /// <summary>What Cloud Run puts in place of the signature after its own IAM check has consumed the token.</summary>
    public const string SignatureRemoved = "SIGNATURE_REMOVED_BY_GOOGLE";

    private readonly HashSet<string> _allowed = new(policy.AllowedEmails, StringComparer.OrdinalIgnoreCase);

    public TokenPolicy Policy => policy;

    public async Task<TokenCheck> CheckAsync(string? authorization, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(authorization))
        {
            return TokenCheck.Refuse(401, "no Authorization header: an OIDC bearer token is required");
        }
        if (!authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return TokenCheck.Refuse(401, "the Authorization header is not a bearer token");
        }
        string jwt = authorization["Bearer ".Length..].Trim();
        if (jwt.Length == 0)
        {
            return TokenCheck.Refuse(401, "the bearer token is empty");
        }
        if (jwt.EndsWith("." + SignatureRemoved, StringComparison.Ordinal))
        {
            return TokenCheck.Refuse(401,
                "the token's signature was removed by Cloud Run's IAM check, so it cannot be verified here; disable the invoker IAM check " +
                "on this service (terraform: invoker_iam_disabled) and let the function verify the token");
        }
        if (policy.Audiences.Count == 0)
        {
            return TokenCheck.Refuse(401, "this service accepts no token: no audience is configured");
        }
        var options = new SignedTokenVerificationOptions
        {
            CertificatesUrl = policy.CertificatesUrl?.AbsoluteUri,
        };
        foreach (string audience in policy.Audiences)
        {
            options.TrustedAudiences.Add(audience);
        }
        foreach (string issuer in TokenPolicy.GoogleIssuers)
        {
            options.TrustedIssuers.Add(issuer);
        }
        GoogleJsonWebSignature.Payload payload;
        try
        {
            payload = await JsonWebSignature.VerifySignedTokenAsync<GoogleJsonWebSignature.Payload>(jwt, options, cancellationToken);
        }
        catch (InvalidJwtException e)
        {
            return TokenCheck.Refuse(401, "invalid token: " + e.Message);
        }
        catch (HttpRequestException e)
        {
            return TokenCheck.Refuse(503, "the token could not be checked: Google's signing keys could not be fetched (" + e.Message + ")");
        }
        catch (Exception e) when (e is FormatException or ArgumentException or Newtonsoft.Json.JsonException or System.Text.Json.JsonException)
        {
            return TokenCheck.Refuse(401, "invalid token: not a well-formed JWT (" + e.Message + ")");
        }
        if (_allowed.Count == 0)
        {
            return payload.EmailVerified && !string.IsNullOrEmpty(payload.Email)
                ? TokenCheck.Valid(payload.Email)
                : TokenCheck.Refuse(403, "the token carries no verified email");
        }
        if (string.IsNullOrEmpty(payload.Email) || !payload.EmailVerified)
        {
            return TokenCheck.Refuse(403, "the token carries no verified service-account email");
        }
        return _allowed.Contains(payload.Email)
            ? TokenCheck.Valid(payload.Email)
            : TokenCheck.Refuse(403, $"{payload.Email} may not call this function (allowed: {string.Join(", ", policy.AllowedEmails)})");
    }
}
