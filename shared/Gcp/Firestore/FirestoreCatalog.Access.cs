using Cctv.Shared.Domain;

namespace Cctv.Shared.Gcp.Firestore;

/// <summary>
/// The access part of the Firestore catalog: <c>recorder_sites/{recorder}</c> {site_id}, <c>grants/{key}</c>
/// {principal, scope, scope_id, granted_at, revoked_at} and <c>api_keys/{key_id}</c> {principal, secret_sha256,
/// created_at, revoked_at}. A revoked grant keeps its document (who could see what, and until when) with
/// <c>revoked_at</c> set. The grants of a principal are found by equality on <c>principal</c> (Firestore's automatic
/// single-field index; no composite index needed).
/// </summary>
public sealed partial class FirestoreCatalog
{
    public const string RecorderSitesCollection = "recorder_sites";
    public const string GrantsCollection = "grants";
    public const string ApiKeysCollection = "api_keys";
    public const string SecretsCollection = "secrets";

    private const string SiteIdField = "site_id";
    private const string PrincipalField = "principal";
    private const string ScopeField = "scope";
    private const string ScopeIdField = "scope_id";
    private const string GrantedAtField = "granted_at";
    private const string RevokedAtField = "revoked_at";
    private const string SecretSha256Field = "secret_sha256";
    private const string CreatedAtField = "created_at";

    public async Task SetRecorderSiteAsync(RecorderSite assignment, CancellationToken cancellationToken) =>
        await _client.CommitAsync([FirestoreWrite.Set(_client.DocumentName(RecorderSitesCollection, assignment.RecorderId),
            new Dictionary<string, object?> { [SiteIdField] = assignment.SiteId, [CatalogDocuments.UpdatedAt] = _time.GetUtcNow() })], cancellationToken);

    public async Task<IReadOnlyDictionary<string, string>> ListRecorderSitesAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<FirestoreDocument> docs = await _client.RunQueryAsync(new FirestoreQuery(RecorderSitesCollection), cancellationToken);
        return docs.ToDictionary(d => d.Id, d => d.GetString(SiteIdField), StringComparer.Ordinal);
    }

    /// <summary>Creates the grant, or re-opens a revoked one; a grant that holds is left as it is.</summary>
    public async Task GrantAsync(AccessGrant grant, CancellationToken cancellationToken)
    {
        grant.Validate();
        string name = _client.DocumentName(GrantsCollection, grant.Key);
        await Guarded(name, async ct =>
        {
            FirestoreDocument? existing = await _client.GetAsync(name, ct);
            if (existing is not null && existing[RevokedAtField] is null)
            {
                return false;
            }
            var fields = new Dictionary<string, object?>
            {
                [PrincipalField] = grant.Principal,
                [ScopeField] = grant.Scope.ToWire(),
                [ScopeIdField] = grant.ScopeId,
                [GrantedAtField] = _time.GetUtcNow(),
                [RevokedAtField] = null,
            };
            await _client.CommitAsync([existing is null ? FirestoreWrite.Create(name, fields) : new FirestoreWrite(name, fields, null, null, existing.UpdateTime)], ct);
            return true;
        }, cancellationToken);
    }

    public async Task<bool> RevokeAsync(AccessGrant grant, CancellationToken cancellationToken) =>
        await RevokeDocumentAsync(_client.DocumentName(GrantsCollection, grant.Key), cancellationToken);

    public async Task<IReadOnlyList<AccessGrant>> ListGrantsAsync(string principal, CancellationToken cancellationToken)
    {
        IReadOnlyList<FirestoreDocument> docs = await _client.RunQueryAsync(
            new FirestoreQuery(GrantsCollection).Where(PrincipalField, FirestoreOperator.Equal, principal), cancellationToken);
        return [.. docs
            .Where(d => d[RevokedAtField] is null)
            .Select(d => new AccessGrant(d.GetString(PrincipalField), GrantScopeNames.ParseScope(d.GetString(ScopeField)), d.GetString(ScopeIdField)))
            .OrderBy(g => g.Scope.ToWire(), StringComparer.Ordinal)
            .ThenBy(g => g.ScopeId, StringComparer.Ordinal)];
    }

    public async Task CreateApiKeyAsync(ApiKeyRecord key, CancellationToken cancellationToken)
    {
        try
        {
            await _client.CommitAsync([FirestoreWrite.Create(_client.DocumentName(ApiKeysCollection, key.KeyId), new Dictionary<string, object?>
            {
                [PrincipalField] = key.Principal,
                [SecretSha256Field] = key.SecretSha256,
                [CreatedAtField] = key.CreatedAt,
                [RevokedAtField] = key.RevokedAt,
            })], cancellationToken);
        }
        catch (GcpApiException e) when (e.Status == "ALREADY_EXISTS")
        {
            throw new InvalidOperationException($"API key {key.KeyId} exists already.", e);
        }
    }

    public async Task<ApiKeyRecord?> GetApiKeyAsync(string keyId, CancellationToken cancellationToken)
    {
        string name;
        try
        {
            name = _client.DocumentName(ApiKeysCollection, keyId);
        }
        catch (ArgumentException)
        {
            return null;
        }
        return await _client.GetAsync(name, cancellationToken) is { } d
            ? new ApiKeyRecord(keyId, d.GetString(PrincipalField), d.GetString(SecretSha256Field), d.GetTimestamp(CreatedAtField), d.GetNullableTimestamp(RevokedAtField))
            : null;
    }

    public async Task<bool> RevokeApiKeyAsync(string keyId, CancellationToken cancellationToken) =>
        await RevokeDocumentAsync(_client.DocumentName(ApiKeysCollection, keyId), cancellationToken);

    /// <summary>Marks a grant or an API key revoked, once: false when it does not exist or was revoked already.</summary>
    private async Task<bool> RevokeDocumentAsync(string name, CancellationToken cancellationToken)
    {
        return await Guarded(name, async ct =>
        {
            if (await _client.GetAsync(name, ct) is not { } doc || doc[RevokedAtField] is not null)
            {
                return false;
            }
            await _client.CommitAsync([FirestoreWrite.UpdateIfUnchanged(name, new Dictionary<string, object?> { [RevokedAtField] = _time.GetUtcNow() }, doc.UpdateTime)], ct);
            return true;
        }, cancellationToken);
    }

    /// <summary>Create-only (<c>currentDocument.exists = false</c>); whoever loses the race reads the winner's value.</summary>
    public async Task<string> GetOrCreateSecretAsync(string name, string candidate, CancellationToken cancellationToken)
    {
        string document = _client.DocumentName(SecretsCollection, name);
        try
        {
            await _client.CommitAsync([FirestoreWrite.Create(document, new Dictionary<string, object?>
            {
                [CatalogDocuments.Value] = candidate,
                [CreatedAtField] = _time.GetUtcNow(),
            })], cancellationToken);
            return candidate;
        }
        catch (GcpApiException e) when (e.Status == "ALREADY_EXISTS")
        {
            FirestoreDocument existing = await _client.GetAsync(document, cancellationToken)
                ?? throw new GcpTransientException($"Secret {name} existed on create but not on the read after it.");
            return existing.GetString(CatalogDocuments.Value);
        }
    }
}
