namespace Cctv.Testing.Gcs;

/// <summary>One live object generation as the server stores it. Immutable: a later write or patch is a new instance.</summary>
/// <param name="Bucket">The bucket name.</param>
/// <param name="Name">The object name.</param>
/// <param name="Generation">Server-wide strictly increasing.</param>
/// <param name="Metageneration">1 at creation, +1 per metadata patch.</param>
/// <param name="Bytes">The content.</param>
/// <param name="Crc32C">Base64 of the big-endian CRC32C, as in the <c>crc32c</c> field.</param>
/// <param name="Md5">Base64 MD5, as in the <c>md5Hash</c> field.</param>
/// <param name="ContentType">The <c>contentType</c> field.</param>
/// <param name="Metadata">User metadata (<c>metadata</c> field).</param>
/// <param name="Created">When this generation was committed (<c>timeCreated</c>).</param>
/// <param name="Updated">Last metadata change (<c>updated</c>).</param>
/// <param name="CommitCount">How many times an object of this bucket and name has been committed, this one included.</param>
/// <param name="EventBasedHold">The <c>eventBasedHold</c> field: while true, the object cannot be deleted or overwritten (403).</param>
public sealed record TestObject(
    string Bucket,
    string Name,
    long Generation,
    long Metageneration,
    ReadOnlyMemory<byte> Bytes,
    string Crc32C,
    string Md5,
    string ContentType,
    IReadOnlyDictionary<string, string> Metadata,
    DateTimeOffset Created,
    DateTimeOffset Updated,
    int CommitCount,
    bool EventBasedHold = false)
{
    public long Size => Bytes.Length;
}
