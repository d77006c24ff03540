//! Lays out the tokens of a schema that parsed: one item a line, four spaces an
//! indentation level, one space between tokens where a space reads well, optional
//! separators dropped, and every comment kept where it was.
//!
//! The walk follows the grammar over the code tokens and treats comments as they come:
//! - comments on lines of their own stay on lines of their own, before the same item;
//! - a comment after an item on its line stays after it;
//! - a block comment inside an item stays between the same two tokens;
//! - an item with a line comment (or a block comment over several lines) inside it is kept
//!   as written, re-indented, because joining it onto one line would change what the
//!   comment applies to.

use super::lex::{Kind, Token};

/// Four spaces an indentation level.
const INDENT: &str = "    ";

/// What the previous line written was, for the blank-line rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Previous {
    /// Nothing yet in this block (or the file).
    Nothing,
    /// A `///` line: the item it documents follows without a blank line.
    Doc,
    /// Anything else.
    Line,
}

/// The kind of top-level item last written, for the blank lines around declarations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TopItem {
    None,
    Import,
    Declaration,
}

/// Walks the tokens of one file and writes its canonical text.
pub(super) struct Layout<'a> {
    source: &'a str,
    tokens: Vec<Token<'a>>,
    /// The next token to read.
    pos: usize,
    /// The last code token read.
    last_code: usize,
    lines: Vec<Line>,
    previous: Previous,
}

/// One line of output.
#[derive(Debug, Default)]
struct Line {
    text: String,
    /// Where the comments after the code start (at the space before them), if any.
    comment_at: Option<usize>,
}

impl<'a> Layout<'a> {
    pub(super) fn new(source: &'a str, tokens: Vec<Token<'a>>) -> Self {
        Layout {
            source,
            tokens,
            pos: 0,
            last_code: 0,
            lines: Vec::new(),
            previous: Previous::Nothing,
        }
    }

    /// The formatted file: its lines, ending in one line break (nothing for an empty file).
    pub(super) fn file(mut self) -> String {
        let mut top = TopItem::None;
        loop {
            let Some(next) = self.peek() else {
                self.comments(0, top == TopItem::Declaration, false);
                break;
            };
            let declaration = !next.is_word("import");
            let force_blank = top == TopItem::Declaration || (declaration && top != TopItem::None);
            let wrote_comments = self.comments(0, force_blank, false);
            let force_blank = force_blank && !wrote_comments;
            if declaration {
                self.declaration(force_blank);
                top = TopItem::Declaration;
            } else {
                self.unit(0, force_blank, Self::import);
                top = TopItem::Import;
            }
        }
        align_trailing_comments(&mut self.lines);
        let mut text = String::new();
        for line in &self.lines {
            text.push_str(&line.text);
            text.push('\n');
        }
        text
    }

    // ---------------------------------------------------------------------------------
    // Reading tokens
    // ---------------------------------------------------------------------------------

    /// The index of the `n`-th code token from the current position.
    fn code_index(&self, n: usize) -> Option<usize> {
        (self.pos..self.tokens.len())
            .filter(|&index| !self.tokens[index].is_comment())
            .nth(n)
    }

    fn peek(&self) -> Option<Token<'a>> {
        self.peek_nth(0)
    }

    fn peek_nth(&self, n: usize) -> Option<Token<'a>> {
        self.code_index(n).map(|index| self.tokens[index])
    }

    fn peek_is(&self, punct: &str) -> bool {
        self.peek().is_some_and(|token| token.is(punct))
    }

    /// Reads the next code token, and the comments before it.
    fn bump(&mut self) {
        if let Some(index) = self.code_index(0) {
            self.last_code = index;
            self.pos = index + 1;
        }
    }

    /// True when the next token, comments included, is this punctuation.
    fn next_token_is(&self, punct: &str) -> bool {
        self.tokens
            .get(self.pos)
            .is_some_and(|token| token.is(punct))
    }

    // ---------------------------------------------------------------------------------
    // The grammar, over code tokens
    // ---------------------------------------------------------------------------------

    fn import(&mut self) {
        self.bump(); // `import`
        self.bump(); // the path
        if self.peek_is(";") {
            self.bump();
        }
    }

    fn declaration(&mut self, force_blank: bool) {
        let is_enum = self.peek().is_some_and(|token| token.is_word("enum"));
        let empty = std::cell::Cell::new(false);
        self.unit(0, force_blank, |layout| {
            layout.bump(); // the keyword
            layout.bump(); // the name
            layout.bump(); // `{`
            if layout.next_token_is("}") {
                layout.bump();
                empty.set(true);
            }
        });
        if empty.get() {
            return;
        }
        self.previous = Previous::Nothing;
        while let Some(next) = self.peek() {
            let closing = next.is("}");
            self.comments(1, false, closing);
            if closing {
                break;
            }
            if is_enum {
                self.unit(1, false, Self::variant);
            } else {
                self.unit(1, false, Self::member);
            }
        }
        // No blank line before the closing brace.
        self.previous = Previous::Nothing;
        self.unit(0, false, Self::bump);
    }

    fn separator(&mut self) {
        if self.peek_is(",") || self.peek_is(";") {
            self.bump();
        }
    }

    fn variant(&mut self) {
        self.bump();
        self.separator();
    }

    fn member(&mut self) {
        let first = self.peek();
        let second = self.peek_nth(1);
        let is_method = match (first, second) {
            (Some(first), Some(second)) if first.is_word("readonly") => second.is_word("fn"),
            (Some(first), Some(second)) if first.is_word("fn") => second.kind == Kind::Word,
            _ => false,
        };
        if is_method {
            self.method();
        } else {
            self.field();
        }
        self.separator();
    }

    fn method(&mut self) {
        if self.peek().is_some_and(|token| token.is_word("readonly")) {
            self.bump();
        }
        self.bump(); // `fn`
        self.bump(); // the name
        self.bump(); // `(`
        while !self.peek_is(")") && self.peek().is_some() {
            self.bump(); // the parameter's name
            self.bump(); // `:`
            self.type_expr();
            if self.peek_is(",") {
                self.bump();
            }
        }
        self.bump(); // `)`
        if self.peek_is("->") {
            self.bump();
            self.type_expr();
        }
        if self.peek().is_some_and(|token| token.is_word("raises")) {
            self.bump();
            self.bump();
            // The list takes `, Name` for as long as it goes, as the grammar does.
            while self.peek_is(",") && self.peek_nth(1).is_some_and(|t| t.kind == Kind::Word) {
                self.bump();
                self.bump();
            }
        }
    }

    fn field(&mut self) {
        while self.peek_is("@") {
            self.attribute();
        }
        self.bump(); // the name
        self.bump(); // `:`
        self.type_expr();
        // Attributes after the type stand on the line where the type ends.
        while let Some(next) = self.peek() {
            let end = self.tokens[self.last_code].end;
            if !next.is("@") || !is_inline_gap(&self.source[end..next.start]) {
                break;
            }
            self.attribute();
        }
    }

    fn attribute(&mut self) {
        self.bump(); // `@`
        self.bump(); // the name
        if self.next_token_is("(") && !self.tokens[self.pos].spaced {
            while !self.peek_is(")") && self.peek().is_some() {
                self.bump();
            }
            self.bump(); // `)`
        }
    }

    fn type_expr(&mut self) {
        let Some(first) = self.peek() else { return };
        if first.is("[") {
            self.bump();
            self.type_expr();
            self.bump(); // `]`
        } else if first.is_word("Map") && self.peek_nth(1).is_some_and(|t| t.is("<")) {
            self.bump();
            self.bump(); // `<`
            self.type_expr();
            self.bump(); // `,`
            self.type_expr();
            if self.peek_is(",") {
                self.bump();
            }
            self.bump(); // `>`
        } else {
            self.bump();
        }
        if self.next_token_is("?") && !self.tokens[self.pos].spaced {
            self.bump();
        }
    }

    // ---------------------------------------------------------------------------------
    // Writing lines
    // ---------------------------------------------------------------------------------

    /// Whether a blank line goes before a line that starts with `token`.
    fn blank_before(&self, token: Token<'_>, force: bool) -> bool {
        match self.previous {
            Previous::Nothing | Previous::Doc => false,
            Previous::Line => force || token.newlines_before >= 2,
        }
    }

    fn push_line(&mut self, indent: usize, text: &str, blank: bool) {
        if blank {
            self.lines.push(Line::default());
        }
        self.lines.push(Line {
            text: format!("{}{text}", INDENT.repeat(indent)),
            comment_at: None,
        });
    }

    /// Writes the comments before the next code token, each on a line of its own; the
    /// first gets a blank line before it when `force_blank` is set. Comments on the line
    /// of the item after them stay for the item, unless `all` is set. True when there were
    /// any.
    fn comments(&mut self, indent: usize, force_blank: bool, all: bool) -> bool {
        let mut first = true;
        while let Some(token) = self.tokens.get(self.pos).copied() {
            if !token.is_comment() {
                break;
            }
            if !all && self.code_on_same_line(self.pos).is_some() {
                // `/* … */ name: Type`: the comment stays on the item's line.
                break;
            }
            let blank = self.blank_before(token, force_blank && first);
            let text = if token.kind == Kind::DocComment {
                doc_line(token.text)
            } else {
                trim_line_ends(token.text)
            };
            self.push_line(indent, &text, blank);
            self.previous = if token.kind == Kind::DocComment {
                Previous::Doc
            } else {
                Previous::Line
            };
            self.pos += 1;
            self.trailing_comments();
            first = false;
        }
        !first
    }

    /// Reads one item with `parse` and writes it on one line, followed by the comments
    /// that stand after it on its last line; `force_blank` puts a blank line before it.
    fn unit(&mut self, indent: usize, force_blank: bool, parse: impl FnOnce(&mut Self)) {
        let start = self.pos;
        if self.code_index(0).is_none() {
            return;
        }
        let force = force_blank;
        let first = self.tokens[start];
        parse(self);
        let end = self.last_code.max(start);
        let text = self.render(start, end);
        let blank = self.blank_before(first, force);
        self.push_line(indent, &text, blank);
        self.previous = Previous::Line;
        self.trailing_comments();
    }

    /// Appends the comments that follow on the same line to the last line written, except
    /// those that stand before more code on that line: they belong to what follows. (Before
    /// a closing brace they stay with the item before it, unless that is the opening brace,
    /// so that an empty body's comment stays inside it.)
    fn trailing_comments(&mut self) {
        while let Some(token) = self.tokens.get(self.pos).copied() {
            if !token.is_comment() || token.kind == Kind::DocComment || token.newlines_before > 0 {
                break;
            }
            if let Some(code) = self.code_on_same_line(self.pos) {
                if !code.is("}") || self.tokens[self.last_code].is("{") {
                    break;
                }
            }
            if let Some(line) = self.lines.last_mut() {
                line.comment_at.get_or_insert(line.text.len());
                line.text.push(' ');
                line.text.push_str(&trim_line_ends(token.text));
            }
            self.pos += 1;
        }
    }

    /// The code token that the one-line block comments from `index` on lead to on their
    /// line, if they do.
    fn code_on_same_line(&self, index: usize) -> Option<Token<'a>> {
        let mut at = index;
        loop {
            let token = self.tokens.get(at)?;
            if !token.is_comment() {
                return Some(*token);
            }
            let next = self.tokens.get(at + 1)?;
            if token.kind != Kind::BlockComment || token.ends_line() || next.newlines_before > 0 {
                return None;
            }
            at += 1;
        }
    }

    /// The text of tokens `start..=end`: joined on one line, or as written when a comment
    /// inside needs the line breaks.
    fn render(&self, start: usize, end: usize) -> String {
        let tokens = &self.tokens[start..=end];
        if tokens.iter().any(|token| token.ends_line()) {
            let written = &self.source[tokens[0].start..tokens[tokens.len() - 1].end];
            return trim_line_ends(written);
        }
        let mut out = String::new();
        let mut previous: Option<Token<'_>> = None;
        for (index, token) in tokens.iter().enumerate() {
            if is_dropped(tokens, index) {
                continue;
            }
            if let Some(previous) = previous {
                if space_between(previous, *token) {
                    out.push(' ');
                }
            }
            out.push_str(token.text);
            previous = Some(*token);
        }
        out
    }
}

/// Lines in a row that end in comments get their comments lined up in one column, one
/// space after the longest code.
fn align_trailing_comments(lines: &mut [Line]) {
    let aligned = |line: &Line| line.comment_at.is_some() && !line.text.contains('\n');
    let mut start = 0;
    while start < lines.len() {
        let run = lines[start..]
            .iter()
            .take_while(|line| aligned(line))
            .count();
        if run >= 2 {
            let block = &mut lines[start..start + run];
            let code_width = |line: &Line| {
                let at = line.comment_at.unwrap_or(line.text.len());
                line.text[..at].chars().count()
            };
            let width = block.iter().map(code_width).max().unwrap_or(0);
            for line in block {
                let at = line.comment_at.unwrap_or(line.text.len());
                let (code, comment) = line.text.split_at(at);
                line.text = format!("{code:<width$} {}", comment.trim_start());
                line.comment_at = Some(width);
            }
        }
        start += run.max(1);
    }
}

/// Separators the canonical layout leaves out: every `;`, and a `,` that ends an item or
/// stands before a closing bracket.
fn is_dropped(tokens: &[Token<'_>], index: usize) -> bool {
    let token = tokens[index];
    if token.is(";") {
        return true;
    }
    if !token.is(",") {
        return false;
    }
    match tokens[index + 1..].iter().find(|t| !t.is_comment()) {
        None => true,
        Some(next) => next.is(")") || next.is(">") || next.is("]"),
    }
}

/// Whether one space goes between two tokens of a line.
fn space_between(left: Token<'_>, right: Token<'_>) -> bool {
    if left.is("@") || left.is("(") || left.is("[") || left.is("<") {
        return false;
    }
    if left.is("{") && right.is("}") {
        return false;
    }
    let tight_right = [")", "]", ">", ",", ":", "?", ";", "(", "<"];
    !tight_right.iter().any(|punct| right.is(punct))
}

/// A `///` line in its canonical form: one space after the slashes, none at the end.
fn doc_line(text: &str) -> String {
    let body = text.strip_prefix("///").unwrap_or(text);
    let body = body.strip_prefix(' ').unwrap_or(body).trim_end();
    if body.is_empty() {
        "///".to_string()
    } else {
        format!("/// {body}")
    }
}

/// The text with blank space removed from the end of every line, and every line break
/// (`\r\n`, or `\r` alone) written as `\n`.
pub(super) fn trim_line_ends(text: &str) -> String {
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .split('\n')
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
}

/// True for what may stand between a field's type and an attribute after it: blanks and
/// block comments, all on one line (the grammar's `inline_gap`).
fn is_inline_gap(gap: &str) -> bool {
    let mut rest = gap;
    loop {
        rest = rest.trim_start_matches([' ', '\t']);
        if rest.is_empty() {
            return true;
        }
        let Some(body) = rest.strip_prefix("/*") else {
            return false;
        };
        let Some(end) = body.find("*/") else {
            return false;
        };
        if body[..end].contains(['\n', '\r']) {
            return false;
        }
        rest = &body[end + 2..];
    }
}
