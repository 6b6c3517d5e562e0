using System.Security.Cryptography;
using Cctv.Shared.Domain;

namespace Cctv.Shared.Tests;

/// <summary>The evidence part of the catalog contract: recorders' public keys, every rotation on record. Runs on SQLite and on the Firestore emulator.</summary>
public abstract partial class CatalogContractTests
{
    private static RecorderKey NewKey(string recorder)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return RecorderKey.Of(recorder, key.ExportSubjectPublicKeyInfo(), T0);
    }

    [Fact]
    public async Task RecorderKey_RegisteredTwice_IsOneKey_AndAnotherRecordersKeyStaysItsOwn()
    {
        RecorderKey a = NewKey("rec-a");
        RecorderKey b = NewKey("rec-b");
        Clock.Advance(TimeSpan.FromMinutes(3));

        Assert.Equal(RecorderKeyOutcome.Registered, await Catalog.RegisterRecorderKeyAsync(a, CancellationToken.None));
        Assert.Equal(RecorderKeyOutcome.AlreadyRegistered, await Catalog.RegisterRecorderKeyAsync(a, CancellationToken.None));
        Assert.Equal(RecorderKeyOutcome.Registered, await Catalog.RegisterRecorderKeyAsync(b, CancellationToken.None));

        RecorderKey stored = Assert.Single(await Catalog.ListRecorderKeysAsync("rec-a", CancellationToken.None));
        Assert.Equal((a.Fingerprint, a.PublicKey, T0.AddMinutes(3), (string?)null), (stored.Fingerprint, stored.PublicKey, stored.RegisteredAt, stored.PreviousFingerprint));
        Assert.Equal(b.Fingerprint, Assert.Single(await Catalog.ListRecorderKeysAsync("rec-b", CancellationToken.None)).Fingerprint);
        Assert.Empty(await Catalog.ListRecorderKeysAsync("rec-c", CancellationToken.None));
    }

    [Fact]
    public async Task RecorderKey_NewKeyForTheSameRecorder_IsARotationNamingTheOldKey_AndBothStayListed()
    {
        RecorderKey first = NewKey("rec-a");
        RecorderKey second = NewKey("rec-a");
        await Catalog.RegisterRecorderKeyAsync(first, CancellationToken.None);
        Clock.Advance(TimeSpan.FromDays(30));

        Assert.Equal(RecorderKeyOutcome.Rotated, await Catalog.RegisterRecorderKeyAsync(second, CancellationToken.None));
        Assert.Equal(RecorderKeyOutcome.AlreadyRegistered, await Catalog.RegisterRecorderKeyAsync(first, CancellationToken.None));

        IReadOnlyList<RecorderKey> keys = await Catalog.ListRecorderKeysAsync("rec-a", CancellationToken.None);
        Assert.Equal([first.Fingerprint, second.Fingerprint], keys.Select(k => k.Fingerprint));
        Assert.Equal(first.Fingerprint, keys[1].PreviousFingerprint);
        Assert.Equal(T0.AddDays(30), keys[1].RegisteredAt);
    }

    [Fact]
    public async Task RecorderKey_FingerprintNotTheKeys_IsRefused()
    {
        RecorderKey key = NewKey("rec-a") with { Fingerprint = new string('a', 64) };

        await Assert.ThrowsAsync<ArgumentException>(() => Catalog.RegisterRecorderKeyAsync(key, CancellationToken.None));
        Assert.Empty(await Catalog.ListRecorderKeysAsync("rec-a", CancellationToken.None));
    }

    private static ChainBreakRecord Break(string recorder, string where) => new(
        ChainBreakRecord.IdOf(new CameraKey(recorder, "cam1"), "altered", where, "its hash is not the link"), recorder, "cam1", "altered", where, "its hash is not the link",
        T0, T0.AddSeconds(4), $"manifests/{recorder}~cam1/0000000001.manifest", T0.AddMinutes(1));

    [Fact]
    public async Task ChainBreak_RecordedTwice_IsOneRecord_AndEachRecordersCam1KeepsItsOwn()
    {
        await Catalog.RecordChainBreakAsync(Break("rec-a", "entry 3"), CancellationToken.None);
        await Catalog.RecordChainBreakAsync(Break("rec-a", "entry 3") with { Detail = "a later reading" }, CancellationToken.None);
        await Catalog.RecordChainBreakAsync(Break("rec-a", "entry 7"), CancellationToken.None);
        await Catalog.RecordChainBreakAsync(Break("rec-b", "entry 3"), CancellationToken.None);

        IReadOnlyList<ChainBreakRecord> ofA = await Catalog.ListChainBreaksAsync(new CameraKey("rec-a", "cam1"), CancellationToken.None);
        Assert.Equal(["entry 3", "entry 7"], ofA.Select(b => b.Where).Order(StringComparer.Ordinal));
        Assert.Equal("its hash is not the link", ofA.Single(b => b.Where == "entry 3").Detail); // never overwritten
        Assert.Equal((T0, T0.AddSeconds(4)), (ofA[0].From, ofA[0].To));
        Assert.Equal("rec-b", Assert.Single(await Catalog.ListChainBreaksAsync(new CameraKey("rec-b", "cam1"), CancellationToken.None)).RecorderId);
        Assert.Empty(await Catalog.ListChainBreaksAsync(new CameraKey("rec-a", "cam2"), CancellationToken.None));
    }
}
