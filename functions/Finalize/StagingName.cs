using Cctv.Shared.Domain;

namespace Cctv.Functions.Finalize;

/// <summary>
/// The shape of a staging object's name, <see cref="ObjectNames.Staging"/>'s <c>incoming/{recorder}/{camera}/{id}.{ext}</c>:
/// anything else in the staging bucket (<c>../{id}.mp4</c>, <c>/{id}.mp4</c>, a name with extra folders) was never
/// uploaded by a recorder, and no event about it can ever succeed.
/// </summary>
public static class StagingName
{
    private const string Prefix = "incoming/";

    /// <summary>The recording ID of a well-formed staging name, or null and why the name is not one.</summary>
    public static string? RecordingIdOf(string name, out string? reason)
    {
        reason = $"'{Printable(name)}' is not a staging object name (incoming/<recorder>/<camera>/<recording id>.<extension>)";
        if (name.Length > 512 || !name.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }
        string[] parts = name[Prefix.Length..].Split('/');
        if (parts.Length != 3 || !Identifiers.IsValidSlug(parts[0]) || !Identifiers.IsValidSlug(parts[1]))
        {
            return null;
        }
        string file = parts[2];
        int dot = file.LastIndexOf('.');
        if (dot <= 0 || dot == file.Length - 1 || file.Length - dot > 9 || !file[(dot + 1)..].All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9')))
        {
            return null;
        }
        string id = file[..dot];
        if (!RecordingId.IsValid(id) || ObjectNames.Staging(parts[0], parts[1], id, file[dot..]) != name)
        {
            return null;
        }
        reason = null;
        return id;
    }

    private static string Printable(string value)
    {
        string cut = value.Length > 120 ? value[..120] + "…" : value;
        return new string(cut.Select(c => char.IsControl(c) ? '?' : c).ToArray());
    }
}
