using System.Globalization;
using Cctv.Testing.Gcs.Http;
using Microsoft.AspNetCore.Http;

namespace Cctv.Testing.Gcs.Storage;

/// <summary>
/// The <c>ifGenerationMatch</c> family, with GCS's meaning: <c>ifGenerationMatch=0</c> holds only when no live object
/// exists; the other conditions never hold on a missing object.
/// </summary>
internal readonly record struct Preconditions(
    long? IfGenerationMatch,
    long? IfGenerationNotMatch,
    long? IfMetagenerationMatch,
    long? IfMetagenerationNotMatch)
{
    /// <summary>Reads <c>{prefix}GenerationMatch</c> etc.: prefix <c>if</c> for the target, <c>ifSource</c> for a rewrite's source.</summary>
    public static Preconditions FromQuery(IQueryCollection query, string prefix = "if") => new(
        Long(query, prefix + "GenerationMatch"),
        Long(query, prefix + "GenerationNotMatch"),
        Long(query, prefix + "MetagenerationMatch"),
        Long(query, prefix + "MetagenerationNotMatch"));

    /// <summary>The positive conditions (a failure is 412).</summary>
    public bool MatchHolds(TestObject? current) =>
        (IfGenerationMatch is not long g || (current is null ? g == 0 : current.Generation == g))
        && (IfMetagenerationMatch is not long m || (current is not null && current.Metageneration == m));

    /// <summary>The negative conditions (a failure is 412 on writes, 304 on reads).</summary>
    public bool NotMatchHolds(TestObject? current) =>
        (IfGenerationNotMatch is not long g || (current is not null && current.Generation != g))
        && (IfMetagenerationNotMatch is not long m || (current is not null && current.Metageneration != m));

    public bool Holds(TestObject? current) => MatchHolds(current) && NotMatchHolds(current);

    public static long? Long(IQueryCollection query, string name)
    {
        string? value = query[name];
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }
        return long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long parsed)
            ? parsed
            : throw GcsException.Invalid($"Invalid value for {name}: '{value}' is not a non-negative integer.");
    }
}
