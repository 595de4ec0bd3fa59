//! Stamps: what a file hashed to, keyed by its size, modification time and inode, so that a
//! build does not read and hash files that have not changed since the last one.
//!
//! A stamp is only written for a file last modified more than [`RACY`] ago (git's "racily clean"
//! rule): a file could otherwise change again within one tick of a coarse clock, keep its size,
//! and be taken for unchanged.

use std::fs::{self, Metadata};
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

use crate::compress::Cache;
use crate::names::hex;

/// Files modified more recently than this are not stamped.
const RACY: Duration = Duration::from_secs(2);
const MAGIC: &str = "kiln-stamp-1";

/// What identifies a file's content without reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Identity {
    pub(crate) len: u64,
    modified: SystemTime,
    mtime_ns: u128,
    inode: u64,
}

/// What a file's bytes hashed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Facts {
    pub(crate) hash: String,
    pub(crate) integrity: String,
    pub(crate) content_type: String,
}

impl Identity {
    /// `None` where the platform reports no modification time.
    pub(crate) fn of(meta: &Metadata) -> Option<Self> {
        let modified = meta.modified().ok()?;
        Some(Identity {
            len: meta.len(),
            modified,
            mtime_ns: modified.duration_since(UNIX_EPOCH).ok()?.as_nanos(),
            inode: inode(meta),
        })
    }
}

#[cfg(unix)]
fn inode(meta: &Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::ino(meta)
}

#[cfg(not(unix))]
fn inode(_meta: &Metadata) -> u64 {
    0
}

impl Cache {
    fn stamp_path(&self, source: &Path) -> PathBuf {
        let digest = Sha256::digest(source.as_os_str().as_encoded_bytes());
        self.dir().join("stamps").join(hex(&digest[..16]))
    }

    /// The facts stamped for `source`, if its identity is still the stamped one.
    pub(crate) fn read_stamp(&self, source: &Path, id: &Identity) -> Option<Facts> {
        let text = fs::read_to_string(self.stamp_path(source)).ok()?;
        let mut lines = text.lines();
        let header = [
            MAGIC.to_owned(),
            id.len.to_string(),
            id.mtime_ns.to_string(),
            id.inode.to_string(),
        ];
        for expected in &header {
            if lines.next()? != expected {
                return None;
            }
        }
        let facts = Facts {
            hash: lines.next()?.to_owned(),
            integrity: lines.next()?.to_owned(),
            content_type: lines.next()?.to_owned(),
        };
        (facts.hash.len() == 64).then_some(facts)
    }

    /// Forgets the stamp of `source`, so that the next bake reads and hashes it again.
    pub(crate) fn remove_stamp(&self, source: &Path) {
        let _ = fs::remove_file(self.stamp_path(source));
    }

    /// Stamps `source` with `facts`, unless it was modified too recently to be trusted.
    pub(crate) fn write_stamp(
        &self,
        source: &Path,
        id: &Identity,
        facts: &Facts,
    ) -> io::Result<()> {
        let age = SystemTime::now()
            .duration_since(id.modified)
            .unwrap_or_default();
        if age < RACY {
            return Ok(());
        }
        let text = format!(
            "{MAGIC}\n{}\n{}\n{}\n{}\n{}\n{}\n",
            id.len, id.mtime_ns, id.inode, facts.hash, facts.integrity, facts.content_type
        );
        self.write_atomically(&self.stamp_path(source), text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_round_trip_and_reject_another_identity() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path().join("cache"));
        let file = dir.path().join("a.css");
        fs::write(&file, "body {}").unwrap();
        let old = SystemTime::now() - Duration::from_secs(3600);
        fs::File::options()
            .write(true)
            .open(&file)
            .unwrap()
            .set_modified(old)
            .unwrap();
        let id = Identity::of(&fs::metadata(&file).unwrap()).unwrap();
        let facts = Facts {
            hash: "a".repeat(64),
            integrity: "sha384-x".into(),
            content_type: "text/css; charset=utf-8".into(),
        };
        cache.write_stamp(&file, &id, &facts).unwrap();
        assert_eq!(cache.read_stamp(&file, &id), Some(facts));
        let other = Identity {
            len: id.len + 1,
            ..id.clone()
        };
        assert_eq!(cache.read_stamp(&file, &other), None);
        let touched = Identity {
            mtime_ns: id.mtime_ns + 1,
            ..id
        };
        assert_eq!(cache.read_stamp(&file, &touched), None);
    }

    #[test]
    fn recently_modified_files_are_not_stamped() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path().join("cache"));
        let file = dir.path().join("new.css");
        fs::write(&file, "body {}").unwrap();
        let id = Identity::of(&fs::metadata(&file).unwrap()).unwrap();
        let facts = Facts {
            hash: "b".repeat(64),
            integrity: String::new(),
            content_type: String::new(),
        };
        cache.write_stamp(&file, &id, &facts).unwrap();
        assert_eq!(cache.read_stamp(&file, &id), None);
    }
}
