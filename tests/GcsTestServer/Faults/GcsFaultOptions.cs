namespace Cctv.Testing.Gcs;

/// <summary>
/// Random fault injection. Each request whose kind is in <see cref="AppliesTo"/> gets a fault with probability
/// <see cref="Rate"/>; the kind is drawn by <see cref="Weights"/> among the kinds that make sense for that request
/// (<see cref="GcsFaultKind.PartialAccept"/> only hits resumable chunks). Draws come from one <see cref="Random"/>
/// seeded with <see cref="Seed"/>, so a single-threaded client sees the same faults on every run.
/// </summary>
public sealed record GcsFaultOptions
{
    /// <summary>No random faults.</summary>
    public static GcsFaultOptions None { get; } = new();

    /// <summary>Probability in [0, 1] that an eligible request gets a fault.</summary>
    public double Rate { get; init; }

    /// <summary>Which requests random faults may hit; resumable-upload requests by default.</summary>
    public GcsRequestKinds AppliesTo { get; init; } = GcsRequestKinds.ResumableUpload;

    /// <summary>Relative weights per kind; kinds absent (or weight 0) are never drawn. Null: every kind equally.</summary>
    public IReadOnlyDictionary<GcsFaultKind, double>? Weights { get; init; }

    /// <summary>Seed for the draws; null: a random seed.</summary>
    public int? Seed { get; init; }

    /// <summary>How long a <see cref="GcsFaultKind.Stall"/> waits before it ends.</summary>
    public TimeSpan StallDuration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A stall ends by aborting the connection instead of answering 503.</summary>
    public bool StallEndsWithReset { get; init; }

    /// <summary>
    /// When a chunk's connection breaks (an injected <see cref="GcsFaultKind.ResetMidChunk"/>, or the client going away
    /// mid-body), keep the bytes received so far rounded down to a 256 KiB multiple, as GCS may. Default: keep nothing.
    /// </summary>
    public bool PersistReceivedBytesOnReset { get; init; }

    /// <summary>The <c>Retry-After</c> sent with <see cref="GcsFaultKind.Http429"/>; null: no header.</summary>
    public TimeSpan? RetryAfter { get; init; } = TimeSpan.FromSeconds(1);

    internal void Validate()
    {
        if (!(Rate >= 0 && Rate <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(Rate), Rate, $"{nameof(GcsFaultOptions)}.{nameof(Rate)} must be within [0, 1].");
        }
        if (StallDuration < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(StallDuration), StallDuration, $"{nameof(GcsFaultOptions)}.{nameof(StallDuration)} must not be negative.");
        }
        if (RetryAfter is { } retryAfter && retryAfter < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(RetryAfter), retryAfter, $"{nameof(GcsFaultOptions)}.{nameof(RetryAfter)} must not be negative.");
        }
        if (Weights is not null)
        {
            foreach ((GcsFaultKind kind, double weight) in Weights)
            {
                if (!Enum.IsDefined(kind) || !double.IsFinite(weight) || weight < 0)
                {
                    throw new ArgumentOutOfRangeException(nameof(Weights), weight, $"{nameof(GcsFaultOptions)}.{nameof(Weights)}[{kind}] must be a finite weight >= 0.");
                }
            }
        }
    }
}
