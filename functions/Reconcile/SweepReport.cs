namespace Cctv.Functions.Reconcile;

/// <summary>What one call of the sweep found and did (serialized snake_case as the function's answer).</summary>
public sealed class SweepReport
{
    public const int MaxItems = 50;

    public required string Job { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset FinishedAt { get; set; }
    public required int Limit { get; init; }

    /// <summary>Where this call started: <c>start</c>, <c>request</c> (a continuation was given) or <c>checkpoint</c> (the previous call's).</summary>
    public required string ResumedFrom { get; init; }

    /// <summary>Objects, recordings and recorders looked at.</summary>
    public int Examined { get; set; }

    /// <summary>True when the job went through everything; false when the budget ran out (see <see cref="Continuation"/>).</summary>
    public bool Complete { get; set; }

    public string? Continuation { get; set; }

    /// <summary>Staged objects and staged recordings processed again, with the outcome.</summary>
    public Finding Redriven { get; } = new();

    /// <summary>Objects in staging that wait for their announcement (younger than the SLA).</summary>
    public Finding AwaitingAnnouncement { get; } = new();

    /// <summary>Objects in staging with no catalog entry past the SLA, or that are not recordings, or whose recording is closed.</summary>
    public Finding Orphans { get; } = new();

    /// <summary>Recordings announced longer than the SLA ago and still not staged.</summary>
    public Finding NotStagedPastSla { get; } = new();

    /// <summary>Recordings quarantined longer than the SLA ago and not uploaded again.</summary>
    public Finding QuarantinedPastSla { get; } = new();

    /// <summary>Recorders whose heartbeat stopped.</summary>
    public Finding RecordersOffline { get; } = new();

    /// <summary>Live sessions of silent recorders the sweep finished at the bytes the store held (or found empty: lost), issue 12.</summary>
    public Finding Salvaged { get; } = new();

    /// <summary>Recordings deleted from the archive by retention.</summary>
    public Finding Expired { get; } = new();

    /// <summary>Archived objects of recordings under a legal hold that were not held in storage yet, and now are.</summary>
    public Finding HoldsPlaced { get; } = new();

    /// <summary>Objects retention left because storage holds them although the catalog does not (a release to run again).</summary>
    public Finding HeldInStorage { get; } = new();

    /// <summary>Items the sweep could not handle this time, with the error (they are tried again on the next call).</summary>
    public Finding Errors { get; } = new();

    /// <summary>A count, and the first <see cref="MaxItems"/> items (so that a large backlog cannot make a huge report).</summary>
    public sealed class Finding
    {
        private readonly List<object> _items = [];

        public long Count { get; private set; }

        public IReadOnlyList<object> Items => _items;

        public void Add(object item)
        {
            Count++;
            if (_items.Count < MaxItems)
            {
                _items.Add(item);
            }
        }
    }
}
