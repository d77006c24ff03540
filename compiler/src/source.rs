//! Source files and spans: one [`SourceMap`] owns the text of every loaded file and turns
//! byte offsets into line/column positions.

use serde::Serialize;

/// Identifies one file of a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct FileId(pub u32);

/// A byte range `start..end` in one file. Offsets always fall on UTF-8 boundaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    /// The file the range is in.
    pub file: FileId,
    /// First byte of the range.
    pub start: u32,
    /// One past the last byte of the range; `start <= end`.
    pub end: u32,
}

impl Span {
    /// A span over `start..end` in `file`.
    pub fn new(file: FileId, start: usize, end: usize) -> Self {
        Span {
            file,
            start: to_u32(start),
            end: to_u32(end),
        }
    }

    /// The length of the span in bytes.
    pub fn len(&self) -> usize {
        (self.end - self.start) as usize
    }

    /// True for an empty span (a position rather than a range).
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

impl Serialize for Span {
    /// Spans appear in the IR as `"file:start..end"`, e.g. `"0:54..73"`.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&format_args!(
            "{}:{}..{}",
            self.file.0, self.start, self.end
        ))
    }
}

/// Offsets are kept as `u32`; files larger than 4 GiB are refused when they are loaded.
fn to_u32(offset: usize) -> u32 {
    u32::try_from(offset).unwrap_or(u32::MAX)
}

/// The largest source file the compiler accepts, in bytes.
pub const MAX_FILE_SIZE: usize = 64 * 1024 * 1024;

/// One loaded source file.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The name shown to the user: the path as given, or `stdlib/<name>` for the stdlib.
    pub name: String,
    /// The file's text. Invalid UTF-8 is replaced before it gets here (and reported).
    pub text: String,
    /// True for files shipped with the compiler.
    pub is_stdlib: bool,
}

/// Every file of one compilation, addressed by [`FileId`].
#[derive(Debug, Default, Clone)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file and returns its id.
    pub fn add(
        &mut self,
        name: impl Into<String>,
        text: impl Into<String>,
        is_stdlib: bool,
    ) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).unwrap_or(u32::MAX));
        self.files.push(SourceFile {
            name: name.into(),
            text: text.into(),
            is_stdlib,
        });
        id
    }

    /// The file with this id.
    ///
    /// # Panics
    /// If the id was not handed out by this map (ids are only made by [`SourceMap::add`]).
    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// All files in the order they were added.
    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(index, file)| (FileId(index as u32), file))
    }

    /// The text a span covers.
    pub fn snippet(&self, span: Span) -> &str {
        let text = &self.file(span.file).text;
        text.get(span.start as usize..span.end as usize)
            .unwrap_or("")
    }

    /// The 1-based line and column (in characters) where `span` starts. A byte order mark
    /// at the start of the file is not a character of the first line, as editors show it.
    pub fn line_col(&self, span: Span) -> (usize, usize) {
        let text = &self.file(span.file).text;
        let before = text.get(..span.start as usize).unwrap_or(text);
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let line_before = &before[line_start..];
        let line_before = if line_start == 0 {
            line_before.strip_prefix('\u{FEFF}').unwrap_or(line_before)
        } else {
            line_before
        };
        (line, line_before.chars().count() + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_characters_and_not_a_byte_order_mark() {
        let mut sources = SourceMap::new();
        let file = sources.add("a.nubes", "\u{FEFF}é x\ny", false);
        // `x` is byte 6 (3 for the mark, 2 for `é`, 1 for the space).
        assert_eq!(sources.line_col(Span::new(file, 6, 7)), (1, 3));
        assert_eq!(sources.line_col(Span::new(file, 8, 9)), (2, 1));
    }
}
