//! Free space on the data directory's file system, against the floor below
//! which intake stops taking new writes (`min_free_disk_mb`).
//!
//! Asked with statvfs on every writing request: one system call, far
//! cheaper than the flush that request is about to wait for, and never
//! stale.

use std::path::{Path, PathBuf};

/// Free space now, and the floor it is held against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Space {
    /// Bytes an unprivileged process may still write (`f_bavail`).
    pub free: u64,
    /// `min_free_disk_mb` in bytes; 0 means no floor.
    pub floor: u64,
}

impl Space {
    pub fn low(&self) -> bool {
        self.free < self.floor
    }
}

impl std::fmt::Display for Space {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} MiB free, floor {} MiB",
            self.free >> 20,
            self.floor >> 20
        )
    }
}

/// The data directory and its floor.
#[derive(Debug, Clone)]
pub struct Floor {
    dir: PathBuf,
    min_free: u64,
}

impl Floor {
    pub fn new(dir: &Path, min_free_bytes: u64) -> Floor {
        Floor {
            dir: dir.to_path_buf(),
            min_free: min_free_bytes,
        }
    }

    pub fn floor_bytes(&self) -> u64 {
        self.min_free
    }

    pub fn space(&self) -> std::io::Result<Space> {
        Ok(Space {
            free: free_bytes(&self.dir)?,
            floor: self.min_free,
        })
    }
}

/// Bytes available to unprivileged writers on the file system holding `path`.
pub fn free_bytes(path: &Path) -> std::io::Result<u64> {
    let st = rustix::fs::statvfs(path)?;
    Ok(st.f_bavail.saturating_mul(st.f_frsize))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floor_against_the_real_file_system() {
        let dir = tempfile::tempdir().unwrap();
        let free = free_bytes(dir.path()).unwrap();
        assert!(free > 0, "the test machine has some free space");
        let none = Floor::new(dir.path(), 0).space().unwrap();
        assert!(!none.low(), "no floor, never low");
        let huge = Floor::new(dir.path(), u64::MAX).space().unwrap();
        assert!(huge.low());
        assert!(huge.to_string().ends_with("MiB"), "{huge}");
        assert!(free_bytes(&dir.path().join("missing")).is_err());
    }

    #[test]
    fn low_is_strictly_under_the_floor() {
        let at = |free, floor| Space { free, floor }.low();
        assert!(!at(100, 100));
        assert!(at(99, 100));
        assert!(!at(0, 0));
    }
}
