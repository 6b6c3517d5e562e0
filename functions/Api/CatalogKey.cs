using System.Security.Cryptography;
using Cctv.Shared.Ports;

namespace Cctv.Functions.Api;

/// <summary>
/// A key every instance of the functions shares (playback links, page tokens): a named catalog secret of 32 random
/// bytes, created by the first instance that asks (create-only, so racing instances agree), read on first use and
/// again after a failed read (a failure is never kept), and handed out as what it keys.
/// </summary>
public sealed class CatalogKey<T>(ICatalog catalog, string name, Func<byte[], T> use)
    where T : class
{
    private Task<T>? _value;

    public Task<T> GetAsync(CancellationToken cancellationToken)
    {
        Task<T>? current = Volatile.Read(ref _value);
        if (current is null || current.IsFaulted || current.IsCanceled)
        {
            Interlocked.CompareExchange(ref _value, LoadAsync(), current);
            current = Volatile.Read(ref _value)!;
        }
        return current.WaitAsync(cancellationToken);
    }

    private async Task<T> LoadAsync() => use(await CatalogKeys.ReadAsync(catalog, name, CancellationToken.None));
}

public static class CatalogKeys
{
    /// <summary>The key itself, when it is long enough for an HMAC-SHA256 key (32 bytes); else an error naming its use.</summary>
    public static byte[] Checked(byte[] key, string use) =>
        key.Length >= 32 ? key : throw new ArgumentException($"The {use} key must be at least 32 bytes.", nameof(key));

    /// <summary>The stored key bytes of <paramref name="name"/>, made now if there were none.</summary>
    public static async Task<byte[]> ReadAsync(ICatalog catalog, string name, CancellationToken cancellationToken) =>
        Convert.FromBase64String(await catalog.GetOrCreateSecretAsync(name, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), cancellationToken));
}
