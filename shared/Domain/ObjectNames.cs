using System.Globalization;

namespace Cctv.Shared.Domain;

/// <summary>Where a recording's bytes live in each bucket.</summary>
public static class ObjectNames
{
    /// <summary>The staging name: unique per recording, so a retried upload lands on the same name.</summary>
    public static string Staging(string recorderId, string cameraId, string recordingId, string extension = ".mp4") =>
        $"incoming/{recorderId}/{cameraId}/{recordingId}{extension}";

    /// <summary>The archive name, the seed documents' <c>recordings/{camera}/...</c> layout, by UTC day.</summary>
    public static string Archive(string cameraId, DateTimeOffset startTime, string recordingId, string extension = ".mp4")
    {
        DateTimeOffset t = startTime.ToUniversalTime();
        return string.Create(CultureInfo.InvariantCulture,
            $"recordings/{cameraId}/{t:yyyy}/{t:MM}/{t:dd}/{t:HHmmss}_{recordingId}{extension}");
    }

    /// <summary>The recording ID at the end of a staging or archive name, or null if the name is not ours.</summary>
    public static string? RecordingIdOf(string objectName)
    {
        string file = objectName[(objectName.LastIndexOf('/') + 1)..];
        int dot = file.LastIndexOf('.');
        string stem = dot > 0 ? file[..dot] : file;
        int underscore = stem.LastIndexOf('_');
        string candidate = underscore >= 0 ? stem[(underscore + 1)..] : stem;
        return RecordingId.IsValid(candidate) ? candidate : null;
    }
}
