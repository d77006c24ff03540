//! Loading: reads the root file and, depth first, every file it imports (relative paths
//! and the embedded stdlib), parsing each once. Unreadable files, invalid UTF-8, missing
//! imports and import cycles become diagnostics here.

use std::collections::HashMap;
use std::io;
use std::path::{Component, Path, PathBuf};

use crate::diag::{Code, Diagnostic};
use crate::source::{FileId, SourceMap, Span, MAX_FILE_SIZE};
use crate::stdlib;
use crate::syntax::{self, ast};

/// One parsed file of a compilation.
#[derive(Debug)]
pub struct LoadedFile {
    /// Its id in the source map.
    pub id: FileId,
    /// What it says.
    pub ast: ast::File,
    /// For each of `ast.imports`, the file it resolved to (`None` if it could not be loaded).
    pub imports: Vec<Option<FileId>>,
}

/// Everything read for one compilation.
#[derive(Debug, Default)]
pub struct Loaded {
    /// The text of every file.
    pub sources: SourceMap,
    /// Parsed files, indexed by file id. The root is file 0.
    pub files: Vec<LoadedFile>,
    /// Problems found while loading and parsing.
    pub diagnostics: Vec<Diagnostic>,
    /// True when some file could not be read or parsed as a whole: its declarations are
    /// unknown, so checking the rest would report names it may well define.
    pub incomplete: bool,
}

/// Reads file contents; the real file system in the CLI, a map in tests.
pub trait FileReader {
    /// The bytes of the file at `path`.
    fn read(&mut self, path: &Path) -> io::Result<Vec<u8>>;
}

/// Reads from the file system; relative paths are taken from `base`.
#[derive(Debug, Default, Clone)]
pub struct FsReader {
    /// The directory relative paths start from; empty for the working directory.
    pub base: PathBuf,
}

impl FileReader for FsReader {
    fn read(&mut self, path: &Path) -> io::Result<Vec<u8>> {
        let path = &self.base.join(path);
        let metadata = std::fs::metadata(path)?;
        if metadata.is_dir() {
            return Err(io::Error::other("it is a directory"));
        }
        if metadata.len() > MAX_FILE_SIZE as u64 {
            return Err(io::Error::other(format!(
                "it is larger than the {} MiB limit",
                MAX_FILE_SIZE / (1024 * 1024)
            )));
        }
        std::fs::read(path)
    }
}

/// A root file that could not be read at all (reported outside any source).
#[derive(Debug)]
pub struct RootError {
    /// The path as given.
    pub path: String,
    /// Why it could not be read.
    pub error: io::Error,
}

impl RootError {
    /// The diagnostic code of this failure.
    pub fn code(&self) -> Code {
        Code::UnreadableFile
    }

    /// "cannot read `x.nubes`: …"
    pub fn message(&self) -> String {
        format!("cannot read `{}`: {}", self.path, describe_io(&self.error))
    }
}

/// What went wrong reading a file, in a few words (`no such file`).
pub fn describe_io(error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::NotFound => "no such file".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => {
            let text = error.to_string();
            // `io::Error` messages carry an OS error number; keep only the words.
            text.split(" (os error").next().unwrap_or(&text).to_string()
        }
    }
}

/// Loads `path` and everything it imports from the file system.
pub fn load_path(path: &Path) -> Result<Loaded, RootError> {
    load_with(path, &mut FsReader::default())
}

/// Loads one in-memory file named `name`; imports other than the stdlib are missing.
pub fn load_text(name: &str, text: &str) -> Loaded {
    struct One<'a>(&'a str, &'a str);
    impl FileReader for One<'_> {
        fn read(&mut self, path: &Path) -> io::Result<Vec<u8>> {
            if path == Path::new(self.0) {
                Ok(self.1.as_bytes().to_vec())
            } else {
                Err(io::ErrorKind::NotFound.into())
            }
        }
    }
    // Reading the root from memory cannot fail.
    load_with(Path::new(name), &mut One(name, text)).unwrap_or_default()
}

/// Loads `path` and everything it imports through `reader`.
pub fn load_with(path: &Path, reader: &mut dyn FileReader) -> Result<Loaded, RootError> {
    let bytes = reader.read(path).map_err(|error| RootError {
        path: path.display().to_string(),
        error,
    })?;
    let mut loader = Loader {
        reader,
        loaded: Loaded::default(),
        by_path: HashMap::new(),
        stack: Vec::new(),
    };
    let display = normalize(path).to_string_lossy().replace('\\', "/");
    loader.add(&display, normalize(path), Origin::User, bytes);
    Ok(loader.loaded)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    User,
    Stdlib,
}

struct Loader<'r> {
    reader: &'r mut dyn FileReader,
    loaded: Loaded,
    /// Files already added, by normalized path (or stdlib import path).
    by_path: HashMap<PathBuf, FileId>,
    /// Files being loaded, outermost first, with the import that led to the next one.
    stack: Vec<(FileId, Option<Span>)>,
}

impl Loader<'_> {
    /// Adds a file, parses it and loads its imports; returns its id.
    fn add(&mut self, display: &str, path: PathBuf, origin: Origin, bytes: Vec<u8>) -> FileId {
        let text = match String::from_utf8(bytes) {
            Ok(text) => Ok(text),
            Err(error) => {
                let valid = error.utf8_error().valid_up_to();
                Err((
                    String::from_utf8_lossy(error.as_bytes()).into_owned(),
                    valid,
                ))
            }
        };
        let (text, bad_utf8) = match text {
            Ok(text) => (text, None),
            Err((text, at)) => (text, Some(at)),
        };
        let id = self
            .loaded
            .sources
            .add(display, text, origin == Origin::Stdlib);
        self.by_path.insert(path.clone(), id);
        self.loaded.files.push(LoadedFile {
            id,
            ast: ast::File::default(),
            imports: Vec::new(),
        });

        if let Some(at) = bad_utf8 {
            // The lossy text holds U+FFFD (3 bytes) where the first bad byte was.
            let span = Span::new(id, at, at + '\u{FFFD}'.len_utf8());
            self.loaded.diagnostics.push(
                Diagnostic::new(
                    Code::InvalidUtf8,
                    "this file is not valid UTF-8",
                    span,
                    "invalid byte here",
                )
                .with_help("save the file as UTF-8"),
            );
            self.loaded.incomplete = true;
            return id;
        }

        let parsed = syntax::parse(id, &self.loaded.sources.file(id).text);
        self.loaded.diagnostics.extend(parsed.diagnostics);
        self.loaded.incomplete |= parsed.failed;
        let ast = parsed.file;

        let mut imports = Vec::with_capacity(ast.imports.len());
        for import in &ast.imports {
            self.stack.push((id, Some(import.path_span)));
            imports.push(self.import(display, &path, origin, import));
            self.stack.pop();
        }
        let file = &mut self.loaded.files[id.0 as usize];
        file.ast = ast;
        file.imports = imports;
        id
    }

    fn import(
        &mut self,
        importer_display: &str,
        importer_path: &Path,
        origin: Origin,
        import: &ast::Import,
    ) -> Option<FileId> {
        let (display, path, target_origin) =
            if let Some(rest) = import.path.strip_prefix(stdlib::PREFIX) {
                let display = format!("{}{rest}", stdlib::PREFIX);
                (
                    display.clone(),
                    PathBuf::from(format!("<stdlib>/{rest}")),
                    Origin::Stdlib,
                )
            } else if origin == Origin::Stdlib {
                // Stdlib files import only each other, by their `stdlib/` names.
                self.missing(import, "a stdlib file can only import other stdlib files");
                return None;
            } else {
                let base = Path::new(importer_display)
                    .parent()
                    .unwrap_or(Path::new(""));
                let display = normalize(&base.join(&import.path))
                    .to_string_lossy()
                    .replace('\\', "/");
                let fs_base = importer_path.parent().unwrap_or(Path::new(""));
                (
                    display,
                    normalize(&fs_base.join(&import.path)),
                    Origin::User,
                )
            };

        if let Some(&existing) = self.by_path.get(&path) {
            if let Some(position) = self.stack.iter().position(|(file, _)| *file == existing) {
                self.cycle(position, existing);
                // The edge is kept (not followed again), so names stay visible across it.
                return Some(existing);
            }
            return Some(existing);
        }

        let bytes = match target_origin {
            Origin::Stdlib => match stdlib::file(&display) {
                Some(text) => text.as_bytes().to_vec(),
                None => {
                    let known: Vec<String> = stdlib::paths().map(|p| format!("`{p}`")).collect();
                    self.missing(import, &format!("the stdlib has {}", known.join(", ")));
                    return None;
                }
            },
            Origin::User => match self.reader.read(&path) {
                Ok(bytes) => bytes,
                Err(error) if error.kind() == io::ErrorKind::NotFound => {
                    self.missing(import, &format!("no file at `{display}`; import paths are relative to the importing file"));
                    return None;
                }
                Err(error) => {
                    self.loaded.diagnostics.push(
                        Diagnostic::new(
                            Code::UnreadableFile,
                            format!("cannot read `{display}`: {}", describe_io(&error)),
                            import.path_span,
                            "imported here",
                        )
                        .with_help("check the file's permissions"),
                    );
                    self.loaded.incomplete = true;
                    return None;
                }
            },
        };
        Some(self.add(&display, path, target_origin, bytes))
    }

    fn missing(&mut self, import: &ast::Import, help: &str) {
        self.loaded.diagnostics.push(
            Diagnostic::new(
                Code::MissingImport,
                format!("cannot find the imported file `{}`", import.path),
                import.path_span,
                "not found",
            )
            .with_help(help.to_string()),
        );
        self.loaded.incomplete = true;
    }

    /// Reports the cycle from `stack[position]` back to `target`.
    fn cycle(&mut self, position: usize, target: FileId) {
        let sources = &self.loaded.sources;
        let chain: Vec<&str> = self.stack[position..]
            .iter()
            .map(|(file, _)| sources.file(*file).name.as_str())
            .chain(std::iter::once(sources.file(target).name.as_str()))
            .collect();
        let Some((_, Some(closing))) = self.stack.last().copied() else {
            return;
        };
        let mut diagnostic = Diagnostic::new(
            Code::ImportCycle,
            format!("import cycle: {}", chain.join(" → ")),
            closing,
            "this import closes the cycle",
        )
        .with_help("move the shared declarations into a file that both import");
        for (_, span) in &self.stack[position..self.stack.len() - 1] {
            if let Some(span) = span {
                diagnostic = diagnostic.with_label(*span, "imported here");
            }
        }
        self.loaded.diagnostics.push(diagnostic);
    }
}

/// Resolves `.` and `..` without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if matches!(out.components().next_back(), Some(Component::Normal(_))) {
                    out.pop();
                } else {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}
