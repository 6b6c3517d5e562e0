using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Cctv.Shared.Domain;
using Cctv.Shared.Local;

namespace Cctv.EdgeRecorder.Identity;

/// <summary>An installation key that cannot be read: the message says where it is and what to do.</summary>
public sealed class RecorderIdentityException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The installation's own key: an ECDSA P-256 key pair made at first start in the data directory
/// (<c>identity/recorder-key.pem</c>, PKCS#8, mode 0600, fsynced with its folder), kept for the installation's life.
/// Its fingerprint (SHA-256 of the SubjectPublicKeyInfo, lowercase hex) is what the catalog binds the recorder ID to;
/// the same key is meant to sign what the recorder sends later. A copy of the data directory is a copy of the key:
/// the claim's machine-id hash is what tells such a copy apart (<see cref="MachineIdHash"/>).
/// </summary>
public sealed class RecorderIdentity
{
    public const string Folder = "identity";
    public const string KeyFileName = "recorder-key.pem";

    private RecorderIdentity(string keyPath, string fingerprint)
    {
        KeyPath = keyPath;
        Fingerprint = fingerprint;
    }

    public string KeyPath { get; }

    /// <summary>SHA-256 of the public key's SubjectPublicKeyInfo, 64 lowercase hex digits.</summary>
    public string Fingerprint { get; }

    /// <summary>The key itself, to sign evidence manifests with (docs/evidence-format.md); the caller disposes it.</summary>
    public ECDsa OpenSigningKey()
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(File.ReadAllText(KeyPath));
            return key;
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException or IOException or UnauthorizedAccessException)
        {
            key.Dispose();
            throw new RecorderIdentityException($"The installation key {KeyPath} cannot be read to sign evidence ({e.Message}).", e);
        }
    }

    public static string KeyPathIn(string dataDir) => Path.Combine(Path.GetFullPath(dataDir), Folder, KeyFileName);

    /// <summary>The key in <paramref name="dataDir"/>, made there first when there is none.</summary>
    public static RecorderIdentity LoadOrCreate(string dataDir)
    {
        string path = KeyPathIn(dataDir);
        if (!File.Exists(path))
        {
            Create(path);
        }
        return Load(path);
    }

    private static RecorderIdentity Load(string path)
    {
        try
        {
            using var key = ECDsa.Create();
            key.ImportFromPem(File.ReadAllText(path));
            return new RecorderIdentity(path, Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo())));
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new RecorderIdentityException(
                $"The installation key {path} cannot be read ({e.Message}). Restore it from a backup of this recorder's data directory. " +
                "If it is gone for good, move the file away so a new key is made, and release this recorder ID's claim first " +
                "(dotnet run --project functions -- recorder release --recorder ID --reason \"...\"): the catalog knows this recorder by its old key.", e);
        }
    }

    /// <summary>Writes a new key to a private temporary file, fsyncs it, then links it into place without replacing one made meanwhile.</summary>
    private static void Create(string path)
    {
        string folder = Path.GetDirectoryName(path)!;
        bool newFolder = !Directory.Exists(folder);
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(folder);
        }
        else
        {
            Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        byte[] pem = Encoding.ASCII.GetBytes(key.ExportPkcs8PrivateKeyPem() + "\n");
        string temp = Path.Combine(folder, $".{KeyFileName}.{Guid.NewGuid():N}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        try
        {
            using (var file = new FileStream(temp, options))
            {
                file.Write(pem);
                file.Flush(flushToDisk: true);
            }
            try
            {
                File.Move(temp, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                return; // another process of this installation made it first: that one is the key
            }
            Durability.FsyncDirectory(folder);
            if (newFolder)
            {
                Durability.FsyncDirectory(Path.GetDirectoryName(folder)!);
            }
        }
        finally
        {
            File.Delete(temp);
        }
    }

    public const string ConfirmedClaimFileName = "claim.json";

    /// <summary>Notes in the data directory that the catalog confirmed this claim (written atomically, fsynced).</summary>
    public static void RememberConfirmedClaim(string dataDir, RecorderClaim claim)
    {
        string path = Path.Combine(Path.GetFullPath(dataDir), Folder, ConfirmedClaimFileName);
        if (ConfirmedClaim(dataDir) is { } known && known.RecorderId == claim.RecorderId && known.KeyFingerprint == claim.KeyFingerprint)
        {
            return;
        }
        string temp = path + $".{Guid.NewGuid():N}.tmp";
        using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
        {
            JsonSerializer.Serialize(file, new ConfirmedClaimFile(claim.RecorderId, claim.KeyFingerprint, claim.ClaimedAt));
            file.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
        Durability.FsyncDirectory(Path.GetDirectoryName(path)!);
    }

    /// <summary>The claim an earlier run had confirmed, or null (none, or unreadable).</summary>
    public static RecorderClaim? ConfirmedClaim(string dataDir)
    {
        string path = Path.Combine(Path.GetFullPath(dataDir), Folder, ConfirmedClaimFileName);
        try
        {
            return File.Exists(path) && JsonSerializer.Deserialize<ConfirmedClaimFile>(File.ReadAllBytes(path)) is { RecorderId.Length: > 0, KeyFingerprint.Length: > 0 } c
                ? new RecorderClaim(c.RecorderId, c.KeyFingerprint, null, null, null, c.ClaimedAt)
                : null;
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private sealed record ConfirmedClaimFile(string RecorderId, string KeyFingerprint, DateTimeOffset ClaimedAt);

    /// <summary>
    /// An application-specific hash of the machine's ID (systemd's <c>/etc/machine-id</c>, or D-Bus's), never the ID
    /// itself; null where the machine has none (then only the key tells installations apart).
    /// </summary>
    public static string? MachineIdHash(params string[] candidates)
    {
        foreach (string file in candidates.Length > 0 ? candidates : ["/etc/machine-id", "/var/lib/dbus/machine-id"])
        {
            try
            {
                if (File.Exists(file) && File.ReadAllText(file).Trim() is { Length: > 0 } id)
                {
                    return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("cctv-recorder-machine:" + id)));
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // unreadable: try the next one
            }
        }
        return null;
    }

    /// <summary>The service account a key file names (<c>client_email</c>), or null when there is no such file or field.</summary>
    public static string? ServiceAccountOf(string? credentialsPath)
    {
        if (string.IsNullOrWhiteSpace(credentialsPath) || !File.Exists(credentialsPath))
        {
            return null;
        }
        try
        {
            using JsonDocument json = JsonDocument.Parse(File.ReadAllBytes(credentialsPath));
            return json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("client_email", out JsonElement email)
                && email.ValueKind == JsonValueKind.String ? email.GetString() : null;
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
