//! The TextMate grammar of `.nubes` (`editors/textmate/nubes.tmLanguage.json`) agrees with
//! the compiler's own parser. `scripts/textmate` tokenizes the repository's schemas with
//! vscode-textmate, the engine of VS Code and Shiki; every name, type, attribute and
//! keyword the parser finds must be a token of its own with the scope its role calls for,
//! comments must be comments and nothing else, and the tokens of the hotel example must
//! match `tests/golden/textmate/hotel.tokens`.
//!
//! Needs `scripts/textmate --install` (scripts/test runs it).
//! `NUBES_BLESS=1 cargo test -p nubesc --test textmate` rewrites the golden tokens and the
//! copy of the grammar in `editors/vscode/syntaxes/`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use nubesc::source::FileId;
use nubesc::syntax::ast::{self, AttributeArg, Literal, TypeExpr};

const GRAMMAR: &str = "editors/textmate/nubes.tmLanguage.json";
const VSCODE_GRAMMAR: &str = "editors/vscode/syntaxes/nubes.tmLanguage.json";
const GOLDEN_HOTEL: &str = "tests/golden/textmate/hotel.tokens";
const HOTEL: &str = "examples/hotel.nubes";

/// The built-in types of LANGUAGE.md §3; the stdlib types the compiler maps to primitives
/// (`Timestamp`, `Date`) are asked from `nubesc::stdlib`.
const PRIMITIVES: &[&str] = &["String", "Int", "Float", "Bool", "Bytes"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn blessing() -> bool {
    std::env::var_os("NUBES_BLESS").is_some_and(|value| value != "0")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Runs `scripts/textmate` from the repository root. Fails the test, saying how to install
/// the tools, when they are missing.
fn textmate(args: &[&str]) -> Output {
    let root = root();
    let installed = Command::new(root.join("scripts/textmate"))
        .arg("--path")
        .current_dir(&root)
        .output()
        .expect("scripts/textmate runs");
    assert!(
        installed.status.success(),
        "the TextMate test tools are missing: run `scripts/textmate --install` \
         (scripts/test does)\n{}",
        text(&installed)
    );
    Command::new(root.join("scripts/textmate"))
        .args(args)
        .current_dir(&root)
        .output()
        .expect("scripts/textmate runs")
}

/// Every schema the grammar is checked on, relative to the repository root: the hotel
/// example, the stdlib and the passing golden cases with their helper files.
fn schemas() -> Vec<String> {
    let mut found = vec![HOTEL.to_string()];
    for dir in [
        "compiler/stdlib",
        "tests/golden/pass",
        "tests/golden/pass/lib",
    ] {
        let mut here = Vec::new();
        collect(&root(), Path::new(dir), dir == "compiler/stdlib", &mut here);
        here.sort();
        found.extend(here);
    }
    found
}

fn collect(root: &Path, dir: &Path, recursive: bool, found: &mut Vec<String>) {
    let entries = fs::read_dir(root.join(dir))
        .unwrap_or_else(|error| panic!("cannot list {}: {error}", dir.display()));
    for entry in entries.filter_map(Result::ok) {
        let relative = dir.join(entry.file_name());
        let path = entry.path();
        if path.is_dir() {
            if recursive {
                collect(root, &relative, recursive, found);
            }
        } else if path.extension().is_some_and(|ext| ext == "nubes") {
            found.push(relative.to_string_lossy().replace('\\', "/"));
        }
    }
}

/// One token: on `line` (1-based), the characters `start..end` (0-based, counted in
/// Unicode code points).
#[derive(Debug, Clone)]
struct Token {
    line: usize,
    start: usize,
    end: usize,
    text: String,
    scopes: Vec<String>,
}

impl Token {
    /// True when one of the token's scopes is `scope` or more specific (`scope.x`).
    fn has(&self, scope: &str) -> bool {
        self.scopes
            .iter()
            .any(|s| s == scope || s.strip_prefix(scope).is_some_and(|r| r.starts_with('.')))
    }

    fn describe(&self) -> String {
        format!("{:?} [{}]", self.text, self.scopes.join(" "))
    }
}

/// The output of `scripts/textmate tokenize`, file by file: the token lines as printed, and
/// the tokens read from them.
struct Tokenized {
    lines: Vec<String>,
    tokens: Vec<Token>,
}

fn parse_token(line: &str) -> Token {
    let mut parts = line.splitn(3, '\t');
    let (Some(place), Some(quoted), Some(scopes)) = (parts.next(), parts.next(), parts.next())
    else {
        panic!("not a token line: {line:?}");
    };
    let parsed = place.split_once(':').and_then(|(line, columns)| {
        let (first, last) = columns.split_once('-')?;
        Some((
            line.parse::<usize>().ok()?,
            first.parse::<usize>().ok()?,
            last.parse::<usize>().ok()?,
        ))
    });
    let Some((number, first, last)) = parsed else {
        panic!("not a token position: {line:?}");
    };
    let text: String = serde_json::from_str(quoted)
        .unwrap_or_else(|error| panic!("not a JSON string in {line:?}: {error}"));
    Token {
        line: number,
        start: first - 1,
        end: last,
        text,
        scopes: scopes.split(' ').map(str::to_string).collect(),
    }
}

/// Every schema of [`schemas`], tokenized once for all the tests of this file.
fn tokenized() -> &'static BTreeMap<String, Tokenized> {
    static TOKENIZED: OnceLock<BTreeMap<String, Tokenized>> = OnceLock::new();
    TOKENIZED.get_or_init(|| tokenize(&schemas()))
}

/// The tokens of `files` (paths relative to the repository root, or absolute).
fn tokenize(files: &[String]) -> BTreeMap<String, Tokenized> {
    {
        let mut args = vec!["tokenize"];
        args.extend(files.iter().map(String::as_str));
        let output = textmate(&args);
        assert!(
            output.status.success(),
            "scripts/textmate tokenize failed:\n{}",
            text(&output)
        );
        let stdout = String::from_utf8(output.stdout).expect("the tokens are UTF-8");
        let mut all = BTreeMap::new();
        let mut current: Option<(String, Tokenized)> = None;
        for line in stdout.lines() {
            if let Some(file) = line.strip_prefix("# file: ") {
                all.extend(current.take());
                let empty = Tokenized {
                    lines: Vec::new(),
                    tokens: Vec::new(),
                };
                current = Some((file.to_string(), empty));
            } else {
                let (_, tokenized) = current
                    .as_mut()
                    .unwrap_or_else(|| panic!("a token before the first file: {line:?}"));
                tokenized.lines.push(line.to_string());
                tokenized.tokens.push(parse_token(line));
            }
        }
        all.extend(current);
        for file in files {
            assert!(all.contains_key(file), "no tokens for {file}");
        }
        all
    }
}

/// A source file, with byte offsets turned into lines and character columns.
struct Source {
    text: String,
    line_starts: Vec<usize>,
}

impl Source {
    fn new(text: String) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(at, _)| at + 1));
        Source { text, line_starts }
    }

    /// The 1-based line and 0-based character column of a byte offset.
    fn position(&self, offset: usize) -> (usize, usize) {
        let line = self.line_starts.partition_point(|&start| start <= offset);
        let start = self.line_starts[line - 1];
        (line, self.text[start..offset].chars().count())
    }

    /// The byte range `start..end` cut at line ends: `(line, first column, end column)`.
    fn segments(&self, start: usize, end: usize) -> Vec<(usize, usize, usize)> {
        let mut out = Vec::new();
        let mut from = start;
        while from < end {
            let line_end = self.text[from..end]
                .find('\n')
                .map_or(end, |newline| from + newline);
            if line_end > from {
                let (line, first) = self.position(from);
                let (_, last) = self.position(line_end);
                out.push((line, first, last));
            }
            from = line_end + 1;
        }
        out
    }

    /// The offset of `word` when it is the last thing before `offset` (blank space
    /// between), preceded by a non-identifier character.
    fn before(&self, offset: usize, word: &str) -> Option<usize> {
        let head = self.text[..offset].trim_end();
        let start = head.strip_suffix(word).map(str::len)?;
        let boundary = !head[..start]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        boundary.then_some(start)
    }

    /// The offset of the next character after `offset` that is not blank space or part of
    /// a comment.
    fn skip_blank(&self, mut offset: usize) -> usize {
        loop {
            let rest = &self.text[offset..];
            let trimmed = rest.trim_start();
            offset += rest.len() - trimmed.len();
            if trimmed.starts_with("//") {
                offset += trimmed.find('\n').unwrap_or(trimmed.len());
            } else if let Some(body) = trimmed.strip_prefix("/*") {
                offset += body.find("*/").map_or(trimmed.len(), |end| end + 4);
            } else {
                return offset;
            }
        }
    }

    /// The offset of `punctuation` when it is the next thing after `offset`.
    fn after(&self, offset: usize, punctuation: &str) -> Option<usize> {
        let at = self.skip_blank(offset);
        self.text[at..].starts_with(punctuation).then_some(at)
    }
}

/// What kind of comment a range of the source is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CommentKind {
    Doc,
    Line,
    Block,
}

impl CommentKind {
    fn scope(self) -> &'static str {
        match self {
            CommentKind::Doc => "comment.line.documentation",
            CommentKind::Line => "comment.line.double-slash",
            CommentKind::Block => "comment.block",
        }
    }
}

/// The comments of a source, as byte ranges, found by reading it the way the grammar of
/// the language does: `///` (not `////`) to the line end is a doc comment, `//` to the
/// line end a comment, `/* … */` a comment that does not nest, and none starts in a string.
fn comments(text: &str) -> Vec<(usize, usize, CommentKind)> {
    let bytes = text.as_bytes();
    let line_end = |from: usize| text[from..].find('\n').map_or(text.len(), |end| from + end);
    let mut found = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let rest = &text[at..];
        if rest.starts_with("///") && !rest.starts_with("////") {
            let end = line_end(at);
            found.push((at, end, CommentKind::Doc));
            at = end;
        } else if rest.starts_with("//") {
            let end = line_end(at);
            found.push((at, end, CommentKind::Line));
            at = end;
        } else if let Some(body) = rest.strip_prefix("/*") {
            let end = body.find("*/").map_or(text.len(), |end| at + 2 + end + 2);
            found.push((at, end, CommentKind::Block));
            at = end;
        } else if bytes[at] == b'"' {
            at += 1;
            while at < bytes.len() && bytes[at] != b'"' && bytes[at] != b'\n' {
                at += if bytes[at] == b'\\' { 2 } else { 1 };
            }
            at += 1;
        } else {
            at += rest.chars().next().map_or(1, char::len_utf8);
        }
    }
    found
}

/// Compares the tokens of one file with what the parser read, collecting every mismatch.
struct Checker<'a> {
    file: &'a str,
    source: &'a Source,
    tokens: &'a [Token],
    failures: Vec<String>,
    /// How many expectations were checked.
    checked: usize,
}

impl Checker<'_> {
    fn fail(&mut self, offset: usize, message: String) {
        let (line, column) = self.source.position(offset);
        self.failures
            .push(format!("{}:{line}:{}: {message}", self.file, column + 1));
    }

    /// The bytes `start..end` are whole tokens (none reaches outside them), each with
    /// `scope`.
    fn expect(&mut self, start: usize, end: usize, scope: &str, what: &str) {
        self.checked += 1;
        let snippet = self.source.text.get(start..end).unwrap_or("").to_string();
        if start >= end {
            self.fail(start, format!("{what} has an empty span"));
            return;
        }
        for (line, first, last) in self.source.segments(start, end) {
            let covering: Vec<&Token> = self
                .tokens
                .iter()
                .filter(|t| t.line == line && t.start < last && t.end > first)
                .collect();
            let (Some(head), Some(tail)) = (covering.first(), covering.last()) else {
                self.fail(start, format!("{what} `{snippet}` has no token"));
                return;
            };
            if head.start != first || tail.end != last {
                let seen: Vec<String> = covering.iter().map(|t| t.describe()).collect();
                self.fail(
                    start,
                    format!(
                        "{what} `{snippet}` is not a token of its own: {}",
                        seen.join(", ")
                    ),
                );
                return;
            }
            if let Some(token) = covering.iter().find(|t| !t.has(scope)) {
                self.fail(
                    start,
                    format!(
                        "{what} `{snippet}` should be scoped {scope}, but {} is not",
                        token.describe()
                    ),
                );
                return;
            }
        }
    }

    fn ident(&mut self, ident: &ast::Ident, scope: &str, what: &str) {
        self.expect(
            ident.span.start as usize,
            ident.span.end as usize,
            scope,
            what,
        );
    }

    /// The single character at `offset` is `expected`, a token scoped `scope`.
    fn punctuation(&mut self, offset: usize, expected: &str, scope: &str) {
        if self.source.text[offset..].starts_with(expected) {
            self.expect(offset, offset + expected.len(), scope, "punctuation");
        } else {
            self.fail(offset, format!("expected `{expected}` here"));
        }
    }

    /// `word` stands right before `offset`, a token scoped `scope`.
    fn keyword_before(&mut self, offset: usize, word: &str, scope: &str) {
        match self.source.before(offset, word) {
            Some(start) => self.expect(start, start + word.len(), scope, "keyword"),
            None => self.fail(offset, format!("no `{word}` right before this")),
        }
    }

    /// `punctuation` comes next after `offset`, a token scoped `scope`; returns its end.
    fn punctuation_after(&mut self, offset: usize, expected: &str, scope: &str) -> usize {
        match self.source.after(offset, expected) {
            Some(at) => {
                self.expect(at, at + expected.len(), scope, "punctuation");
                at + expected.len()
            }
            None => {
                self.fail(offset, format!("no `{expected}` after this"));
                offset
            }
        }
    }

    /// A string literal `"…"` is a string, its quotes punctuation and each `\x` in it an
    /// escape.
    fn string(&mut self, start: usize, end: usize, what: &str) {
        self.expect(start, end, "string.quoted.double", what);
        self.punctuation(start, "\"", "punctuation.definition.string.begin");
        self.punctuation(end - 1, "\"", "punctuation.definition.string.end");
        let mut at = start + 1;
        while let Some(found) = self.source.text.get(at..end - 1).and_then(|s| s.find('\\')) {
            let escape = at + found;
            let next = self.source.text[escape + 1..]
                .chars()
                .next()
                .map_or(1, char::len_utf8);
            self.expect(
                escape,
                escape + 1 + next,
                "constant.character.escape",
                "escape",
            );
            at = escape + 1 + next;
        }
    }

    fn file(&mut self, file: &ast::File) {
        for import in &file.imports {
            let path = import.path_span;
            self.keyword_before(path.start as usize, "import", "keyword.other.import");
            self.string(path.start as usize, path.end as usize, "import path");
        }
        for decl in &file.decls {
            self.decl(decl);
        }
    }

    fn decl(&mut self, decl: &ast::TypeDecl) {
        let keyword = decl.kind.keyword();
        let name = &decl.name;
        self.keyword_before(
            name.span.start as usize,
            keyword,
            &format!("storage.type.{keyword}"),
        );
        self.ident(
            name,
            &format!("entity.name.type.{keyword}"),
            "declared type name",
        );
        self.punctuation_after(
            name.span.end as usize,
            "{",
            "punctuation.section.block.begin",
        );
        self.punctuation(
            decl.span.end as usize - 1,
            "}",
            "punctuation.section.block.end",
        );
        for variant in &decl.variants {
            self.ident(&variant.name, "variable.other.enummember", "enum variant");
        }
        for field in &decl.fields {
            self.ident(&field.name, "variable.other.member", "field name");
            self.punctuation_after(
                field.name.span.end as usize,
                ":",
                "punctuation.separator.type",
            );
            self.ty(&field.ty);
            for attribute in &field.attributes {
                self.attribute(attribute);
            }
        }
        for method in &decl.methods {
            self.method(method);
        }
    }

    fn method(&mut self, method: &ast::Method) {
        if let Some(readonly) = method.readonly {
            self.expect(
                readonly.start as usize,
                readonly.end as usize,
                "storage.modifier.readonly",
                "`readonly`",
            );
        }
        let name = &method.name;
        self.keyword_before(name.span.start as usize, "fn", "storage.type.function");
        self.ident(name, "entity.name.function", "method name");
        let mut end = self.punctuation_after(
            name.span.end as usize,
            "(",
            "punctuation.section.parameters.begin",
        );
        for param in &method.params {
            self.ident(&param.name, "variable.parameter", "parameter name");
            self.punctuation_after(
                param.name.span.end as usize,
                ":",
                "punctuation.separator.type",
            );
            self.ty(&param.ty);
            end = self.source.skip_blank(param.ty.span().end as usize);
            if self.source.text[end..].starts_with(',') {
                self.expect(end, end + 1, "punctuation.separator.comma", "comma");
                end += 1;
            }
        }
        self.punctuation_after(end, ")", "punctuation.section.parameters.end");
        if let Some(ret) = &method.ret {
            self.keyword_before(ret.span().start as usize, "->", "keyword.operator.arrow");
            self.ty(ret);
        }
        if let Some(first) = method.raises.first() {
            self.keyword_before(first.span.start as usize, "raises", "keyword.other.raises");
        }
        for raised in &method.raises {
            self.ident(raised, "entity.name.type", "raised error");
        }
    }

    fn ty(&mut self, ty: &TypeExpr) {
        match ty {
            TypeExpr::Named(name) => {
                let primitive = PRIMITIVES.contains(&name.name.as_str())
                    || nubesc::stdlib::paths()
                        .any(|file| nubesc::stdlib::mapped_type(file, &name.name).is_some());
                if primitive {
                    self.ident(name, "support.type.primitive", "built-in type");
                } else {
                    self.ident(name, "entity.name.type", "type reference");
                }
            }
            TypeExpr::Optional(inner, span) => {
                self.ty(inner);
                self.punctuation(span.end as usize - 1, "?", "keyword.operator.optional");
            }
            TypeExpr::List(inner, span) => {
                self.punctuation(
                    span.start as usize,
                    "[",
                    "punctuation.definition.list.begin",
                );
                self.ty(inner);
                self.punctuation(
                    span.end as usize - 1,
                    "]",
                    "punctuation.definition.list.end",
                );
            }
            TypeExpr::Map(key, value, span) => {
                let start = span.start as usize;
                self.expect(start, start + "Map".len(), "support.type.map", "`Map`");
                self.punctuation_after(
                    start + "Map".len(),
                    "<",
                    "punctuation.definition.generic.begin",
                );
                self.ty(key);
                self.ty(value);
                self.punctuation(
                    span.end as usize - 1,
                    ">",
                    "punctuation.definition.generic.end",
                );
            }
        }
    }

    fn attribute(&mut self, attribute: &ast::Attribute) {
        let (start, end) = (attribute.span.start as usize, attribute.span.end as usize);
        self.expect(start, end, "meta.attribute", "attribute");
        self.punctuation(start, "@", "punctuation.definition.attribute");
        self.ident(
            &attribute.name,
            "entity.other.attribute-name",
            "attribute name",
        );
        let names_a_field = matches!(attribute.name.name.as_str(), "hasOne" | "hasMany");
        for arg in attribute.args.iter().flatten() {
            let span = arg.span();
            let scope = match arg {
                AttributeArg::Ident(_) if names_a_field => "variable.other.member",
                AttributeArg::Ident(_) => "variable.other.enummember",
                AttributeArg::Literal(Literal::String(_), _) => "string.quoted.double",
                AttributeArg::Literal(Literal::Int(_) | Literal::Float(_), _) => "constant.numeric",
                AttributeArg::Literal(Literal::Bool(_), _) => "constant.language.boolean",
            };
            self.expect(
                span.start as usize,
                span.end as usize,
                scope,
                "attribute argument",
            );
            if matches!(arg, AttributeArg::Literal(Literal::String(_), _)) {
                self.string(span.start as usize, span.end as usize, "string");
            }
        }
    }

    /// Comments are comments of the right kind, made of tokens that start and end inside
    /// them and carry no scope of code; no other token is a comment; and every other
    /// token that is not blank space has a scope of its own (not only `source.nubes` and
    /// `meta.*` ones).
    fn comments(&mut self) {
        let regions = comments(&self.source.text);
        let mut in_comment = vec![false; self.tokens.len()];
        for &(start, end, kind) in &regions {
            for (line, first, last) in self.source.segments(start, end) {
                for (index, token) in self.tokens.iter().enumerate() {
                    if token.line != line || token.start >= last || token.end <= first {
                        continue;
                    }
                    in_comment[index] = true;
                    if token.start < first || token.end > last {
                        self.fail(
                            start,
                            format!("{} reaches outside the comment", token.describe()),
                        );
                    } else if !token.has(kind.scope()) {
                        self.fail(
                            start,
                            format!(
                                "{} inside a comment is not scoped {}",
                                token.describe(),
                                kind.scope()
                            ),
                        );
                    } else if let Some(code) = token
                        .scopes
                        .iter()
                        .skip_while(|s| !s.starts_with("comment."))
                        .find(|s| {
                            !s.starts_with("comment.")
                                && !s.starts_with("punctuation.definition.comment")
                        })
                    {
                        self.fail(
                            start,
                            format!(
                                "{} inside a comment is scoped as code ({code})",
                                token.describe()
                            ),
                        );
                    }
                }
            }
        }
        for (token, inside) in self.tokens.iter().zip(in_comment) {
            let offset = self.source.line_starts[token.line - 1];
            if !inside && token.has("comment") {
                self.fail(
                    offset,
                    format!("{} is scoped as a comment but is code", token.describe()),
                );
            }
            let innermost = token.scopes.last().map_or("", String::as_str);
            let unscoped = innermost == "source.nubes" || innermost.starts_with("meta.");
            if !inside && unscoped && !token.text.trim().is_empty() {
                self.fail(offset, format!("{} has no scope", token.describe()));
            }
        }
    }
}

/// Checks the tokens of one schema against the parser's reading of it: the mismatches,
/// and how many places were checked.
fn check_roles(file: &str, text: &str, tokens: &[Token]) -> (Vec<String>, usize) {
    let source = Source::new(text.to_string());
    let parsed = nubesc::syntax::parse(FileId(0), &source.text);
    assert!(
        !parsed.failed && parsed.diagnostics.is_empty(),
        "{file} does not parse: {:#?}",
        parsed.diagnostics
    );
    let mut checker = Checker {
        file,
        source: &source,
        tokens,
        failures: Vec::new(),
        checked: 0,
    };
    checker.file(&parsed.file);
    assert!(checker.checked > 0, "{file} has nothing to check");
    (checker.failures, checker.checked)
}

/// Checks the comments of one schema and that everything else is scoped as code.
fn check_comments(file: &str, text: &str, tokens: &[Token]) -> Vec<String> {
    let source = Source::new(text.to_string());
    let mut checker = Checker {
        file,
        source: &source,
        tokens,
        failures: Vec::new(),
        checked: 0,
    };
    checker.comments();
    checker.failures
}

fn read(file: &str) -> String {
    fs::read_to_string(root().join(file))
        .unwrap_or_else(|error| panic!("cannot read {file}: {error}"))
}

#[test]
fn every_name_type_attribute_and_keyword_has_the_scope_of_its_role() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for (file, tokens) in tokenized() {
        let (mut found, count) = check_roles(file, &read(file), &tokens.tokens);
        failures.append(&mut found);
        checked += count;
    }
    assert!(
        failures.is_empty(),
        "the TextMate grammar disagrees with the parser:\n{}",
        failures.join("\n")
    );
    assert!(checked > 1000, "only {checked} places were checked");
}

#[test]
fn comments_are_scoped_as_comments_and_nothing_else_is() {
    let mut failures = Vec::new();
    let mut counts = [0usize; 3];
    for (file, tokens) in tokenized() {
        let text = read(file);
        for (_, _, kind) in comments(&text) {
            counts[kind as usize] += 1;
        }
        failures.append(&mut check_comments(file, &text, &tokens.tokens));
    }
    assert!(
        counts.iter().all(|&count| count > 0),
        "the schemas should have doc, line and block comments, found {counts:?}"
    );
    assert!(
        failures.is_empty(),
        "the TextMate grammar gets comments wrong:\n{}",
        failures.join("\n")
    );
}

/// Valid syntax the repository's schemas do not show (the checker would reject some of
/// it, e.g. keywords as names, but the parser reads it).
const EDGE_CASES: &str = r#"// Names that are keywords, escapes, text that is not ASCII (« é ») and odd layout.
import "stdlib/time.nubes";

/// Ünïcödé in a doc comment.
object Edge {
  type: String, readonly: Bool; fn: Int
  error: Map
  struct: [Map]?
  @default("a \"quoted\" é \\ // value") note: String
  @default(-1.5) ratio: Float
  @default(-3) @readonly delta: Int
  nested: Map<String, [Map<String, Int?>]>?
  spaced: Map <String, Bool>
  grid: [
    [Int]
  ]
  readonly
  fn split() -> Bool
  fn import(object: Edge, enum: Date) -> Edge raises Oops
  /* block */ fn y(a: Int /* c */, b: String,) -> [Edge] // trailing
  enum: Timestamp /* a // b */ @default("/* not a comment */")
}

error Oops {}
enum E { A; B, /* c */ C }
"#;

/// A file in `target/` that is removed when the test ends, also when it fails.
struct Scratch(PathBuf);

impl Scratch {
    fn new(dir: &Path, name: &str, text: &str) -> Self {
        fs::create_dir_all(dir).expect("a scratch directory");
        let path = dir.join(format!("{}-{name}", std::process::id()));
        fs::write(&path, text).expect("the scratch file is written");
        Scratch(path)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

#[test]
fn edge_cases_have_the_scopes_of_their_roles() {
    let dir = root().join("target/textmate-tests");
    let scratch = Scratch::new(&dir, "edge.nubes", EDGE_CASES);
    let file = scratch.0.to_string_lossy().into_owned();
    let tokenized = tokenize(std::slice::from_ref(&file));
    let tokens = &tokenized[&file].tokens;
    let (mut failures, _) = check_roles("edge cases", EDGE_CASES, tokens);
    failures.append(&mut check_comments("edge cases", EDGE_CASES, tokens));
    assert!(
        failures.is_empty(),
        "the TextMate grammar gets edge cases wrong:\n{}",
        failures.join("\n")
    );
}

#[test]
fn the_tokens_of_the_hotel_example_match_the_golden_file() {
    let tokens = &tokenized()[HOTEL];
    let actual = tokens.lines.join("\n") + "\n";
    let golden = root().join(GOLDEN_HOTEL);
    if blessing() {
        fs::create_dir_all(golden.parent().expect("a parent directory"))
            .expect("the golden directory is created");
        fs::write(&golden, &actual).expect("the golden tokens are written");
        return;
    }
    let expected = fs::read_to_string(&golden).unwrap_or_else(|error| {
        panic!("cannot read {GOLDEN_HOTEL} ({error}); bless it with NUBES_BLESS=1")
    });
    if expected != actual {
        let difference = expected
            .lines()
            .zip(actual.lines())
            .enumerate()
            .find(|(_, (old, new))| old != new)
            .map_or_else(
                || {
                    format!(
                        "{} golden lines, {} now",
                        expected.lines().count(),
                        actual.lines().count()
                    )
                },
                |(index, (old, new))| {
                    format!("line {}:\n  golden: {old}\n  now:    {new}", index + 1)
                },
            );
        panic!(
            "the tokens of {HOTEL} differ from {GOLDEN_HOTEL}, first at {difference}\n\
             Review the change and bless it with NUBES_BLESS=1 cargo test -p nubesc --test textmate"
        );
    }
}

fn read_json(path: &str) -> serde_json::Value {
    let text = fs::read_to_string(root().join(path))
        .unwrap_or_else(|error| panic!("cannot read {path}: {error}"));
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("{path} is not JSON: {error}"))
}

/// Every string value of the key `key` anywhere in `value`, leaving out `comment`s.
fn find_key<'a>(value: &'a serde_json::Value, key: &str, out: &mut Vec<&'a str>) {
    match value {
        serde_json::Value::Object(map) => {
            for (name, inner) in map {
                if name == key {
                    if let Some(text) = inner.as_str() {
                        out.push(text);
                    }
                }
                if name != "comment" {
                    find_key(inner, key, out);
                }
            }
        }
        serde_json::Value::Array(items) => {
            for inner in items {
                find_key(inner, key, out);
            }
        }
        _ => {}
    }
}

#[test]
fn the_grammar_is_valid_and_every_regex_compiles() {
    let grammar = read_json(GRAMMAR);
    assert_eq!(grammar["scopeName"], "source.nubes");
    assert_eq!(grammar["fileTypes"], serde_json::json!(["nubes"]));
    assert_eq!(
        grammar["name"], "nubes",
        "Shiki takes the language's id from `name`"
    );
    let mut names = Vec::new();
    for rules in [&grammar["patterns"], &grammar["repository"]] {
        find_key(rules, "name", &mut names);
        find_key(rules, "contentName", &mut names);
    }
    assert!(names.len() > 50, "only {} scope names found", names.len());
    let foreign: Vec<&str> = names
        .iter()
        .flat_map(|name| name.split(' '))
        .filter(|scope| !scope.ends_with(".nubes"))
        .collect();
    assert!(
        foreign.is_empty(),
        "every scope should end in `.nubes`: {foreign:?}"
    );
    let output = textmate(&["check", GRAMMAR]);
    assert!(
        output.status.success(),
        "the grammar does not load:\n{}",
        text(&output)
    );
}

#[test]
fn the_check_rejects_a_broken_regex_and_a_missing_rule() {
    let good = fs::read_to_string(root().join(GRAMMAR)).expect("the grammar");
    let dir = root().join("target/textmate-tests");
    // `check` compiles every regex up front, whether or not a file reaches its rule.
    let cases = [
        (
            "regex",
            r#""match": "\\breadonly\\b""#,
            r#""match": "\\breadonly(\\b""#,
            "repository.readonly.match",
        ),
        (
            "include",
            r##"{ "include": "#readonly" }"##,
            r##"{ "include": "#no-such-rule" }"##,
            "#no-such-rule",
        ),
    ];
    for (name, from, to, expected) in cases {
        let broken = good.replacen(from, to, 1);
        assert_ne!(good, broken, "the grammar has no `{from}` to break");
        let scratch = Scratch::new(&dir, &format!("broken-{name}.json"), &broken);
        let output = textmate(&["check", &scratch.0.to_string_lossy()]);
        assert!(
            !output.status.success(),
            "the check passed a grammar with a broken {name}"
        );
        assert!(
            text(&output).contains(expected),
            "the check failed without naming `{expected}`:\n{}",
            text(&output)
        );
    }
}

#[test]
fn the_vscode_extension_contributes_the_grammar() {
    let manifest = read_json("editors/vscode/package.json");
    let contributes = &manifest["contributes"];
    let language = &contributes["languages"][0];
    assert_eq!(language["id"], "nubes");
    assert_eq!(language["extensions"], serde_json::json!([".nubes"]));
    let grammar = &contributes["grammars"][0];
    assert_eq!(grammar["language"], "nubes");
    assert_eq!(grammar["scopeName"], "source.nubes");
    assert_eq!(grammar["path"], "./syntaxes/nubes.tmLanguage.json");

    let configuration = language["configuration"]
        .as_str()
        .and_then(|path| path.strip_prefix("./"))
        .expect("the language names its configuration");
    let configuration = read_json(&format!("editors/vscode/{configuration}"));
    assert_eq!(configuration["comments"]["lineComment"], "//");
    assert_eq!(
        configuration["comments"]["blockComment"],
        serde_json::json!(["/*", "*/"])
    );

    let original = fs::read_to_string(root().join(GRAMMAR)).expect("the grammar");
    let copy = root().join(VSCODE_GRAMMAR);
    if blessing() {
        fs::write(&copy, &original).expect("the grammar is copied");
        return;
    }
    let copied = fs::read_to_string(&copy).unwrap_or_default();
    assert!(
        copied == original,
        "{VSCODE_GRAMMAR} is not a copy of {GRAMMAR}: run `cp {GRAMMAR} {VSCODE_GRAMMAR}` \
         (or NUBES_BLESS=1 cargo test -p nubesc --test textmate)"
    );
}
