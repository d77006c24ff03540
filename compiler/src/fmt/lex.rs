//! Splits a schema that parsed into tokens, comments included, so the formatter can lay
//! out code and keep every comment where it was.
//!
//! The lexer follows `compiler/grammar/nubes.pest`; it only ever sees text the parser accepted, so
//! it does not report errors: anything it does not recognise becomes a one-character
//! punctuation token, which the formatter's self-check then catches.

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// A name or keyword.
    Word,
    /// A string literal, quotes included.
    Str,
    /// An integer or float literal.
    Number,
    /// One punctuation character, or `->`.
    Punct,
    /// `// …` up to the end of the line (`////…` included).
    LineComment,
    /// `/* … */`, possibly over several lines.
    BlockComment,
    /// `/// …`, one line of a doc comment.
    DocComment,
}

/// One token and what stands before it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Token<'a> {
    /// What kind of token it is.
    pub(super) kind: Kind,
    /// Its text (line comments without trailing blanks).
    pub(super) text: &'a str,
    /// Byte offset of its first character.
    pub(super) start: usize,
    /// Byte offset one past its last character.
    pub(super) end: usize,
    /// How many line breaks stand between the previous token and this one.
    pub(super) newlines_before: usize,
    /// True when blank space or a line break stands right before it.
    pub(super) spaced: bool,
}

impl Token<'_> {
    /// True for comments of every kind, doc comments included.
    pub(super) fn is_comment(&self) -> bool {
        matches!(
            self.kind,
            Kind::LineComment | Kind::BlockComment | Kind::DocComment
        )
    }

    /// True for a comment that cannot share a line with code after it.
    pub(super) fn ends_line(&self) -> bool {
        match self.kind {
            Kind::LineComment | Kind::DocComment => true,
            Kind::BlockComment => self.text.contains(['\n', '\r']),
            _ => false,
        }
    }

    /// True when the token is this punctuation.
    pub(super) fn is(&self, punct: &str) -> bool {
        self.kind == Kind::Punct && self.text == punct
    }

    /// True when the token is this word.
    pub(super) fn is_word(&self, word: &str) -> bool {
        self.kind == Kind::Word && self.text == word
    }
}

/// The tokens of `text`, in order.
pub(super) fn tokens(text: &str) -> Vec<Token<'_>> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut at = 0;
    let mut newlines = 0;
    let mut spaced = false;
    while at < bytes.len() {
        let rest = &text[at..];
        let c = bytes[at];
        if matches!(c, b' ' | b'\t' | b'\r' | b'\n') || rest.starts_with('\u{FEFF}') {
            // A line ends in `\n`, `\r\n` or a `\r` alone, as in the grammar.
            if c == b'\n' || (c == b'\r' && bytes.get(at + 1) != Some(&b'\n')) {
                newlines += 1;
            }
            spaced = true;
            at += rest.chars().next().map_or(1, char::len_utf8);
            continue;
        }
        let (kind, len) = token_at(rest);
        let mut token_text = &rest[..len];
        if kind == Kind::LineComment || kind == Kind::DocComment {
            token_text = token_text.trim_end();
        }
        out.push(Token {
            kind,
            text: token_text,
            start: at,
            end: at + len,
            newlines_before: newlines,
            spaced,
        });
        at += len;
        newlines = 0;
        spaced = false;
    }
    out
}

/// The kind and byte length of the token at the start of `rest` (not blank space).
fn token_at(rest: &str) -> (Kind, usize) {
    let bytes = rest.as_bytes();
    if rest.starts_with("///") && !rest.starts_with("////") {
        return (Kind::DocComment, line_length(rest));
    }
    if rest.starts_with("//") {
        return (Kind::LineComment, line_length(rest));
    }
    if let Some(body) = rest.strip_prefix("/*") {
        let len = body.find("*/").map_or(rest.len(), |end| end + 4);
        return (Kind::BlockComment, len);
    }
    if rest.starts_with("->") {
        return (Kind::Punct, 2);
    }
    if rest.starts_with('"') {
        return (Kind::Str, string_length(rest));
    }
    let first = bytes[0];
    if first.is_ascii_digit() || (first == b'-' && bytes.get(1).is_some_and(u8::is_ascii_digit)) {
        return (Kind::Number, number_length(rest));
    }
    if first.is_ascii_alphabetic() || first == b'_' {
        let len = rest
            .bytes()
            .position(|b| !(b.is_ascii_alphanumeric() || b == b'_'))
            .unwrap_or(rest.len());
        return (Kind::Word, len);
    }
    (Kind::Punct, rest.chars().next().map_or(1, char::len_utf8))
}

fn line_length(rest: &str) -> usize {
    rest.find(['\n', '\r']).unwrap_or(rest.len())
}

/// A string literal runs to the next unescaped quote.
fn string_length(rest: &str) -> usize {
    let mut escaped = false;
    for (index, c) in rest.char_indices().skip(1) {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return index + 1,
            _ => {}
        }
    }
    rest.len()
}

/// `-`? digits, then `.` digits when a digit follows the dot.
fn number_length(rest: &str) -> usize {
    let bytes = rest.as_bytes();
    let mut at = usize::from(bytes[0] == b'-');
    while bytes.get(at).is_some_and(u8::is_ascii_digit) {
        at += 1;
    }
    if bytes.get(at) == Some(&b'.') && bytes.get(at + 1).is_some_and(u8::is_ascii_digit) {
        at += 1;
        while bytes.get(at).is_some_and(u8::is_ascii_digit) {
            at += 1;
        }
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(Kind, &str)> {
        tokens(text).iter().map(|t| (t.kind, t.text)).collect()
    }

    #[test]
    fn comments_of_every_kind_are_tokens() {
        assert_eq!(
            kinds("/// doc\n//// plain  \n// line\n/* a\nb */ x"),
            vec![
                (Kind::DocComment, "/// doc"),
                (Kind::LineComment, "//// plain"),
                (Kind::LineComment, "// line"),
                (Kind::BlockComment, "/* a\nb */"),
                (Kind::Word, "x"),
            ]
        );
    }

    #[test]
    fn literals_and_arrows() {
        assert_eq!(
            kinds(r#"@default("a\"b", -1.5, 2) -> T?"#),
            vec![
                (Kind::Punct, "@"),
                (Kind::Word, "default"),
                (Kind::Punct, "("),
                (Kind::Str, r#""a\"b""#),
                (Kind::Punct, ","),
                (Kind::Number, "-1.5"),
                (Kind::Punct, ","),
                (Kind::Number, "2"),
                (Kind::Punct, ")"),
                (Kind::Punct, "->"),
                (Kind::Word, "T"),
                (Kind::Punct, "?"),
            ]
        );
    }

    #[test]
    fn line_breaks_and_spaces_before_tokens_are_counted() {
        let tokens = tokens("a\n\n b(c");
        let seen: Vec<_> = tokens
            .iter()
            .map(|t| (t.newlines_before, t.spaced))
            .collect();
        assert_eq!(seen, vec![(0, false), (2, true), (0, false), (0, false)]);
    }
}
