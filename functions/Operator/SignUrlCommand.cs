using System.CommandLine;
using System.CommandLine.Invocation;
using System.Text;
using Cctv.Shared.Gcp.Storage;

namespace Cctv.Functions.Operator;

/// <summary>
/// <c>sign-url</c>: an operator signs a V4 link to one object for an investigator, with a service-account key file,
/// and the URL alone goes to stdout (so it can be piped or pasted); anything wrong goes to stderr with exit code 2.
/// <c>--timestamp</c> signs as of another time (to reproduce a link, or Google's conformance vectors).
/// </summary>
public static class SignUrlCommand
{
    public static Command Create()
    {
        var key = new Option<FileInfo>("--key", "The service-account key file (JSON) whose private key signs.") { IsRequired = true };
        var bucket = new Option<string>("--bucket", "The bucket.") { IsRequired = true };
        var objectName = new Option<string?>("--object", "The object name (none: the bucket itself).");
        var method = new Option<string>("--method", () => "GET", "The HTTP method the link allows: GET, HEAD, PUT, POST or DELETE.");
        var expires = new Option<long>("--expires", () => 7200, "How long the link lives, in seconds (1 to 604800, V4's limit of seven days).");
        var timestamp = new Option<string?>("--timestamp", "Sign as of this time (ISO 8601 with Z or an offset), instead of now.");
        var download = new Option<string?>("--download", "Make the browser save the object under this file name (response-content-disposition: attachment).");
        var contentType = new Option<string?>("--content-type", "The Content-Type the object is served with (response-content-type).");
        var endpoint = new Option<string?>("--endpoint", "Another storage endpoint (scheme://host[:port]), e.g. an emulator; default https://storage.googleapis.com.");
        var command = new Command("sign-url", "Print a V4 signed URL for one object, signed with a service-account key (for investigators; nothing else on stdout).")
        {
            key, bucket, objectName, method, expires, timestamp, download, contentType, endpoint,
        };
        command.SetHandler(async (InvocationContext context) =>
        {
            T? Get<T>(Option<T> option) => context.ParseResult.GetValueForOption(option);
            context.ExitCode = await RunAsync(Get(key)!, Get(bucket)!, Get(objectName), Get(method)!, Get(expires), Get(timestamp), Get(download),
                Get(contentType), Get(endpoint), context.GetCancellationToken());
        });
        return command;
    }

    private static async Task<int> RunAsync(FileInfo keyFile, string bucket, string? objectName, string method, long expires, string? timestamp, string? download,
        string? contentType, string? endpoint, CancellationToken cancellationToken)
    {
        try
        {
            if (expires < 1 || expires > (long)V4Signing.MaxExpiry.TotalSeconds)
            {
                throw new ArgumentException($"--expires is {expires}: a V4 signed URL lives from 1 to 604800 seconds (seven days).");
            }
            string verb = method.ToUpperInvariant();
            if (verb is not ("GET" or "HEAD" or "PUT" or "POST" or "DELETE"))
            {
                throw new ArgumentException($"--method is '{method}': use GET, HEAD, PUT, POST or DELETE.");
            }
            DateTimeOffset at = DateTimeOffset.UtcNow;
            if (timestamp is not null && !Api.IsoTime.TryParse(timestamp, out at))
            {
                throw new ArgumentException($"--timestamp is '{timestamp}': write an ISO 8601 time with Z or an offset, e.g. 2026-01-15T03:10:00Z.");
            }
            if (!keyFile.Exists)
            {
                throw new ArgumentException($"--key {keyFile.FullName} does not exist: give a service-account key file (JSON).");
            }
            ServiceAccountKeySigner signer;
            try
            {
                signer = ServiceAccountKeySigner.FromFile(keyFile.FullName);
            }
            catch (InvalidOperationException e)
            {
                throw new ArgumentException($"--key {keyFile.FullName} is {e.Message}", e);
            }
            var query = new Dictionary<string, string>();
            if (download is not null)
            {
                query[GcsUrlSigner.DispositionParameter] = $"attachment; filename=\"{download.Replace("\"", "", StringComparison.Ordinal)}\"";
            }
            if (contentType is not null)
            {
                query[GcsUrlSigner.ContentTypeParameter] = contentType;
            }
            V4UrlEndpoint urls = endpoint is null ? V4UrlEndpoint.Production : V4UrlEndpoint.Resolve(clientEndpoint: endpoint);
            V4SignedParts parts = V4Signing.Prepare(new V4SigningRequest(verb, bucket, string.IsNullOrEmpty(objectName) ? null : objectName, at,
                TimeSpan.FromSeconds(expires), QueryParameters: query), signer.ClientEmail, urls);
            byte[] signature = await signer.SignAsync(Encoding.UTF8.GetBytes(parts.StringToSign), cancellationToken);
            Console.Out.WriteLine(parts.Complete(signature));
            return 0;
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync("sign-url: " + e.Message);
            return 2;
        }
    }
}
