//! Walking the folder: which files are in the bundle, and under which relative paths.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use unicode_normalization::UnicodeNormalization;

use crate::error::{Error, Origin};

/// A file found in the folder, before it is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// Path relative to the folder, `/`-separated, valid UTF-8.
    pub path: String,
    /// Where the file is on disk (symbolic links are followed).
    pub source: PathBuf,
}

/// The include/exclude rules of a bundle.
///
/// A pattern is a glob matched against the `/`-separated path relative to the folder: `*` and `?`
/// do not cross `/`, `**` does. A pattern without a `/` is also matched against every single name
/// on the path, as in `.gitignore`, so `*.map` means "map files anywhere" and `drafts` means "the
/// folder `drafts`, wherever it is". A pattern that matches a folder matches everything in it.
///
/// A file is kept when it matches some `include` pattern (or there are none), matches no `exclude`
/// pattern, and, if any name on its path starts with `.`, matches an `include` pattern explicitly.
#[derive(Debug, Clone)]
pub struct Filter {
    include: Patterns,
    exclude: Patterns,
}

#[derive(Debug, Clone)]
struct Patterns {
    /// Patterns that contain a `/`: matched against the path and its ancestor folders.
    anchored: GlobSet,
    /// Patterns without a `/`: matched against every name on the path.
    names: GlobSet,
    /// For each glob of [`anchored`](Self::anchored), then of [`names`](Self::names), the index
    /// of its pattern as written.
    anchored_ids: Vec<usize>,
    names_ids: Vec<usize>,
    len: usize,
}

/// The `include` and `exclude` patterns that matched nothing in the folder, by their index as
/// written: a pattern with a typo, or one the folder has outgrown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Unmatched {
    /// `include` patterns that match no file.
    pub include: Vec<usize>,
    /// `exclude` patterns that match no file or folder.
    pub exclude: Vec<usize>,
}

/// Which patterns matched something, while walking.
struct Hits {
    include: Vec<bool>,
    exclude: Vec<bool>,
}

impl Hits {
    fn new(filter: &Filter) -> Self {
        Hits {
            include: vec![false; filter.include.len],
            exclude: vec![false; filter.exclude.len],
        }
    }

    fn unmatched(&self) -> Unmatched {
        let missing = |hits: &[bool]| (0..hits.len()).filter(|&i| !hits[i]).collect();
        Unmatched {
            include: missing(&self.include),
            exclude: missing(&self.exclude),
        }
    }
}

impl Filter {
    /// Compiles the patterns. An error names the first pattern that does not parse.
    pub fn new<S: AsRef<str>>(include: &[S], exclude: &[S]) -> Result<Self, Error> {
        Ok(Filter {
            include: Patterns::new(include, Origin::Include)?,
            exclude: Patterns::new(exclude, Origin::Exclude)?,
        })
    }

    /// Whether the file at `path` (relative, `/`-separated) belongs in the bundle.
    pub fn keeps(&self, path: &str) -> bool {
        let included = self.include.matches(path);
        if self.include.len > 0 && !included {
            return false;
        }
        if self.exclude.matches(path) {
            return false;
        }
        !is_hidden(path) || included
    }

    /// Whether a whole folder can be skipped without looking inside.
    fn prunes(&self, dir: &str) -> bool {
        self.exclude.matches(dir) || (self.include.len == 0 && is_hidden(dir))
    }
}

impl Patterns {
    fn new<S: AsRef<str>>(patterns: &[S], origin: fn(usize) -> Origin) -> Result<Self, Error> {
        let mut anchored = GlobSetBuilder::new();
        let mut names = GlobSetBuilder::new();
        let (mut anchored_ids, mut names_ids) = (Vec::new(), Vec::new());
        for (i, pattern) in patterns.iter().enumerate() {
            let pattern = pattern.as_ref();
            let trimmed = pattern.trim_start_matches('/');
            let glob = compile(trimmed).map_err(|source| Error::BadGlob {
                pattern: pattern.to_owned(),
                origin: origin(i),
                source,
            })?;
            if pattern.contains('/') {
                anchored.add(glob);
                anchored_ids.push(i);
            } else {
                names.add(glob);
                names_ids.push(i);
            }
        }
        let build = |b: GlobSetBuilder| {
            b.build().map_err(|source| Error::BadGlob {
                pattern: patterns
                    .iter()
                    .map(AsRef::as_ref)
                    .collect::<Vec<_>>()
                    .join(", "),
                origin: origin(0),
                source,
            })
        };
        Ok(Patterns {
            anchored: build(anchored)?,
            names: build(names)?,
            anchored_ids,
            names_ids,
            len: patterns.len(),
        })
    }

    /// Sets `hits[i]` for every pattern `i` that matches `path` (as [`matches`](Self::matches)
    /// does, but without stopping at the first).
    fn mark(&self, path: &str, hits: &mut [bool]) {
        if hits.iter().all(|&hit| hit) {
            return;
        }
        for (name, ancestor) in steps(path) {
            for i in self.names.matches(name) {
                hits[self.names_ids[i]] = true;
            }
            for i in self.anchored.matches(ancestor) {
                hits[self.anchored_ids[i]] = true;
            }
        }
    }

    fn matches(&self, path: &str) -> bool {
        if self.len == 0 {
            return false;
        }
        steps(path)
            .any(|(name, ancestor)| self.names.is_match(name) || self.anchored.is_match(ancestor))
    }
}

/// Each name on `path` with the path up to and including it: what the patterns without and
/// with a `/` are matched against (`a/b` -> (`a`, `a`), (`b`, `a/b`)).
fn steps(path: &str) -> impl Iterator<Item = (&str, &str)> {
    let mut end = 0;
    path.split('/').map(move |name| {
        end += name.len();
        let ancestor = &path[..end];
        end += 1;
        (name, ancestor)
    })
}

fn compile(pattern: &str) -> Result<Glob, globset::Error> {
    GlobBuilder::new(pattern)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
}

fn is_hidden(path: &str) -> bool {
    path.split('/').any(|name| name.starts_with('.'))
}

/// Lists the files of `folder` that `filter` keeps, sorted by relative path.
///
/// Symbolic links are followed. Fails on a missing folder, an unreadable entry, a path that is not
/// UTF-8 or cannot be served, and on two paths that differ only in case or Unicode normalisation.
pub fn scan(folder: &Path, filter: &Filter) -> Result<Vec<SourceFile>, Error> {
    scan_reporting(folder, filter).map(|(files, _)| files)
}

/// [`scan`], and which patterns matched nothing: an `include` pattern no file matches, an
/// `exclude` pattern no file or folder matches.
pub fn scan_reporting(
    folder: &Path,
    filter: &Filter,
) -> Result<(Vec<SourceFile>, Unmatched), Error> {
    let hits = RefCell::new(Hits::new(filter));
    match std::fs::metadata(folder) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => return Err(Error::NotAFolder(folder.to_owned())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::MissingFolder(folder.to_owned()));
        }
        Err(source) => {
            return Err(Error::Read {
                path: folder.to_owned(),
                source,
            });
        }
    }

    let mut files = Vec::new();
    let walker = walkdir::WalkDir::new(folder)
        .follow_links(true)
        .min_depth(1)
        .into_iter()
        .filter_entry(|entry| {
            !entry.file_type().is_dir()
                || relative(folder, entry.path()).is_none_or(|rel| {
                    filter.exclude.mark(&rel, &mut hits.borrow_mut().exclude);
                    !filter.prunes(&rel)
                })
        });
    for entry in walker {
        let entry = entry.map_err(|err| {
            let path = err.path().unwrap_or(folder).to_owned();
            let source = err
                .into_io_error()
                .unwrap_or_else(|| std::io::Error::other("symbolic link loop"));
            Error::Read { path, source }
        })?;
        if entry.file_type().is_dir() {
            continue;
        }
        let path = relative(folder, entry.path())
            .ok_or_else(|| Error::NonUtf8Path(entry.path().to_owned()))?;
        {
            let hits = &mut *hits.borrow_mut();
            filter.include.mark(&path, &mut hits.include);
            filter.exclude.mark(&path, &mut hits.exclude);
        }
        if !filter.keeps(&path) {
            continue;
        }
        check_servable(&path)?;
        files.push(SourceFile {
            path,
            source: entry.into_path(),
        });
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    check_clashes(&files)?;
    Ok((files, hits.into_inner().unmatched()))
}

/// The `/`-separated path of `path` below `folder`, or `None` if it is not UTF-8.
fn relative(folder: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(folder).ok()?;
    let mut out = String::new();
    for part in rel.components() {
        if !out.is_empty() {
            out.push('/');
        }
        out.push_str(part.as_os_str().to_str()?);
    }
    Some(out)
}

fn check_servable(path: &str) -> Result<(), Error> {
    let what = if path.contains('\\') {
        "a backslash"
    } else if path.chars().any(char::is_control) {
        "a control character"
    } else {
        return Ok(());
    };
    Err(Error::UnservableName {
        path: path.to_owned(),
        what,
    })
}

fn check_clashes(files: &[SourceFile]) -> Result<(), Error> {
    let mut seen: HashMap<String, &str> = HashMap::with_capacity(files.len());
    for file in files {
        let key: String = file.path.nfc().flat_map(char::to_lowercase).nfc().collect();
        if let Some(first) = seen.insert(key, &file.path) {
            return Err(Error::Clash {
                first: first.to_owned(),
                second: file.path.clone(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(include: &[&str], exclude: &[&str]) -> Filter {
        Filter::new(include, exclude).unwrap()
    }

    #[test]
    fn patterns_that_match_nothing_are_reported() {
        let root = std::env::temp_dir().join(format!("kiln-unmatched-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("css")).unwrap();
        std::fs::create_dir_all(root.join("drafts")).unwrap();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        for file in ["css/a.css", "app.js", "drafts/x.html", ".git/HEAD"] {
            std::fs::write(root.join(file), "x").unwrap();
        }
        let f = filter(
            &["*.css", "*.cs", "app.js", "fonts/**"],
            &["drafts", "*.map", ".git", "css/a.css"],
        );
        let (files, unmatched) = scan_reporting(&root, &f).unwrap();
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["app.js"]);
        // `*.cs` and `fonts/**` match no file; `*.map` matches nothing, while `drafts` and
        // `.git` match folders that are then skipped whole.
        assert_eq!(unmatched.include, [1, 3]);
        assert_eq!(unmatched.exclude, [1]);

        let (_, unmatched) = scan_reporting(&root, &filter(&[], &[])).unwrap();
        assert_eq!(unmatched, Unmatched::default());
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn everything_but_hidden_by_default() {
        let f = filter(&[], &[]);
        assert!(f.keeps("a.css"));
        assert!(f.keeps("deep/er/a.css"));
        assert!(!f.keeps(".env"));
        assert!(!f.keeps(".well-known/security.txt"));
        assert!(!f.keeps("css/.DS_Store"));
    }

    #[test]
    fn slashless_patterns_match_any_name() {
        let f = filter(&[], &["*.map", "drafts"]);
        assert!(!f.keeps("js/app.js.map"));
        assert!(!f.keeps("app.map"));
        assert!(!f.keeps("docs/drafts/a.html"));
        assert!(f.keeps("js/app.js"));
        assert!(f.keeps("docs/drafts.html"));
    }

    #[test]
    fn anchored_patterns_match_from_the_root() {
        let f = filter(&["css/*.css"], &[]);
        assert!(f.keeps("css/a.css"));
        assert!(!f.keeps("css/sub/a.css"));
        assert!(!f.keeps("other/css/a.css"));
        let f = filter(&["css/**/*.css"], &[]);
        assert!(f.keeps("css/sub/a.css"));
        let f = filter(&["/css"], &[]);
        assert!(f.keeps("css/sub/a.css"));
    }

    #[test]
    fn hidden_files_need_an_explicit_include() {
        let f = filter(&[".well-known/**", "*.css"], &[]);
        assert!(f.keeps(".well-known/security.txt"));
        assert!(f.keeps("a.css"));
        // Matching an include pattern is what "explicitly included" means.
        assert!(f.keeps(".hidden.css"));
        assert!(!f.keeps(".git/config"));
        assert!(!f.keeps("a.js"));
    }

    #[test]
    fn exclude_wins_over_include() {
        let f = filter(&["**/*.js"], &["vendor/**"]);
        assert!(f.keeps("js/a.js"));
        assert!(!f.keeps("vendor/a.js"));
    }

    #[test]
    fn bad_glob_names_the_pattern_and_its_position() {
        let err = Filter::new(&["ok/*", "a/[b"], &[]).unwrap_err();
        assert_eq!(err.origin(), Origin::Include(1));
        assert!(err.to_string().contains("`a/[b`"), "{err}");
        let err = Filter::new(&[], &["{x"]).unwrap_err();
        assert_eq!(err.origin(), Origin::Exclude(0));
    }

    #[test]
    fn case_and_normalisation_clashes_are_found() {
        let file = |p: &str| SourceFile {
            path: p.into(),
            source: PathBuf::new(),
        };
        assert!(check_clashes(&[file("A.css"), file("a.css")]).is_err());
        // "é" precomposed (NFC) and decomposed (NFD).
        let err = check_clashes(&[file("caf\u{e9}.txt"), file("cafe\u{301}.txt")]).unwrap_err();
        assert!(matches!(err, Error::Clash { .. }));
        assert!(check_clashes(&[file("a.css"), file("b.css")]).is_ok());
    }

    #[test]
    fn backslashes_cannot_be_served() {
        assert!(check_servable("a\\b.txt").is_err());
        assert!(check_servable("a b/ü.txt").is_ok());
    }
}
