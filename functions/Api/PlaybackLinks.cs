using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Cctv.Shared.Domain;
using Cctv.Shared.Ports;

namespace Cctv.Functions.Api;

public enum PlaybackCheck
{
    Valid,
    Expired,
    BadSignature,
    Malformed,
}

/// <summary>
/// The segment URIs of HLS playlists: <c>/playback/{id}.mp4?exp=UNIX&amp;sig=MAC</c>, a capability for one recording
/// until the playlist's end of life, MACed (HMAC-SHA256, truncated to 128 bits) with a key every instance shares (a
/// catalog secret). Fetching one answers with a redirect to a freshly signed storage URL, so a playlist outlives the
/// short lives of signed URLs (and IAM signBlob's 12-hour limit) and costs one HMAC per entry to build instead of one
/// RSA signature. A player needs no bearer token to follow them: whoever holds the playlist may play its segments
/// until it expires, as with a signed URL.
/// </summary>
public sealed class PlaybackLinks
{
    public const string PathPrefix = "/playback/";
    public const string SecretName = "playback-links-v1";
    private const int MacBytes = 16;

    private readonly byte[] _key;

    public PlaybackLinks(byte[] key) => _key = CatalogKeys.Checked(key, "playback link");

    /// <summary>The key the catalog holds (made by the first instance that asked).</summary>
    public static async Task<PlaybackLinks> FromCatalogAsync(ICatalog catalog, CancellationToken cancellationToken) =>
        new PlaybackLinks(await CatalogKeys.ReadAsync(catalog, SecretName, cancellationToken));

    /// <summary>The link (an absolute path with its query) to one recording until <paramref name="expires"/>.</summary>
    public string For(string recordingId, DateTimeOffset expires)
    {
        using LinkWriter writer = Writer(expires);
        return writer.For(recordingId);
    }

    /// <summary>
    /// Links that all expire at <paramref name="expires"/>, written with one keyed HMAC reset between links (a playlist's
    /// thousands of links, without deriving the key's pads for each). One thread at a time; dispose it after.
    /// </summary>
    public LinkWriter Writer(DateTimeOffset expires) => new(IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key), expires.ToUnixTimeSeconds());

    public PlaybackCheck Check(string recordingId, string? exp, string? sig, DateTimeOffset now)
    {
        if (!RecordingId.IsValid(recordingId) || string.IsNullOrEmpty(sig) || sig.Length > 64 || string.IsNullOrEmpty(exp) || exp.Length > 12
            || !long.TryParse(exp, NumberStyles.None, CultureInfo.InvariantCulture, out long expires))
        {
            return PlaybackCheck.Malformed;
        }
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Mac(recordingId, expires)), Encoding.ASCII.GetBytes(sig)))
        {
            return PlaybackCheck.BadSignature;
        }
        return now.ToUnixTimeSeconds() >= expires ? PlaybackCheck.Expired : PlaybackCheck.Valid;
    }

    private string Mac(string recordingId, long expires)
    {
        using IncrementalHash hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key);
        return Mac(hmac, recordingId, expires);
    }

    /// <summary>Base64url of the first 128 bits of HMAC-SHA256("playback\n{id}\n{expires}").</summary>
    private static string Mac(IncrementalHash hmac, string recordingId, long expires)
    {
        Span<byte> message = stackalloc byte[128];
        int length = Encoding.ASCII.GetBytes("playback\n", message);
        if (recordingId.Length > 64 || !Encoding.ASCII.TryGetBytes(recordingId, message[length..], out int written))
        {
            throw new ArgumentException("A recording ID is ASCII of at most 64 characters.", nameof(recordingId));
        }
        length += written;
        message[length++] = (byte)'\n';
        expires.TryFormat(message[length..], out written, default, CultureInfo.InvariantCulture);
        length += written;
        hmac.AppendData(message[..length]);
        Span<byte> mac = stackalloc byte[32];
        hmac.GetHashAndReset(mac);
        return Base64Url.EncodeToString(mac[..MacBytes]);
    }

    /// <summary>Writes links that share an expiry, reusing one keyed HMAC (see <see cref="Writer"/>).</summary>
    public sealed class LinkWriter(IncrementalHash hmac, long expires) : IDisposable
    {
        private readonly string _query = "?exp=" + expires.ToString(CultureInfo.InvariantCulture) + "&sig=";

        public string For(string recordingId) => string.Concat(PathPrefix, recordingId, ".mp4", _query, Mac(hmac, recordingId, expires));

        public void Dispose() => hmac.Dispose();
    }
}
