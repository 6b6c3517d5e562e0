using System.Buffers;

namespace Cctv.Shared.Buffers;

/// <summary>
/// Buffers for bytes on their way to a store: a live tail's append (a quantum of 256 KiB or more) and the last chunk of a
/// session. They are large objects, so each is pooled rather than allocated per segment (a new one each time kept the
/// collector sweeping the oldest generation). The pool is this one, not <see cref="ArrayPool{T}.Shared"/>: the shared
/// pool keeps arrays per size for every core and thread and gives them back to the collector only when a full collection
/// runs, which a recorder with a small young generation and few survivors hardly ever does; at 16 cameras it held 14 MB
/// of large objects (dotnet-counters, the agent's heap by generation). Here at most <see cref="ArraysPerSize"/> arrays of
/// each size are kept; a rent beyond them is a plain allocation, dropped when returned.
/// </summary>
public static class TransferBuffers
{
    /// <summary>How many arrays of one size the pool keeps: one per camera of a 16-camera recorder, whose segments close together.</summary>
    public const int ArraysPerSize = 16;

    /// <summary>The largest array the pool hands out (the live tailer's longest append); larger rents are plain allocations.</summary>
    public const int MaxLength = 8 * 1024 * 1024;

    public static ArrayPool<byte> Pool { get; } = ArrayPool<byte>.Create(MaxLength, ArraysPerSize);
}
