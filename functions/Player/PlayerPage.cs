using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;

namespace Cctv.Functions.Player;

/// <summary>
/// The player page: plain ES modules and hls.js, embedded in this assembly at build time (see the csproj), served at
/// <c>/player/</c> with <c>/</c> redirecting to it. Only the all-in-one host and the PlayerApi target serve it, from
/// the same origin as the API they call, so the page needs no CORS and its bearer token never leaves that origin.
/// </summary>
public static class PlayerPage
{
    public const string Path = "/player/";
    private const string ResourcePrefix = "Cctv.Functions.Player.web";

    /// <summary>
    /// Scripts and styles from this origin only; playback and downloads from this origin (the embedded backend serves
    /// its signed URLs itself), from Cloud Storage (the gcp backend's signed URLs) and from blob: URLs (hls.js feeds
    /// MediaSource from them; the playlist and downloads are handed over as blobs). No referrer, so a signed URL in
    /// the address of a page never leaks through one.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
        "media-src 'self' blob: https://storage.googleapis.com; connect-src 'self' blob: https://storage.googleapis.com; " +
        "worker-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    public static WebApplication MapPlayerPage(this WebApplication app)
    {
        var files = new EmbeddedFileProvider(typeof(PlayerPage).Assembly, ResourcePrefix);
        var types = new FileExtensionContentTypeProvider();
        types.Mappings[".mjs"] = "text/javascript";
        types.Mappings[".js"] = "text/javascript";
        app.MapGet("/", () => Results.Redirect(Path));
        app.Use((http, next) =>
        {
            PathString path = http.Request.Path;
            if (path.Equals("/player", StringComparison.Ordinal))
            {
                http.Response.Redirect(Path + http.Request.QueryString);
                return Task.CompletedTask;
            }
            if (path.Equals(Path, StringComparison.Ordinal))
            {
                http.Request.Path = Path + "index.html";
            }
            return next(http);
        });
        app.UseStaticFiles(new StaticFileOptions
        {
            RequestPath = "/player",
            FileProvider = files,
            ContentTypeProvider = types,
            OnPrepareResponse = context =>
            {
                IHeaderDictionary headers = context.Context.Response.Headers;
                headers.CacheControl = "no-cache"; // revalidate (ETag), so a new build's page is picked up at once
                headers.ContentSecurityPolicy = ContentSecurityPolicy;
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "no-referrer";
            },
        });
        return app;
    }
}
