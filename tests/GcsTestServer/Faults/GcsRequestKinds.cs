namespace Cctv.Testing.Gcs;

/// <summary>The kinds of request a fault may hit.</summary>
[Flags]
public enum GcsRequestKinds
{
    None = 0,

    /// <summary>POST <c>upload/storage/v1/b/{bucket}/o?uploadType=resumable</c>.</summary>
    ResumableInitiation = 1,

    /// <summary>PUT to a session URI with data (<c>Content-Range: bytes A-B/N</c>).</summary>
    ResumableChunk = 2,

    /// <summary>PUT to a session URI with an empty body and <c>Content-Range: bytes */N</c>.</summary>
    ResumableStatusQuery = 4,

    /// <summary><c>uploadType=media</c> and <c>uploadType=multipart</c>.</summary>
    SimpleUpload = 8,

    /// <summary><c>alt=media</c> object reads.</summary>
    Download = 16,

    /// <summary>Everything else: object and bucket metadata, list, delete, patch, rewrite, copy, session cancel.</summary>
    Metadata = 32,

    ResumableUpload = ResumableInitiation | ResumableChunk | ResumableStatusQuery,
    AnyUpload = ResumableUpload | SimpleUpload,
    All = AnyUpload | Download | Metadata,
}
