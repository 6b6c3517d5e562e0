namespace Cctv.Testing.Gcs.Http;

internal enum RouteKind
{
    Buckets,
    Bucket,
    Objects,
    Object,
    Download,
    Rewrite,
    Copy,
    Upload,
    Session,
}

/// <summary>
/// Where a request goes, from the raw (still percent-encoded) path, so that <c>%2F</c> inside an object name stays
/// part of the name. Names sent unencoded (slashes as path separators) are accepted too.
/// </summary>
internal sealed record Route(
    RouteKind Kind,
    string? Bucket = null,
    string? Name = null,
    string? DestinationBucket = null,
    string? DestinationName = null,
    string? UploadId = null)
{
    public static Route Parse(string rawPath, string? uploadId)
    {
        string[] raw = rawPath.Trim('/').Split('/');
        string[] s = Array.ConvertAll(raw, Uri.UnescapeDataString);
        if (s[0] == "b")
        {
            // What Google's clients send to an emulator named by STORAGE_EMULATOR_HOST: the JSON API at the root.
            s = ["storage", "v1", .. s];
        }
        int n = s.Length;

        if (n == 6 && s[0] == "upload" && s[1] == "storage" && s[2] == "v1" && s[3] == "b" && s[5] == "o")
        {
            return uploadId is null ? new Route(RouteKind.Upload, s[4]) : new Route(RouteKind.Session, s[4], UploadId: uploadId);
        }
        if (n >= 7 && s[0] == "download" && s[1] == "storage" && s[2] == "v1" && s[3] == "b" && s[5] == "o")
        {
            return new Route(RouteKind.Download, s[4], string.Join('/', s[6..]));
        }
        if (n >= 3 && s[0] == "storage" && s[1] == "v1" && s[2] == "b")
        {
            if (n == 3)
            {
                return new Route(RouteKind.Buckets);
            }
            if (n == 4)
            {
                return new Route(RouteKind.Bucket, s[3]);
            }
            if (s[4] == "o")
            {
                if (n == 5)
                {
                    return new Route(RouteKind.Objects, s[3]);
                }
                string[] rest = s[5..];
                for (int i = 1; i + 4 < rest.Length; i++)
                {
                    if ((rest[i] == "rewriteTo" || rest[i] == "copyTo") && rest[i + 1] == "b" && rest[i + 3] == "o")
                    {
                        return new Route(
                            rest[i] == "rewriteTo" ? RouteKind.Rewrite : RouteKind.Copy,
                            s[3],
                            string.Join('/', rest[..i]),
                            rest[i + 2],
                            string.Join('/', rest[(i + 4)..]));
                    }
                }
                return new Route(RouteKind.Object, s[3], string.Join('/', rest));
            }
        }
        throw GcsException.NotFound($"Not found: /{rawPath.TrimStart('/')}");
    }
}
