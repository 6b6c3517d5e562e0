using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Cctv.Functions.Auth;

/// <summary>The verifier of the OIDC tokens that Pub/Sub pushes and Cloud Scheduler calls carry (service accounts).</summary>
public sealed class InvokerTokens(GoogleTokenVerifier verifier)
{
    public GoogleTokenVerifier Verifier => verifier;
}

/// <summary>Puts a token check in front of an endpoint: refused requests get the status and reason, and a log line says why.</summary>
public static class TokenGuard
{
    public static RequestDelegate RequireInvoker(RequestDelegate next) => async http =>
    {
        if (await CheckAsync(http, http.RequestServices.GetRequiredService<InvokerTokens>().Verifier, "TokenGuard"))
        {
            await next(http);
        }
    };

    /// <summary>Checks the request's bearer token; on refusal writes the answer and returns false.</summary>
    public static async Task<bool> CheckAsync(HttpContext http, GoogleTokenVerifier verifier, string category)
    {
        TokenCheck check = await verifier.CheckAsync(http.Request.Headers.Authorization.FirstOrDefault(), http.RequestAborted);
        if (check.IsValid)
        {
            http.Items["caller"] = check.Email;
            return true;
        }
        http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(category).LogWarning(
            "Refused {Method} {Path} from {Remote}: {Status} {Error}", http.Request.Method, http.Request.Path, http.Connection.RemoteIpAddress, check.Status, check.Error);
        http.Response.StatusCode = check.Status;
        if (check.Status == StatusCodes.Status401Unauthorized)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
        }
        await http.Response.WriteAsJsonAsync(new { error = check.Error });
        return false;
    }
}
