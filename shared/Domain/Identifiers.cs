using System.Text.RegularExpressions;

namespace Cctv.Shared.Domain;

/// <summary>Rules for the IDs operators choose (recorders, cameras): safe in paths, object names and URLs.</summary>
public static partial class Identifiers
{
    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,62}$")]
    private static partial Regex SlugPattern();

    public static bool IsValidSlug(string? value) => value is not null && SlugPattern().IsMatch(value);

    public const string SlugRule = "1-63 characters of a-z, 0-9, '-' and '_', starting with a letter or digit";
}
