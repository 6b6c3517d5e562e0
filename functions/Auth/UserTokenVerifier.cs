using System.Buffers.Text;
using System.Text.Json;
using Cctv.Shared.Domain;
using Google.Apis.Auth;

namespace Cctv.Functions.Auth;

/// <summary>
/// Which users' ID tokens the player API accepts: Google sign-in tokens for one of <see cref="Audiences"/> (OAuth client
/// IDs), and Firebase Authentication tokens of a Firebase project named in <see cref="Audiences"/> (their audience is
/// the project ID and their issuer https://securetoken.google.com/PROJECT). The key sets are Google's unless a test
/// points them elsewhere.
/// </summary>
public sealed record UserTokenOptions(IReadOnlyList<string> Audiences)
{
    public const string GoogleCertificates = "https://www.googleapis.com/oauth2/v3/certs";
    public const string FirebaseCertificates = "https://www.googleapis.com/service_accounts/v1/jwk/securetoken@system.gserviceaccount.com";
    public const string FirebaseIssuerPrefix = "https://securetoken.google.com/";

    public static readonly IReadOnlyList<string> GoogleIssuers = ["https://accounts.google.com", "accounts.google.com"];

    public Uri GoogleCertificatesUrl { get; init; } = new(GoogleCertificates);

    public Uri FirebaseCertificatesUrl { get; init; } = new(FirebaseCertificates);

    /// <summary>How far a token's times may be off the clock (issued-at in the future, expiry just passed).</summary>
    public TimeSpan ClockTolerance { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>A user's verified identity: the principal their grants are keyed by.</summary>
public sealed record VerifiedUser(string Principal, string? Email, string Issuer);

/// <summary>Why a token was refused (always a 401: the caller signs in again), or that the keys could not be fetched (503).</summary>
public sealed class TokenRefusedException(string message, bool keysUnavailable = false, Exception? inner = null) : Exception(message, inner)
{
    public bool KeysUnavailable => keysUnavailable;
}

/// <summary>
/// Verifies users' ID tokens with Google.Apis.Auth: the RS256 signature against the issuer's published keys, the
/// issuer, the audience, and issued-at and expiry against the system clock (Google.Apis.Auth 1.76 takes no other). The issuer named in the token picks the
/// key set (Google's or Firebase's); a token naming neither is refused before any key is fetched. A verified email
/// makes the principal <c>user:EMAIL</c> (so one grant covers a person however they sign in); a Firebase account
/// without one is <c>firebase:UID</c>.
/// </summary>
public sealed class UserTokenVerifier(UserTokenOptions options)
{
    public UserTokenOptions Options => options;

    public async Task<VerifiedUser> VerifyAsync(string jwt, CancellationToken cancellationToken)
    {
        if (options.Audiences.Count == 0)
        {
            throw new TokenRefusedException("this service accepts no ID token: no audience is configured (CCTV_USER_TOKEN_AUDIENCES)");
        }
        string issuer = PeekIssuer(jwt);
        bool firebase = issuer.StartsWith(UserTokenOptions.FirebaseIssuerPrefix, StringComparison.Ordinal);
        if (!firebase && !UserTokenOptions.GoogleIssuers.Contains(issuer))
        {
            throw new TokenRefusedException("the token's issuer is neither Google nor Firebase Authentication");
        }
        var verification = new SignedTokenVerificationOptions
        {
            CertificatesUrl = (firebase ? options.FirebaseCertificatesUrl : options.GoogleCertificatesUrl).AbsoluteUri,
            IssuedAtClockTolerance = options.ClockTolerance,
            ExpiryClockTolerance = options.ClockTolerance,
        };
        foreach (string audience in options.Audiences)
        {
            verification.TrustedAudiences.Add(audience);
            if (firebase)
            {
                verification.TrustedIssuers.Add(UserTokenOptions.FirebaseIssuerPrefix + audience);
            }
        }
        if (!firebase)
        {
            foreach (string google in UserTokenOptions.GoogleIssuers)
            {
                verification.TrustedIssuers.Add(google);
            }
        }
        GoogleJsonWebSignature.Payload payload;
        try
        {
            payload = await JsonWebSignature.VerifySignedTokenAsync<GoogleJsonWebSignature.Payload>(jwt, verification, cancellationToken);
        }
        catch (InvalidJwtException e)
        {
            throw new TokenRefusedException("invalid token: " + e.Message, inner: e);
        }
        catch (HttpRequestException e)
        {
            throw new TokenRefusedException("the token could not be checked: the issuer's signing keys could not be fetched (" + e.Message + ")", true, e);
        }
        catch (Exception e) when (e is FormatException or ArgumentException or Newtonsoft.Json.JsonException or JsonException)
        {
            throw new TokenRefusedException("invalid token: not a well-formed JWT", inner: e);
        }
        if (payload.EmailVerified && !string.IsNullOrWhiteSpace(payload.Email))
        {
            return new VerifiedUser(Principals.User(payload.Email), payload.Email.Trim().ToLowerInvariant(), issuer);
        }
        if (firebase && !string.IsNullOrEmpty(payload.Subject))
        {
            return new VerifiedUser(Principals.FirebasePrefix + payload.Subject, null, issuer);
        }
        throw new TokenRefusedException("the token carries no verified email");
    }

    /// <summary>The unverified <c>iss</c> claim, only to choose which keys to verify the token with.</summary>
    private static string PeekIssuer(string jwt)
    {
        string[] parts = jwt.Split('.');
        if (parts.Length != 3 || parts[1].Length is 0 or > 16_384)
        {
            throw new TokenRefusedException("invalid token: not a JWT (three base64url parts)");
        }
        try
        {
            using JsonDocument payload = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1]));
            return payload.RootElement.ValueKind == JsonValueKind.Object
                && payload.RootElement.TryGetProperty("iss", out JsonElement iss) && iss.ValueKind == JsonValueKind.String
                    ? iss.GetString()!
                    : throw new TokenRefusedException("invalid token: it names no issuer");
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            throw new TokenRefusedException("invalid token: its payload is not base64url JSON", inner: e);
        }
    }
}
