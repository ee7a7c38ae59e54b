//! Where the built files come from: compiled into the binary (the default, so one file is the
//! whole product), or a directory named by configuration (`AGORA_WEB_DIR`), which serves a fresh
//! `npm run build` without recompiling and lets tests pin the state they specify.

use std::{
    borrow::Cow,
    hash::{Hash, Hasher},
    path::{Component, Path, PathBuf},
};

/// One built file.
pub(crate) struct Asset {
    pub bytes: Cow<'static, [u8]>,
    /// A strong validator of exactly these bytes.
    pub etag: String,
}

#[cfg(feature = "embed")]
#[derive(rust_embed::RustEmbed)]
#[folder = "../../web/dist"]
// A checkout without Node has no `web/dist`: the binary still builds and serves a page saying
// how to build the UI.
#[allow_missing = true]
struct Embedded;

/// The files of the built web app.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    Embedded,
    Directory(PathBuf),
}

impl Source {
    /// The file at `relative` (no leading slash), if the build has it.
    pub fn get(&self, relative: &str) -> Option<Asset> {
        match self {
            #[cfg(feature = "embed")]
            Source::Embedded => Embedded::get(relative).map(|file| Asset {
                etag: format!("\"{}\"", hex(&file.metadata.sha256_hash()[..16])),
                bytes: file.data,
            }),
            // Built without the web app: like a checkout without `web/dist`.
            #[cfg(not(feature = "embed"))]
            Source::Embedded => None,
            Source::Directory(root) => {
                let path = confined(root, relative)?;
                let bytes = std::fs::read(path).ok()?;
                // Not cryptographic, only a validator: it changes when the bytes do.
                let mut hasher = std::collections::hash_map::DefaultHasher::new();
                bytes.hash(&mut hasher);
                Some(Asset {
                    etag: format!("\"{:016x}-{:x}\"", hasher.finish(), bytes.len()),
                    bytes: Cow::Owned(bytes),
                })
            }
        }
    }
}

/// `root/relative`, unless `relative` tries to leave `root` (`..`, absolute paths).
fn confined(root: &Path, relative: &str) -> Option<PathBuf> {
    let relative = Path::new(relative);
    relative
        .components()
        .all(|c| matches!(c, Component::Normal(_)))
        .then(|| root.join(relative))
}

#[cfg(feature = "embed")]
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_source_never_reads_outside_its_root() {
        let root = Path::new("/srv/web");
        assert_eq!(
            confined(root, "assets/a.js"),
            Some(root.join("assets/a.js"))
        );
        assert_eq!(confined(root, "../etc/passwd"), None);
        assert_eq!(confined(root, "assets/../../x"), None);
        assert_eq!(confined(root, "/etc/passwd"), None);
    }
}
