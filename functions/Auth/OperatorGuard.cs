using Cctv.Functions.Api;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Cctv.Functions.Auth;

/// <summary>
/// Puts the embedded backend's operator credential (its API token, as a bearer) in front of a function endpoint
/// (<c>/functions/*</c>): only the host's own event dispatcher and an operator may post events or start sweeps.
/// A missing credential is 401; any other (an API key, a wrong token) is 401 too, with the reason and a log line.
/// </summary>
public static class OperatorGuard
{
    public static RequestDelegate RequireOperator(RequestDelegate next) => async http =>
    {
        ApiToken token = http.RequestServices.GetRequiredService<ApiToken>();
        string? header = http.Request.Headers.Authorization.Count == 1 ? http.Request.Headers.Authorization[0] : null;
        string? refusal = header is null || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            ? "the operator credential is required (Authorization: Bearer <CCTV_API_TOKEN>)"
            : !token.IsValid(http.Request) ? "the bearer credential is not the operator's token; functions accept no other" : null;
        if (refusal is null)
        {
            await next(http);
            return;
        }
        http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(nameof(OperatorGuard)).LogWarning(
            "Refused {Method} {Path} from {Remote}: 401 {Reason}", http.Request.Method, http.Request.Path, http.Connection.RemoteIpAddress, refusal);
        http.Response.StatusCode = StatusCodes.Status401Unauthorized;
        http.Response.Headers.WWWAuthenticate = header is null ? "Bearer" : "Bearer error=\"invalid_token\"";
        await http.Response.WriteAsJsonAsync(new { error = refusal });
    };
}
