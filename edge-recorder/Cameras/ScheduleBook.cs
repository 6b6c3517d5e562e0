using Cctv.EdgeRecorder.Configuration;

namespace Cctv.EdgeRecorder.Cameras;

/// <summary>An on-demand recording asked for with the <c>record</c> command: one camera, from a start, for a duration.</summary>
public sealed record OnDemandRecording(string Id, string CameraId, DateTimeOffset Start, TimeSpan Duration)
{
    public DateTimeOffset End => Start + Duration;
}

/// <summary>
/// The schedules the cameras follow now: those of the configuration (replaced whole when a new configuration is
/// accepted) and the on-demand recordings of the <c>record</c> command. Read by every supervisor, several times a
/// second; swapped atomically.
/// </summary>
public sealed class ScheduleBook
{
    private volatile Dictionary<string, CameraSchedule> _byCamera;
    private volatile IReadOnlyList<OnDemandRecording> _onDemand = [];

    public ScheduleBook(RecorderOptions options) => _byCamera = Build(options);

    /// <summary>Whether the camera should record at <paramref name="at"/>; a camera without a schedule records continuously.</summary>
    public bool IsActive(string cameraId, DateTimeOffset at) =>
        (_byCamera.TryGetValue(cameraId, out CameraSchedule? s) ? s : CameraSchedule.Always).IsActive(at)
        || _onDemand.Any(r => r.CameraId == cameraId && r.Start <= at && at < r.End);

    /// <summary>The first instant after <paramref name="at"/> at which the camera's schedule or an on-demand recording of it begins or ends.</summary>
    public DateTimeOffset? NextChangeAfter(string cameraId, DateTimeOffset at)
    {
        DateTimeOffset? next = For(cameraId).NextChangeAfter(at);
        foreach (OnDemandRecording r in _onDemand)
        {
            if (r.CameraId == cameraId)
            {
                next = CameraSchedule.Earliest(next, at, r.Start);
                next = CameraSchedule.Earliest(next, at, r.End);
            }
        }
        return next;
    }

    public CameraSchedule For(string cameraId) => _byCamera.TryGetValue(cameraId, out CameraSchedule? s) ? s : CameraSchedule.Always;

    public IReadOnlyList<OnDemandRecording> OnDemand => _onDemand;

    /// <summary>Takes the schedules of a configuration that has been validated.</summary>
    public void Replace(RecorderOptions options) => _byCamera = Build(options);

    public void SetOnDemand(IReadOnlyList<OnDemandRecording> recordings) => _onDemand = recordings;

    private static Dictionary<string, CameraSchedule> Build(RecorderOptions options)
    {
        var problems = new List<string>();
        TimeZoneInfo zone = CameraSchedule.ResolveZone(options.TimeZone, problems);
        var result = new Dictionary<string, CameraSchedule>(StringComparer.Ordinal);
        for (int i = 0; i < options.Cameras.Count; i++)
        {
            result[options.Cameras[i].Id] = CameraSchedule.Parse(options.Cameras[i].Schedule, zone, $"Recorder:Cameras:{i}:Schedule", problems);
        }
        if (problems.Count > 0)
        {
            throw new ConfigurationException(problems);
        }
        return result;
    }
}
