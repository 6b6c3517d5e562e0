using Cctv.EdgeRecorder.Configuration;
using Cctv.Shared.Ports;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Cctv.EdgeRecorder.Pipeline;

/// <summary>
/// The seed's per-upload retries (<see cref="UploadOptions.RetryAttempts"/> at <see cref="UploadOptions.RetryDelay"/>,
/// doubling) of what is worth trying again: a transient store error, a broken connection, a timed-out request.
/// Segments and evidence manifests go up under the same rule.
/// </summary>
public static class UploadRetries
{
    /// <param name="what">What is being uploaded, for the warning each retry logs ("Upload", "Manifest upload").</param>
    public static ResiliencePipelineBuilder Builder(UploadOptions options, TimeProvider time, ILogger log, string what) =>
        new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = options.RetryAttempts,
                Delay = options.RetryDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = false,
                ShouldHandle = new PredicateBuilder()
                    .Handle<ObjectStoreException>(e => e.IsTransient)
                    .Handle<HttpRequestException>()
                    .Handle<TimeoutRejectedException>(),
                OnRetry = args =>
                {
                    log.LogWarning("{What} attempt {Attempt} failed ({Error}); retrying in {Delay}",
                        what, args.AttemptNumber + 1, args.Outcome.Exception?.Message, args.RetryDelay);
                    return ValueTask.CompletedTask;
                },
            });
}
