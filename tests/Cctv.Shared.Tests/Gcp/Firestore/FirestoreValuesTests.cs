using System.Text.Json;
using System.Text.Json.Nodes;
using Cctv.Shared.Gcp.Firestore;

namespace Cctv.Shared.Tests.Gcp.Firestore;

public sealed class FirestoreValuesTests
{
    [Fact]
    public void Encode_WritesEachTypeInFirestoresJsonForm()
    {
        Assert.Equal("""{"integerValue":"9007199254740993"}""", FirestoreValues.Encode(9_007_199_254_740_993L).ToJsonString());
        Assert.Equal("""{"stringValue":"announced"}""", FirestoreValues.Encode("announced").ToJsonString());
        Assert.Equal("""{"nullValue":null}""", FirestoreValues.Encode(null).ToJsonString());
        Assert.Equal("""{"booleanValue":true}""", FirestoreValues.Encode(true).ToJsonString());
        Assert.Equal("""{"doubleValue":"NaN"}""", FirestoreValues.Encode(double.NaN).ToJsonString());
        Assert.Equal("""{"doubleValue":1.5}""", FirestoreValues.Encode(1.5).ToJsonString());
        Assert.Equal("""{"timestampValue":"2026-01-15T03:00:00.1234567Z"}""",
            FirestoreValues.Encode(new DateTimeOffset(2026, 1, 15, 4, 0, 0, TimeSpan.FromHours(1)).AddTicks(1_234_567)).ToJsonString());
        Assert.Equal("""{"arrayValue":{"values":[{"stringValue":"a"},{"integerValue":"1"}]}}""", FirestoreValues.Encode(new object[] { "a", 1L }).ToJsonString());
        Assert.Equal("""{"mapValue":{"fields":{"k":{"stringValue":"v"}}}}""", FirestoreValues.Encode(new Dictionary<string, object?> { ["k"] = "v" }).ToJsonString());
        Assert.Throws<ArgumentException>(() => FirestoreValues.Encode(DateTime.UtcNow));
    }

    [Fact]
    public void Decode_ReadsWhatFirestoreSends_IncludingNanosecondTimestampsAndNestedValues()
    {
        JsonElement fields = JsonDocument.Parse("""
            {
              "n": {"integerValue": "-42"},
              "t9": {"timestampValue": "2026-01-15T03:00:00.123456789Z"},
              "t0": {"timestampValue": "2026-01-15T03:00:00Z"},
              "tz": {"timestampValue": "2026-01-15T04:00:00.5+01:00"},
              "d": {"doubleValue": 2.25},
              "inf": {"doubleValue": "-Infinity"},
              "b": {"booleanValue": false},
              "z": {"nullValue": null},
              "bytes": {"bytesValue": "AQID"},
              "ref": {"referenceValue": "projects/p/databases/(default)/documents/recordings/x"},
              "geo": {"geoPointValue": {"latitude": 51.5, "longitude": -0.1}},
              "arr": {"arrayValue": {"values": [{"stringValue": "a"}, {"mapValue": {"fields": {"x": {"integerValue": "1"}}}}]}},
              "empty": {"arrayValue": {}},
              "map": {"mapValue": {}}
            }
            """).RootElement;

        IReadOnlyDictionary<string, object?> v = FirestoreValues.DecodeFields(fields);

        var t0 = new DateTimeOffset(2026, 1, 15, 3, 0, 0, TimeSpan.Zero);
        Assert.Equal(-42L, v["n"]);
        Assert.Equal(t0.AddTicks(1_234_567), v["t9"]);
        Assert.Equal(t0, v["t0"]);
        Assert.Equal(t0.AddMilliseconds(500), v["tz"]);
        Assert.Equal(2.25, v["d"]);
        Assert.Equal(double.NegativeInfinity, v["inf"]);
        Assert.Equal(false, v["b"]);
        Assert.Null(v["z"]);
        Assert.Equal(new byte[] { 1, 2, 3 }, v["bytes"]);
        Assert.Equal(new FirestoreReference("projects/p/databases/(default)/documents/recordings/x"), v["ref"]);
        Assert.Equal(new FirestoreGeoPoint(51.5, -0.1), v["geo"]);
        var arr = Assert.IsAssignableFrom<IReadOnlyList<object?>>(v["arr"]);
        Assert.Equal("a", arr[0]);
        Assert.Equal(1L, Assert.IsAssignableFrom<IReadOnlyDictionary<string, object?>>(arr[1])["x"]);
        Assert.Empty(Assert.IsAssignableFrom<IReadOnlyList<object?>>(v["empty"]));
        Assert.Empty(Assert.IsAssignableFrom<IReadOnlyDictionary<string, object?>>(v["map"]));
    }

    [Theory]
    [InlineData("2026-01-15")]
    [InlineData("yesterday")]
    [InlineData("2026-01-15T03:00:00.Z")]
    public void ParseTimestamp_OfSomethingElse_IsAFormatError(string text)
    {
        Assert.Throws<FormatException>(() => FirestoreValues.ParseTimestamp(text));
    }

    [Fact]
    public void Decode_OfAnUnknownValueType_IsAFormatError()
    {
        Assert.Throws<FormatException>(() => FirestoreValues.Decode(JsonDocument.Parse("""{"vectorValue": {}}""").RootElement));
    }

    [Fact]
    public void Query_IsWrittenAsAStructuredQueryWithCursorAndLimit()
    {
        FirestoreQuery q = new FirestoreQuery("recordings")
            .Where("camera_id", FirestoreOperator.In, new[] { "cam1", "cam2" })
            .Where("start_time", FirestoreOperator.LessThan, new DateTimeOffset(2026, 1, 15, 3, 0, 0, TimeSpan.Zero))
            .OrderBy("start_time", descending: true)
            .OrderBy(FirestoreQuery.DocumentNameField, descending: true)
            .StartAfter(new DateTimeOffset(2026, 1, 15, 2, 0, 0, TimeSpan.Zero), new FirestoreReference("projects/p/databases/(default)/documents/recordings/x"))
            .Limit(5);

        JsonNode expected = JsonNode.Parse("""
            {
              "from": [{"collectionId": "recordings"}],
              "where": {"compositeFilter": {"op": "AND", "filters": [
                {"fieldFilter": {"field": {"fieldPath": "camera_id"}, "op": "IN",
                  "value": {"arrayValue": {"values": [{"stringValue": "cam1"}, {"stringValue": "cam2"}]}}}},
                {"fieldFilter": {"field": {"fieldPath": "start_time"}, "op": "LESS_THAN",
                  "value": {"timestampValue": "2026-01-15T03:00:00.0000000Z"}}}]}},
              "orderBy": [
                {"field": {"fieldPath": "start_time"}, "direction": "DESCENDING"},
                {"field": {"fieldPath": "__name__"}, "direction": "DESCENDING"}],
              "startAt": {"values": [{"timestampValue": "2026-01-15T02:00:00.0000000Z"},
                {"referenceValue": "projects/p/databases/(default)/documents/recordings/x"}], "before": false},
              "limit": 5
            }
            """)!;
        Assert.True(JsonNode.DeepEquals(expected, q.ToJson()), q.ToJson().ToJsonString());
    }

    [Fact]
    public void Write_CarriesItsPreconditionAndUpdateMask()
    {
        var fields = new Dictionary<string, object?> { ["state"] = "staged", ["odd name"] = 1L };

        JsonObject guarded = FirestoreWrite.UpdateIfUnchanged("projects/p/databases/(default)/documents/recordings/x", fields, "2026-01-15T03:00:00.000001Z").ToJson();
        JsonObject create = FirestoreWrite.Create("projects/p/databases/(default)/documents/recordings/x", fields).ToJson();

        Assert.Equal("""{"updateTime":"2026-01-15T03:00:00.000001Z"}""", guarded["currentDocument"]!.ToJsonString());
        Assert.Equal(["state", "`odd name`"], guarded["updateMask"]!["fieldPaths"]!.AsArray().Select(p => p!.GetValue<string>()));
        Assert.Equal("""{"exists":false}""", create["currentDocument"]!.ToJsonString());
        Assert.Null(create["updateMask"]);
    }
}
