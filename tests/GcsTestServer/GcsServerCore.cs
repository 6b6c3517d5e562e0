using Cctv.Testing.Gcs.Faults;
using Cctv.Testing.Gcs.Storage;
using Cctv.Testing.Gcs.Uploads;

namespace Cctv.Testing.Gcs;

/// <summary>The state every endpoint shares.</summary>
internal sealed class GcsServerCore
{
    public GcsServerCore(GcsTestServerOptions options)
    {
        Options = options;
        Time = options.TimeProvider;
        Store = new ObjectStore(Time, options.AutoCreateBuckets, Counters);
        Sessions = new UploadSessions(Time, options.SessionLifetime);
        Faults = new FaultInjector(options.Faults);
    }

    public GcsTestServerOptions Options { get; }

    public TimeProvider Time { get; }

    public ServerCounters Counters { get; } = new();

    public ObjectStore Store { get; }

    public UploadSessions Sessions { get; }

    public FaultInjector Faults { get; }

    /// <summary>Set once Kestrel has its port, before the server is handed out.</summary>
    public Uri Endpoint { get; set; } = new("http://127.0.0.1/");
}
