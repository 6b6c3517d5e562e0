using System.Net;
using System.Text;
using System.Text.Json;
using Cctv.Functions.Hosting;
using Cctv.Functions.Local;
using Cctv.Shared.CloudEvents;
using Cctv.Shared.Domain;
using Cctv.Shared.Local;
using CloudNative.CloudEvents;
using CloudNative.CloudEvents.Http;
using CloudNative.CloudEvents.SystemTextJson;
using Microsoft.AspNetCore.Http;

namespace Cctv.Functions.Tests.Hosting;

/// <summary>
/// Our binary-mode reader (standing in for the absent CloudNative.CloudEvents.AspNetCore) against events the package
/// itself encodes with <see cref="HttpClientExtensions.ToHttpContent(CloudEvent, ContentMode, CloudEventFormatter)"/>.
/// </summary>
public sealed class HttpRequestCloudEventsTests
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);
    private static readonly JsonEventFormatter<StorageObjectData> Formatter = new(Web, default);
    private static readonly DateTimeOffset Time = new(2026, 1, 15, 3, 10, 0, 123, TimeSpan.Zero);

    /// <summary>An event built and encoded with the package alone (none of our helpers).</summary>
    private static CloudEvent ThePackagesEvent(string bucket, string name, long generation, string type = StorageEvents.ObjectFinalized) => new()
    {
        Id = $"{bucket}/{name}/{generation}",
        Source = new Uri($"//storage.googleapis.com/projects/_/buckets/{bucket}", UriKind.Relative),
        Type = type,
        Subject = $"objects/{name}",
        Time = Time,
        DataContentType = "application/json",
        Data = new StorageObjectData { Bucket = bucket, Name = name, Generation = generation.ToString(System.Globalization.CultureInfo.InvariantCulture) },
    };

    /// <summary>The package's binary-mode request, copied header by header into an ASP.NET Core request.</summary>
    private static async Task<(HttpRequest Request, byte[] Body)> AsAspNetCoreRequestAsync(CloudEvent cloudEvent)
    {
        using HttpContent content = cloudEvent.ToHttpContent(ContentMode.Binary, Formatter);
        var http = new DefaultHttpContext();
        http.Request.Method = HttpMethods.Post;
        foreach ((string name, IEnumerable<string> values) in content.Headers)
        {
            http.Request.Headers[name] = values.ToArray();
        }
        byte[] body = await content.ReadAsByteArrayAsync();
        return (http.Request, body);
    }

    [Fact]
    public async Task EveryAttributeThePackageEncodes_IsReadBack_IncludingPercentEncodedValuesAndExtensions()
    {
        CloudEvent sent = ThePackagesEvent("cctv-staging", "incoming/site-b/cam1/100% é \"q\".mp4", 1712);
        sent["traceparent"] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        (HttpRequest request, byte[] body) = await AsAspNetCoreRequestAsync(sent);

        CloudEvent? read = HttpRequestCloudEvents.TryReadBinaryMode(request, body, out string? error);

        Assert.Null(error);
        Assert.NotNull(read);
        Assert.Equal((sent.SpecVersion, sent.Id, sent.Source, sent.Type, sent.Subject, sent.Time, sent.DataContentType),
            (read.SpecVersion, read.Id, read.Source, read.Type, read.Subject, read.Time, read.DataContentType));
        Assert.Equal("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", read["traceparent"]);
        Assert.Equal(JsonSerializer.SerializeToUtf8Bytes((StorageObjectData)sent.Data!, Web),
            Assert.IsType<byte[]>(read.Data));
    }

    [Theory]
    [InlineData("ce-id", "missing CloudEvent header 'ce-id'")]
    [InlineData("ce-source", "missing CloudEvent header 'ce-source'")]
    [InlineData("ce-type", "missing CloudEvent header 'ce-type'")]
    [InlineData("ce-specversion", "missing CloudEvent header 'ce-specversion'")]
    public async Task ARequiredHeaderMissing_IsNamed(string header, string reason)
    {
        (HttpRequest request, byte[] body) = await AsAspNetCoreRequestAsync(ThePackagesEvent("cctv-staging", "x.mp4", 1));
        request.Headers.Remove(header);

        Assert.Null(HttpRequestCloudEvents.TryReadBinaryMode(request, body, out string? error));
        Assert.Contains(reason, error);
    }

    [Theory]
    [InlineData("ce-specversion", "0.3", "unsupported CloudEvents specversion '0.3' (expected 1.0)")]
    [InlineData("ce-time", "yesterday", "ce-time 'yesterday' is not a valid CloudEvent attribute")]
    [InlineData("ce-id", "", "ce-id '' is not a valid CloudEvent attribute")]
    [InlineData("ce-subject", "%zz", "ce-subject '%zz' is not a valid CloudEvent attribute")]
    public async Task AnAttributeThatDoesNotParse_IsNamedWithItsValue(string header, string value, string reason)
    {
        (HttpRequest request, byte[] body) = await AsAspNetCoreRequestAsync(ThePackagesEvent("cctv-staging", "x.mp4", 1));
        request.Headers[header] = value;

        Assert.Null(HttpRequestCloudEvents.TryReadBinaryMode(request, body, out string? error));
        Assert.Contains(reason, error);
    }

    [Fact]
    public async Task AnEventSentWithThePackagesToHttpContent_IsAcceptedByTheFinalizeEndpoint()
    {
        await using LocalFunctionsHost host = await LocalFunctionsHost.StartAsync();
        RecordingAnnouncement a = await host.RecordAsync("cam1", 0, Encoding.UTF8.GetBytes("segment"));
        Recording archived = await host.WaitForStateAsync(a.Id, CloudState.Archived);
        Uri target = new(host.BaseUri, LocalEventDispatcher.FinalizePath);

        // Redelivered by an Eventarc that encodes with the package: accepted (204, idempotent); a type the function
        // does not handle, encoded the same way, is read as far as its type and refused with the reason.
        using var accepted = new HttpRequestMessage(HttpMethod.Post, target)
        {
            Content = ThePackagesEvent(LocalBackend.StagingBucket, a.StagingObject, archived.StagingGeneration!.Value).ToHttpContent(ContentMode.Binary, Formatter),
        };
        using HttpResponseMessage acceptedResponse = await host.Client.SendAsync(accepted);
        using var deleted = new HttpRequestMessage(HttpMethod.Post, target)
        {
            Content = ThePackagesEvent(LocalBackend.StagingBucket, a.StagingObject, archived.StagingGeneration.Value, "google.cloud.storage.object.v1.deleted")
                .ToHttpContent(ContentMode.Binary, Formatter),
        };
        using HttpResponseMessage deletedResponse = await host.Client.SendAsync(deleted);

        Assert.Equal(HttpStatusCode.NoContent, acceptedResponse.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, deletedResponse.StatusCode);
        Assert.Contains("event type 'google.cloud.storage.object.v1.deleted' is not handled here", await deletedResponse.Content.ReadAsStringAsync());
        Assert.Equal(CloudState.Archived, (await host.Backend.Catalog.GetAsync(a.Id, CancellationToken.None))!.State);
    }
}
