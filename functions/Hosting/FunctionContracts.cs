using CloudNative.CloudEvents;
using Microsoft.AspNetCore.Http;

namespace Cctv.Functions.Hosting;

/// <summary>An HTTP function, as the Functions Framework for .NET defines it (Google.Cloud.Functions.Framework.IHttpFunction).</summary>
public interface IHttpFunction
{
    Task HandleAsync(HttpContext context);
}

/// <summary>
/// A CloudEvent function (Functions Framework's ICloudEventFunction&lt;TData&gt;): the host parses the
/// binary-mode request and the data; the function sees only the event.
/// </summary>
public interface ICloudEventFunction<in TData>
{
    Task HandleAsync(CloudEvent cloudEvent, TData data, CancellationToken cancellationToken);
}

/// <summary>Thrown by a CloudEvent function for an event it can never process: the host answers 400, so it is not redelivered.</summary>
public sealed class BadEventException(string message) : Exception(message);
