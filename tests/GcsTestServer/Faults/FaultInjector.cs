namespace Cctv.Testing.Gcs.Faults;

/// <summary>Decides, per request, which fault (if any) it gets: queued one-shot faults first, then the random plan.</summary>
internal sealed class FaultInjector
{
    private static readonly GcsFaultKind[] AllKinds = Enum.GetValues<GcsFaultKind>();

    private readonly Lock _gate = new();
    private readonly List<(GcsFaultKind Kind, GcsRequestKinds On, string? Name)> _queued = [];
    private readonly long[] _injected = new long[AllKinds.Length];
    private GcsFaultOptions _options;
    private Random _random;

    public FaultInjector(GcsFaultOptions options)
    {
        options.Validate();
        _options = options;
        _random = NewRandom(options);
    }

    public GcsFaultOptions Options
    {
        get
        {
            lock (_gate)
            {
                return _options;
            }
        }
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            value.Validate();
            lock (_gate)
            {
                _options = value;
                _random = NewRandom(value);
            }
        }
    }

    public void Enqueue(GcsFaultKind kind, GcsRequestKinds on, int times, string? objectName = null)
    {
        if (!Enum.IsDefined(kind))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown fault kind.");
        }
        if (on == GcsRequestKinds.None || (kind == GcsFaultKind.PartialAccept && (on & GcsRequestKinds.ResumableChunk) == 0))
        {
            throw new ArgumentException($"A {kind} fault can never hit requests of kind {on}.", nameof(on));
        }
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(times);
        lock (_gate)
        {
            for (int i = 0; i < times; i++)
            {
                _queued.Add((kind, on, objectName));
            }
        }
    }

    public void ClearQueued()
    {
        lock (_gate)
        {
            _queued.Clear();
        }
    }

    public int QueuedCount
    {
        get
        {
            lock (_gate)
            {
                return _queued.Count;
            }
        }
    }

    /// <summary>The fault for a request of this kind (on the object named, when known), counted as injected; null for none.</summary>
    public GcsFaultKind? Decide(GcsRequestKinds request, string? objectName = null)
    {
        lock (_gate)
        {
            for (int i = 0; i < _queued.Count; i++)
            {
                (GcsFaultKind kind, GcsRequestKinds on, string? name) = _queued[i];
                if ((on & request) != 0 && Applies(kind, request) && (name is null || name == objectName))
                {
                    _queued.RemoveAt(i);
                    return Count(kind);
                }
            }

            GcsFaultOptions options = _options;
            if (options.Rate <= 0 || (options.AppliesTo & request) == 0 || _random.NextDouble() >= options.Rate)
            {
                return null;
            }

            double total = 0;
            foreach (GcsFaultKind kind in AllKinds)
            {
                total += Weight(options, kind, request);
            }
            if (total <= 0)
            {
                return null;
            }
            double draw = _random.NextDouble() * total;
            foreach (GcsFaultKind kind in AllKinds)
            {
                double weight = Weight(options, kind, request);
                if (draw < weight)
                {
                    return Count(kind);
                }
                draw -= weight;
            }
            // Rounding at the top of the range: the last eligible kind.
            return Count(AllKinds.Last(k => Weight(options, k, request) > 0));
        }
    }

    public IReadOnlyDictionary<GcsFaultKind, long> Snapshot()
    {
        var counts = new Dictionary<GcsFaultKind, long>();
        foreach (GcsFaultKind kind in AllKinds)
        {
            counts[kind] = Interlocked.Read(ref _injected[(int)kind]);
        }
        return counts;
    }

    private static bool Applies(GcsFaultKind kind, GcsRequestKinds request) =>
        kind != GcsFaultKind.PartialAccept || request == GcsRequestKinds.ResumableChunk;

    private static double Weight(GcsFaultOptions options, GcsFaultKind kind, GcsRequestKinds request)
    {
        if (!Applies(kind, request))
        {
            return 0;
        }
        if (options.Weights is null)
        {
            // A lying server is asked for by name, never drawn by chance: no client could tell it from corruption.
            return kind == GcsFaultKind.WrongCrc32CReported ? 0 : 1;
        }
        return options.Weights.TryGetValue(kind, out double weight) ? weight : 0;
    }

    private GcsFaultKind Count(GcsFaultKind kind)
    {
        Interlocked.Increment(ref _injected[(int)kind]);
        return kind;
    }

    private static Random NewRandom(GcsFaultOptions options) => options.Seed is int seed ? new Random(seed) : new Random();
}
