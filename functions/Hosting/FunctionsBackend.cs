using Cctv.Functions.Api;
using Cctv.Functions.Auth;
using Cctv.Functions.Finalize;
using Cctv.Functions.Gcp;
using Cctv.Functions.Local;
using Cctv.Functions.Reconcile;
using Cctv.Shared.Local;
using Cctv.Shared.Ports;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Cctv.Functions.Hosting;

/// <summary>
/// What the function targets (<see cref="HostedFunctions"/>) take from the backend they run on, so that each target is
/// declared once for both: the ports and settings, who may call a function, and what the embedded backend does itself
/// that Google's services do in the cloud (deliver finalize events, schedule the sweep, serve downloads).
/// </summary>
internal interface IFunctionsBackend
{
    /// <summary>The ports (object store, catalog, URL signer), the buckets, the sweep's settings and the callers' credentials.</summary>
    void AddServices(IServiceCollection services);

    /// <summary>
    /// A function behind the check of its caller: the operator credential on the embedded backend; on gcp the caller's
    /// OIDC token, unless <paramref name="checkedByCloudRun"/> (a service that Cloud Run's invoker IAM check guards).
    /// </summary>
    RequestDelegate RequireCaller(RequestDelegate function, bool checkedByCloudRun = false);

    /// <summary>Where events refused for good are recorded; null when the backend has nowhere to record them.</summary>
    IDeadLetters? DeadLetters { get; }

    /// <summary>Whether failed finalize events come back through Pub/Sub push to the retry function (gcp); the embedded backend retries them itself.</summary>
    bool RetriesThroughPubSub { get; }

    /// <summary>The player API's backend name, link lifetime and archive bucket.</summary>
    PlayerApiOptions PlayerApi { get; }

    /// <summary>Which credentials the player API accepts.</summary>
    ApiAccessOptions ApiAccess { get; }

    /// <summary>Whether this host serves the objects behind its signed links under <c>/storage/</c> (the embedded backend).</summary>
    bool ServesStorage { get; }

    /// <summary>Delivers the staging bucket's finalize events to <paramref name="finalizeRoute"/> of this host (Eventarc does it on gcp).</summary>
    void AddEventDelivery(IServiceCollection services, string finalizeRoute);

    /// <summary>Runs the sweep on a timer in this process (Cloud Scheduler calls it on gcp).</summary>
    void AddSweepSchedule(IServiceCollection services);
}

/// <summary>The embedded backend: a directory per bucket, a SQLite catalog, HMAC-signed links, an event spool.</summary>
internal sealed class LocalFunctionsBackend(FunctionsHostSettings settings, TimeProvider time) : IFunctionsBackend
{
    private readonly LocalBackend _backend = new(settings.DataDir, time);
    private IDeadLetters? _deadLetters;

    public IDeadLetters? DeadLetters => _deadLetters ??= LocalDeadLetters.For(_backend);

    public bool RetriesThroughPubSub => false;

    public PlayerApiOptions PlayerApi => new("local", settings.UrlLifetime ?? TimeSpan.FromMinutes(120), LocalBackend.ArchiveBucket);

    public ApiAccessOptions ApiAccess => new(settings.ApiToken, null, settings.CorsOrigins ?? []);

    public bool ServesStorage => true;

    public void AddServices(IServiceCollection services)
    {
        FunctionsHost.AddCommonServices(services, time, new BucketNames(LocalBackend.StagingBucket, LocalBackend.ArchiveBucket), new SweepOptions());
        services.AddSingleton(_backend);
        services.AddSingleton(_backend.Events);
        services.AddSingleton<IObjectStore>(_backend.Store);
        services.AddSingleton<IAppendSessions>(_backend.Store); // the sweep's salvage finishes silent recorders' live uploads
        services.AddSingleton<ICatalog>(_backend.Catalog);
        services.AddSingleton<IUrlSigner>(_backend.Signer);
        services.AddSingleton(new ApiToken(settings.ApiToken));
    }

    /// <summary>Every function (<c>/functions/*</c>, or <c>/</c> under a FUNCTION_TARGET) requires the operator credential; the host's own event dispatcher sends it.</summary>
    public RequestDelegate RequireCaller(RequestDelegate function, bool checkedByCloudRun = false) => OperatorGuard.RequireOperator(function);

    public void AddEventDelivery(IServiceCollection services, string finalizeRoute)
    {
        services.AddHttpClient(nameof(LocalEventDispatcher));
        services.AddHostedService(sp => ActivatorUtilities.CreateInstance<LocalEventDispatcher>(sp, finalizeRoute));
    }

    public void AddSweepSchedule(IServiceCollection services)
    {
        services.AddSingleton<LocalReconciler>();
        services.AddHostedService(sp => sp.GetRequiredService<LocalReconciler>());
    }
}

/// <summary>
/// The gcp backend: Cloud Storage, Firestore, Pub/Sub. The retry and sweep functions verify the OIDC token of their caller
/// (Pub/Sub, Cloud Scheduler); the player API verifies users' ID tokens. The finalize service is reached only through
/// Eventarc, whose token Cloud Run's IAM check verifies (terraform keeps that check on and the service internal, and a
/// test in tests/Cctv.Deploy.Tests checks it); in one process serving every function there is no such per-service
/// check, so there the finalize function verifies its caller's OIDC token itself.
/// </summary>
internal sealed class GcpFunctionsBackend(GcpBackend gcp, FunctionsHostSettings settings, TimeProvider time) : IFunctionsBackend
{
    private GcpFunctionsSettings Settings => gcp.Settings;

    public IDeadLetters? DeadLetters => gcp.DeadLetters;

    public bool RetriesThroughPubSub => true;

    public PlayerApiOptions PlayerApi => new("gcp", settings.UrlLifetime ?? Settings.SignedUrlLifetime, Settings.ArchiveBucket);

    public ApiAccessOptions ApiAccess => new(null, new UserTokenOptions(Settings.UserTokenAudiences)
    {
        GoogleCertificatesUrl = Settings.TokenCertificatesUrl ?? new Uri(UserTokenOptions.GoogleCertificates),
        FirebaseCertificatesUrl = Settings.TokenCertificatesUrl ?? new Uri(UserTokenOptions.FirebaseCertificates),
    }, settings.CorsOrigins ?? []);

    public bool ServesStorage => false;

    public void AddServices(IServiceCollection services)
    {
        FunctionsHost.AddCommonServices(services, time, gcp.Buckets, Settings.Sweep);
        services.AddSingleton(gcp);
        services.AddSingleton(gcp.Store);
        if (gcp.Store is IAppendSessions sessions)
        {
            services.AddSingleton(sessions); // the sweep's salvage finishes silent recorders' live uploads
        }
        services.AddSingleton(gcp.Catalog);
        services.AddSingleton(gcp.Signer);
        if (gcp.Retry is { } retry)
        {
            services.AddSingleton(retry);
        }
        services.AddSingleton(new InvokerTokens(new GoogleTokenVerifier(
            new TokenPolicy(Settings.OidcAudience is { } audience ? [audience] : [], Settings.InvokerServiceAccounts, Settings.TokenCertificatesUrl))));
    }

    public RequestDelegate RequireCaller(RequestDelegate function, bool checkedByCloudRun = false) =>
        checkedByCloudRun ? function : TokenGuard.RequireInvoker(function);

    /// <summary>Eventarc delivers them.</summary>
    public void AddEventDelivery(IServiceCollection services, string finalizeRoute)
    {
    }

    /// <summary>Cloud Scheduler calls the sweep.</summary>
    public void AddSweepSchedule(IServiceCollection services)
    {
    }
}
