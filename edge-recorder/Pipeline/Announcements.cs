using Cctv.EdgeRecorder.Configuration;
using Cctv.EdgeRecorder.Outbox;
using Cctv.Shared.Domain;

namespace Cctv.EdgeRecorder.Pipeline;

/// <summary>
/// What the catalog is told about a sealed segment: the outbox row, with the recorder's ID, the camera's name and the
/// state of the clock its run was timed by.
/// </summary>
public static class Announcements
{
    /// <param name="clocks">The clock state of each run, by camera and run: a pass over many segments of one run reads it once.</param>
    public static RecordingAnnouncement Of(RecorderOptions options, OutboxStore outbox, OutboxSegment s,
        Dictionary<(string CameraId, long Run), ClockState?>? clocks = null) => new(
        s.Id, options.Id, s.CameraId, CameraOf(options, s.CameraId) is { Name.Length: > 0 } cam ? cam.Name : s.CameraId, s.Run, s.Sequence,
        s.StartTime, s.EndTime, s.Size, s.Sha256, s.Crc32C, s.Md5, "video/mp4", s.ObjectName, ClockOf(outbox, s, clocks));

    private static ClockState? ClockOf(OutboxStore outbox, OutboxSegment s, Dictionary<(string CameraId, long Run), ClockState?>? clocks)
    {
        clocks ??= [];
        if (!clocks.TryGetValue((s.CameraId, s.Run), out ClockState? clock))
        {
            clock = outbox.GetRun(s.CameraId, s.Run)?.Clock;
            clocks[(s.CameraId, s.Run)] = clock;
        }
        return clock;
    }

    /// <summary>A configured camera by ID; one no longer configured (its footage still in the outbox) is named by its ID.</summary>
    public static CameraOptions CameraOf(RecorderOptions options, string id) => options.Cameras.FirstOrDefault(c => c.Id == id)
        ?? new CameraOptions { Id = id, Name = id };
}
