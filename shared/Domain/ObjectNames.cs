using System.Globalization;

namespace Cctv.Shared.Domain;

/// <summary>Where a recording's bytes live in each bucket.</summary>
public static class ObjectNames
{
    /// <summary>The staging name: unique per recording, so a retried upload lands on the same name.</summary>
    public static string Staging(string recorderId, string cameraId, string recordingId, string extension = ".mp4") =>
        $"incoming/{recorderId}/{cameraId}/{recordingId}{extension}";

    /// <summary>
    /// The archive name: the seed documents' <c>recordings/{camera}/...</c> layout by UTC day, where the camera is its
    /// key <c>RECORDER~CAMERA</c>. Sites reuse camera names (every site has a <c>cam1</c>), so a prefix per camera name
    /// would mix sites in one folder and pile every site's writes onto a few prefixes; per camera key, each camera's
    /// footage lists alone and writes spread with the number of cameras.
    /// </summary>
    public static string Archive(CameraKey camera, DateTimeOffset startTime, string recordingId, string extension = ".mp4")
    {
        DateTimeOffset t = startTime.ToUniversalTime();
        return string.Create(CultureInfo.InvariantCulture,
            $"recordings/{camera}/{t:yyyy}/{t:MM}/{t:dd}/{t:HHmmss}_{recordingId}{extension}");
    }

    /// <summary>
    /// Every name a recording may have in the archive: today's, then the layout before the camera key
    /// (<c>recordings/{camera ID}/...</c>), which recordings archived before the upgrade keep (the catalog stores each
    /// recording's name, so reads never guess; only recovering a copy whose marking was interrupted looks for it).
    /// </summary>
    public static IReadOnlyList<string> ArchiveNamesOf(CameraKey camera, DateTimeOffset startTime, string recordingId, string extension = ".mp4")
    {
        DateTimeOffset t = startTime.ToUniversalTime();
        return [Archive(camera, startTime, recordingId, extension),
            string.Create(CultureInfo.InvariantCulture, $"recordings/{camera.CameraId}/{t:yyyy}/{t:MM}/{t:dd}/{t:HHmmss}_{recordingId}{extension}")];
    }

    /// <summary>Where a recorder uploads a camera's evidence manifest (docs/evidence-format.md), beside the segments in the staging bucket.</summary>
    public static string Manifest(CameraKey camera, long sequence) =>
        string.Create(CultureInfo.InvariantCulture, $"{ManifestPrefix}{camera}/{sequence:D10}.manifest");

    /// <summary>The folder of every manifest in the staging bucket.</summary>
    public const string ManifestPrefix = "manifests/";

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
