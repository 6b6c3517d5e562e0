using System.Buffers.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cctv.Functions.Reconcile;

/// <summary>
/// Where a sweep stopped when its budget ran out: the job, the phase, and the phase's position (an object name, a
/// state cursor, or a camera). Opaque to callers (base64url JSON); the sweep also keeps the latest one as a
/// checkpoint so that the next scheduled call goes on from there.
/// </summary>
public sealed record SweepContinuation(
    [property: JsonPropertyName("j")] string Job,
    [property: JsonPropertyName("p")] string Phase,
    [property: JsonPropertyName("o")] string? AfterObject = null,
    [property: JsonPropertyName("t")] DateTimeOffset? AfterAnnouncedAt = null,
    [property: JsonPropertyName("i")] string? AfterId = null,
    [property: JsonPropertyName("c")] string? Camera = null)
{
    public string Encode() => Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(this));

    /// <summary>Throws <see cref="FormatException"/> on a token the sweep did not issue.</summary>
    public static SweepContinuation Decode(string token)
    {
        try
        {
            if (JsonSerializer.Deserialize<SweepContinuation>(Base64Url.DecodeFromChars(token)) is { Job.Length: > 0, Phase.Length: > 0 } c)
            {
                return c;
            }
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
        }
        throw new FormatException("continuation is not a token this sweep issued");
    }
}
