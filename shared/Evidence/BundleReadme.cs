using System.Globalization;
using Cctv.Shared.Domain;

namespace Cctv.Shared.Evidence;

/// <summary>README.txt of a bundle: for the person who receives it, what is inside, how to verify it and what the verdict means.</summary>
internal static class BundleReadme
{
    public static byte[] Text(CameraKey camera, string? cameraName, DateTimeOffset from, DateTimeOffset to)
    {
        string name = cameraName is { Length: > 0 } ? $" (\"{cameraName}\")" : "";
        string text = string.Create(CultureInfo.InvariantCulture, $"""
            CCTV EVIDENCE BUNDLE
            ====================

            Camera {camera}{name}, footage from {from:yyyy-MM-ddTHH:mm:ss.fffZ} to {to:yyyy-MM-ddTHH:mm:ss.fffZ} (UTC).

            WHAT IS INSIDE
              segments/RUN-SEQ.mp4      the recorded video files, byte for byte as the recorder wrote them
              salvaged/RUN-SEQ.mp4      video the cloud finished itself after the recorder went silent (e.g. was
                                        destroyed): the bytes the cloud held, as it archived them. The recorder
                                        never sealed or signed these; they are checked against the SHA-256 the
                                        cloud computed (in bundle.json) and reported apart from signed footage
              manifests/NNNNNNNN.manifest  the recorder's signed manifests of this camera's hash chain: each
                                        names every video file by size and SHA-256, and every gap in the
                                        recording with its reason, and is signed with the recorder's key
              keys/FINGERPRINT.pem      the recorder's public key(s) (ECDSA P-256)
              bundle.json               an index: the camera, the range, the catalog's gaps, the recorder's
                                        clock state per run, and the custody record (who exported this,
                                        when, with which credential, and every recorded read of the footage)
              README.txt                this file

              Only the manifests' signatures and the files' hashes are evidence. bundle.json is a convenience:
              nothing in it is trusted by the verifier, and what it alone says is printed as unsigned.

            HOW TO VERIFY
              With CctvServerless's functions host (needs nothing but this file, no network):
                dotnet Cctv.Functions.dll verify THIS-BUNDLE.zip
              To pin the recorder's key (obtained separately, e.g. from the operator's catalog or the recorder):
                dotnet Cctv.Functions.dll verify THIS-BUNDLE.zip --key recorder.pem
              Without --key, the verifier trusts the key in the bundle: compare the fingerprint it prints with
              the one registered for the recorder. docs/evidence-bundle.md and docs/evidence-format.md describe
              every byte, so anyone can write a verifier of their own.

            WHAT THE VERDICT MEANS
              INTACT (exit code 0): every video file is present for the covered time and has exactly the bytes
                the recorder hashed; every manifest's signature verifies with the recorder's key; the chain has
                no entry missing, moved, changed or added, and every gap is listed with its reason.
              BROKEN (exit code 1): something was changed, removed, added, reordered or signed with another key.
                Each break is printed with what it is and where (entry, file or manifest).
                A salvaged file with other bytes than the cloud archived is a break too.
                Salvaged files are listed as SALVAGED (not signed by the recorder) and never count as covered by
                the signed chain; they do not make the verdict BROKEN when their bytes are as the cloud archived them.
              Exit code 2: the file is not a readable bundle.
              The verifier proves the footage between the first and the last exported frame is complete and
              unchanged. It cannot know which range was asked for: compare the printed range with the request.

            """);
        return System.Text.Encoding.UTF8.GetBytes(text.Replace("\r\n", "\n", StringComparison.Ordinal));
    }
}
