using System.Buffers.Binary;
using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Cctv.Shared.Domain;
using Cctv.Shared.Ports;

namespace Cctv.Functions.Api;

/// <summary>A page_token the API did not issue for this caller and this query: the answer is a 400 with the message.</summary>
public sealed class PageTokenException(string message) : FormatException(message);

/// <summary>
/// The list API's <c>next_page_token</c>: the catalog's <see cref="PageCursor"/> sealed for one caller and one query.
/// The token is base64url of a version byte, the cursor (start time in ticks, recording ID) and an HMAC-SHA256
/// (truncated to 128 bits) keyed with a catalog secret over the cursor, the caller's principal and the query (cameras,
/// from, to, page size). A token that is forged, altered, another caller's or another query's is refused with a
/// <see cref="PageTokenException"/> before the catalog is asked; it only ever points at a row the caller could see
/// when it was issued, because the catalog filters by the caller's scope inside the query.
/// </summary>
public sealed class PageTokens
{
    public const string SecretName = "page-tokens-v1";
    private const byte Version = 1;
    private const int MacBytes = 16;
    private const int MaxTokenChars = 200;

    private readonly byte[] _key;

    public PageTokens(byte[] key) => _key = CatalogKeys.Checked(key, "page token");

    /// <summary>The key the catalog holds (made by the first instance that asked).</summary>
    public static async Task<PageTokens> FromCatalogAsync(ICatalog catalog, CancellationToken cancellationToken) =>
        new(await CatalogKeys.ReadAsync(catalog, SecretName, cancellationToken));

    /// <summary>What a token is bound to: the caller and the query's cameras (any order), range and page size.</summary>
    public static string Binding(string principal, IEnumerable<CameraKey> cameras, DateTimeOffset? from, DateTimeOffset? to, int pageSize) =>
        string.Join('\n', principal, string.Join(',', cameras.Select(c => c.ToString()).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)),
            from?.UtcTicks.ToString(CultureInfo.InvariantCulture) ?? "-", to?.UtcTicks.ToString(CultureInfo.InvariantCulture) ?? "-",
            pageSize.ToString(CultureInfo.InvariantCulture));

    public string Seal(PageCursor cursor, string binding)
    {
        byte[] id = Encoding.UTF8.GetBytes(cursor.Id);
        if (id.Length > 255)
        {
            throw new ArgumentException("A recording ID is at most 255 bytes.", nameof(cursor));
        }
        byte[] token = new byte[1 + 8 + 1 + id.Length + MacBytes];
        token[0] = Version;
        BinaryPrimitives.WriteInt64BigEndian(token.AsSpan(1), cursor.StartTime.UtcTicks);
        token[9] = (byte)id.Length;
        id.CopyTo(token, 10);
        Mac(token.AsSpan(0, 10 + id.Length), binding).CopyTo(token, 10 + id.Length);
        return Base64Url.EncodeToString(token);
    }

    /// <summary>The cursor in a token issued for <paramref name="binding"/>; a <see cref="PageTokenException"/> for anything else.</summary>
    public PageCursor Open(string token, string binding)
    {
        byte[] raw;
        try
        {
            raw = token.Length <= MaxTokenChars ? Base64Url.DecodeFromChars(token) : [];
        }
        catch (FormatException)
        {
            raw = [];
        }
        if (raw.Length < 10 + MacBytes || raw[0] != Version || raw.Length != 10 + raw[9] + MacBytes)
        {
            throw new PageTokenException("page_token is not a token this API issued; start again without it");
        }
        int payload = 10 + raw[9];
        if (!CryptographicOperations.FixedTimeEquals(Mac(raw.AsSpan(0, payload), binding), raw.AsSpan(payload)))
        {
            throw new PageTokenException("page_token was not issued to this caller for this query (same camera_id, from, to and page_size), or was altered; start again without it");
        }
        long ticks = BinaryPrimitives.ReadInt64BigEndian(raw.AsSpan(1));
        string id = Encoding.UTF8.GetString(raw, 10, raw[9]);
        if (ticks < DateTimeOffset.MinValue.UtcTicks || ticks > DateTimeOffset.MaxValue.UtcTicks || !RecordingId.IsValid(id))
        {
            throw new PageTokenException("page_token is not a token this API issued; start again without it");
        }
        return new PageCursor(new DateTimeOffset(ticks, TimeSpan.Zero), id);
    }

    private byte[] Mac(ReadOnlySpan<byte> payload, string binding)
    {
        byte[] bound = Encoding.UTF8.GetBytes(binding);
        byte[] input = new byte[payload.Length + 1 + bound.Length];
        payload.CopyTo(input);
        input[payload.Length] = 0;
        bound.CopyTo(input, payload.Length + 1);
        return HMACSHA256.HashData(_key, input)[..MacBytes];
    }
}
