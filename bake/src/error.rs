use std::io;
use std::path::PathBuf;

/// Which attribute a [`Error`] is about, so that the derive can point at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Origin {
    /// The `folder` attribute (a missing folder, an unreadable file, a name clash...).
    Folder,
    /// The `n`th `include` pattern, counting from 0.
    Include(usize),
    /// The `n`th `exclude` pattern, counting from 0.
    Exclude(usize),
}

/// Everything that can go wrong while baking a folder.
///
/// `Display` prints one lowercase sentence that names the path or pattern involved; the cause, if
/// any, is reachable through [`std::error::Error::source`] and is also appended to the message,
/// since compile errors have no other way to show it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The folder does not exist.
    #[error("folder `{}` does not exist", .0.display())]
    MissingFolder(PathBuf),
    /// The folder path names something that is not a folder.
    #[error("`{}` is not a folder", .0.display())]
    NotAFolder(PathBuf),
    /// A glob pattern does not parse.
    #[error("invalid glob pattern `{pattern}`: {source}")]
    BadGlob {
        /// The pattern as written.
        pattern: String,
        /// Which attribute holds it.
        origin: Origin,
        /// What globset said.
        #[source]
        source: globset::Error,
    },
    /// A file or folder could not be read.
    #[error("cannot read `{}`: {source}", path.display())]
    Read {
        /// The file or folder.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// A path inside the folder is not valid UTF-8, so it cannot be a URL.
    #[error("`{}` is not valid UTF-8 and cannot be served as a URL", .0.display())]
    NonUtf8Path(PathBuf),
    /// A file name contains a character that can never be requested safely.
    #[error("`{path}` contains {what}, which cannot be served; rename or exclude it")]
    UnservableName {
        /// The relative path.
        path: String,
        /// A description of the offending character.
        what: &'static str,
    },
    /// Two files map to the same URL once case and Unicode normalisation are folded.
    #[error(
        "`{first}` and `{second}` map to the same URL (they differ only in case or Unicode \
         normalisation); rename or exclude one of them"
    )]
    Clash {
        /// The first path, in sorted order.
        first: String,
        /// The second path.
        second: String,
    },
    /// The compression cache could not be written or read.
    #[error("compression cache `{}`: {source}", path.display())]
    Cache {
        /// The cache file or folder.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// A file changed while it was being baked (its bytes no longer have the hash it was given).
    #[error("`{}` changed during the build; build again", .0.display())]
    Changed(PathBuf),
    /// A file, or the text describing it, is too large for the embedded table (4 GiB of bytes,
    /// 64 KiB of path, content type and integrity string).
    #[error("`{}` is too large to embed", .0.display())]
    TooLarge(PathBuf),
    /// The folder of the previous release (`KILN_PREVIOUS`) is not an export.
    #[error("KILN_PREVIOUS `{}`: {message}", path.display())]
    Previous {
        /// The folder.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// A codec failed to compress.
    #[error("cannot compress `{path}` with {codec}: {source}")]
    Compress {
        /// The relative path of the file.
        path: String,
        /// The codec's name.
        codec: &'static str,
        /// The I/O error the encoder reported.
        #[source]
        source: io::Error,
    },
}

impl Error {
    /// The attribute this error is about.
    pub fn origin(&self) -> Origin {
        match self {
            Error::BadGlob { origin, .. } => *origin,
            _ => Origin::Folder,
        }
    }
}
