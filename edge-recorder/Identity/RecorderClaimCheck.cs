using Cctv.EdgeRecorder.Commands;
using Cctv.EdgeRecorder.Configuration;
using Cctv.EdgeRecorder.Pipeline;
using Cctv.Shared.Domain;

namespace Cctv.EdgeRecorder.Identity;

/// <summary>
/// <c>validate</c>'s line about the recorder ID: whose it is in the catalog, without claiming it. Makes the installation
/// key when there is none yet (it is made at install), so the line can name its fingerprint.
/// </summary>
public static class RecorderClaimCheck
{
    public const string Name = "recorder ID";

    public static async Task<ValidationCheck> RunAsync(RecorderOptions options, CancellationToken cancellationToken)
    {
        RecorderIdentity identity;
        try
        {
            identity = RecorderIdentity.LoadOrCreate(options.DataDir);
        }
        catch (Exception e) when (e is RecorderIdentityException or IOException or UnauthorizedAccessException)
        {
            return new ValidationCheck(Name, false, e.Message);
        }
        string key = $"installation key {identity.Fingerprint} ({identity.KeyPath})";
        if (options.Backend == "gcp" && options.Gcp.Catalog == "none")
        {
            return new ValidationCheck(Name, true, $"'{options.Id}' cannot be claimed without a catalog (Recorder:Gcp:Catalog none): make sure no other recorder uses it; {key}");
        }
        RecorderClaim mine = RecorderClaimGuard.ClaimOf(options, identity, RecorderIdentity.MachineIdHash(), DateTimeOffset.UtcNow);
        RecorderClaim? stored;
        try
        {
            using EdgeBackend backend = await EdgeBackend.OpenAsync(options, TimeProvider.System, cancellationToken);
            stored = await backend.Catalog!.GetRecorderClaimAsync(options.Id, cancellationToken);
        }
        catch (Exception e) when (e is Cctv.Shared.Gcp.GcpApiException or Cctv.Shared.Gcp.Storage.GcsCredentialException or HttpRequestException)
        {
            return new ValidationCheck(Name, false, $"could not read the claim on '{options.Id}' from the catalog ({e.Message}); {key}");
        }
        if (stored is null)
        {
            return new ValidationCheck(Name, true, $"'{options.Id}' is not claimed yet: this installation claims it at its first start with {key}");
        }
        if (stored.IsReleased)
        {
            return new ValidationCheck(Name, true, $"'{options.Id}' was released by {stored.ReleasedBy} ({stored.ReleaseReason}): this installation claims it at its first start with {key}");
        }
        return RecorderClaim.Refusal(stored, mine) is { } why
            ? new ValidationCheck(Name, false, why)
            : new ValidationCheck(Name, true, $"'{options.Id}' belongs to this installation ({stored.Describe()}); {key}");
    }
}
