using System.Security.Cryptography;
using System.Text;
using Cctv.Functions.Api;
using Cctv.Shared.Ports;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Cctv.Functions.Auth;

/// <summary>
/// Who may call the player API and from which web origins.
/// </summary>
/// <param name="LocalToken">The embedded backend's operator token (sees everything); null on the gcp backend.</param>
/// <param name="UserTokens">Users' Google / Firebase ID tokens; null where they are not accepted (the embedded backend).</param>
/// <param name="CorsOrigins">Web origins (scheme://host[:port]) whose pages may call the API and fetch playback links.</param>
public sealed record ApiAccessOptions(string? LocalToken, UserTokenOptions? UserTokens, IReadOnlyList<string> CorsOrigins)
{
    public const string CorsPolicy = "player";

    /// <summary>Parses CCTV_CORS_ORIGINS: comma-separated origins; each must be an http(s) origin with nothing after the host.</summary>
    public static IReadOnlyList<string> ParseOrigins(string? value)
    {
        var origins = new List<string>();
        foreach (string raw in (value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!Uri.TryCreate(raw, UriKind.Absolute, out Uri? uri) || uri.Scheme is not ("http" or "https") || uri.PathAndQuery != "/" || raw.EndsWith('/')
                || !string.IsNullOrEmpty(uri.UserInfo))
            {
                throw new ArgumentException($"'{raw}' is not a web origin: write scheme://host[:port], e.g. https://cctv.example.com, without a path or a trailing '/'.");
            }
            origins.Add(uri.GetLeftPart(UriPartial.Authority));
        }
        return origins;
    }
}

/// <summary>
/// Authenticates every <c>/api</c> request and attaches its <see cref="Caller"/>: a bearer credential that is the
/// embedded backend's local token (an operator), an API key (<see cref="ApiKeys"/>), or, where configured, a user's
/// Google or Firebase ID token (<see cref="UserTokenVerifier"/>). A missing or bad credential is 401 with the reason;
/// the caller's grants are then read from the catalog. <c>/api/status</c> (every site's recorders and counts) is
/// for operators: anyone else gets 404. Every /api answer is <c>Cache-Control: no-store</c> unless the handler says
/// otherwise. CORS answers preflights before any of this, for the configured origins only.
/// </summary>
public static class ApiAuthentication
{
    public static IServiceCollection AddApiAuthentication(this IServiceCollection services, ApiAccessOptions options)
    {
        services.AddSingleton(options);
        if (options.UserTokens is { } users)
        {
            services.AddSingleton(new UserTokenVerifier(users));
        }
        services.AddCors(cors => cors.AddPolicy(ApiAccessOptions.CorsPolicy, policy =>
        {
            if (options.CorsOrigins.Count > 0)
            {
                policy.WithOrigins([.. options.CorsOrigins]);
            }
            policy.WithMethods(HttpMethods.Get, HttpMethods.Head, HttpMethods.Post)
                .WithHeaders("Authorization", "Range", "Content-Type")
                .WithExposedHeaders("Content-Disposition", "Content-Length", "Content-Range", "Accept-Ranges")
                .SetPreflightMaxAge(TimeSpan.FromMinutes(10));
        }));
        return services;
    }

    public static WebApplication UseApiAuthentication(this WebApplication app)
    {
        app.UseCors(ApiAccessOptions.CorsPolicy);
        app.Use(async (http, next) =>
        {
            if (!http.Request.Path.StartsWithSegments("/api"))
            {
                await next(http);
                return;
            }
            http.Response.Headers.CacheControl = "no-store";
            Caller? caller = await AuthenticateAsync(http);
            if (caller is null)
            {
                return;
            }
            if (http.Request.Path.StartsWithSegments("/api/status") && !caller.SeesEverything)
            {
                http.Response.StatusCode = StatusCodes.Status404NotFound;
                await http.Response.WriteAsJsonAsync(new ApiError("not found"));
                return;
            }
            caller.AttachTo(http);
            await next(http);
        });
        return app;
    }

    /// <summary>The caller, or null after writing the refusal.</summary>
    private static async Task<Caller?> AuthenticateAsync(HttpContext http)
    {
        ApiAccessOptions options = http.RequestServices.GetRequiredService<ApiAccessOptions>();
        string? header = http.Request.Headers.Authorization.Count == 1 ? http.Request.Headers.Authorization[0] : null;
        if (header is null || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length <= "Bearer ".Length)
        {
            return await RefuseAsync(http, StatusCodes.Status401Unauthorized, "a bearer credential is required (Authorization: Bearer <token>)", null);
        }
        string credential = header["Bearer ".Length..].Trim();
        ICatalog catalog = http.RequestServices.GetRequiredService<ICatalog>();
        try
        {
            if (options.LocalToken is { Length: > 0 } local
                && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(credential), Encoding.UTF8.GetBytes(local)))
            {
                return Caller.Operator("local-token", await catalog.ListRecorderSitesAsync(http.RequestAborted)).WithCredential("local-token");
            }
            string? principal;
            string credentialId;
            if (ApiKeys.LooksLikeKey(credential))
            {
                principal = await ApiKeys.VerifyAsync(catalog, credential, http.RequestAborted);
                credentialId = "api-key:" + ApiKeys.IdOf(credential);
                if (principal is null)
                {
                    return await RefuseAsync(http, StatusCodes.Status401Unauthorized, "unknown or revoked API key", "invalid_token");
                }
            }
            else if (http.RequestServices.GetService<UserTokenVerifier>() is { } verifier)
            {
                try
                {
                    principal = (await verifier.VerifyAsync(credential, http.RequestAborted)).Principal;
                    credentialId = "id-token";
                }
                catch (TokenRefusedException e)
                {
                    return e.KeysUnavailable
                        ? await RefuseAsync(http, StatusCodes.Status503ServiceUnavailable, e.Message, null)
                        : await RefuseAsync(http, StatusCodes.Status401Unauthorized, e.Message, "invalid_token");
                }
            }
            else
            {
                return await RefuseAsync(http, StatusCodes.Status401Unauthorized, "the bearer token is not valid here", "invalid_token");
            }
            return (await Caller.LoadAsync(principal, catalog, http.RequestAborted)).WithCredential(credentialId);
        }
        catch (Exception e) when (e is not OperationCanceledException || !http.RequestAborted.IsCancellationRequested)
        {
            http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(nameof(ApiAuthentication))
                .LogError(e, "Could not authenticate {Method} {Path}: the catalog could not be read", http.Request.Method, http.Request.Path);
            return await RefuseAsync(http, StatusCodes.Status503ServiceUnavailable, "the catalog could not be read; try again", null);
        }
    }

    private static async Task<Caller?> RefuseAsync(HttpContext http, int status, string reason, string? error)
    {
        http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(nameof(ApiAuthentication)).LogInformation(
            "Refused {Method} {Path} from {Remote}: {Status} {Reason}", http.Request.Method, http.Request.Path, http.Connection.RemoteIpAddress, status, reason);
        http.Response.StatusCode = status;
        if (status == StatusCodes.Status401Unauthorized)
        {
            http.Response.Headers.WWWAuthenticate = error is null ? "Bearer" : $"Bearer error=\"{error}\"";
        }
        await http.Response.WriteAsJsonAsync(new ApiError(reason));
        return null;
    }
}
