//! A small YAML writer for CloudFormation templates: block mappings and sequences in the
//! order given, CloudFormation's short-form tags (`!Ref`, `!Sub`, `!GetAtt`), and scalars
//! quoted whenever a plain scalar could be read as something else. The same tree always
//! gives the same bytes.

/// A YAML value.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// A mapping, keys in the order given.
    Map(Vec<(String, Node)>),
    /// A sequence.
    List(Vec<Node>),
    /// A string.
    Str(String),
    /// A number or boolean, written as is.
    Plain(String),
    /// A tagged scalar, such as `!Ref Name`.
    Tag(&'static str, String),
}

impl Node {
    /// A string.
    pub fn str(text: impl Into<String>) -> Node {
        Node::Str(text.into())
    }

    /// A number.
    pub fn int(value: u64) -> Node {
        Node::Plain(value.to_string())
    }

    /// `!Ref name`.
    pub fn reference(name: &str) -> Node {
        Node::Tag("!Ref", name.to_string())
    }

    /// `!Sub "text"`.
    pub fn sub(text: impl Into<String>) -> Node {
        Node::Tag("!Sub", text.into())
    }

    /// `!GetAtt resource.attribute`.
    pub fn get_att(resource: &str, attribute: &str) -> Node {
        Node::Tag("!GetAtt", format!("{resource}.{attribute}"))
    }

    /// A list of strings.
    pub fn strs<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> Node {
        Node::List(
            items
                .into_iter()
                .map(|item| Node::str(item.as_ref()))
                .collect(),
        )
    }
}

/// A mapping from `(key, value)` pairs.
pub fn map<K: Into<String>>(entries: impl IntoIterator<Item = (K, Node)>) -> Node {
    Node::Map(
        entries
            .into_iter()
            .map(|(key, value)| (key.into(), value))
            .collect(),
    )
}

/// The document for `root`, ending in a newline.
pub fn document(root: &Node) -> String {
    let mut out = String::new();
    block(root, 0, &mut out);
    out
}

/// Writes `node` as the value of an entry that already wrote its key and `:` (or `-`),
/// at nesting `indent`.
fn block(node: &Node, indent: usize, out: &mut String) {
    match node {
        Node::Map(entries) => {
            for (key, value) in entries {
                push_indent(indent, out);
                out.push_str(&scalar(key));
                out.push(':');
                value_after_key(value, indent, out);
            }
        }
        Node::List(items) => {
            for item in items {
                push_indent(indent, out);
                out.push('-');
                match item {
                    // `- key: value` with the mapping's other keys under the first.
                    Node::Map(entries) if !entries.is_empty() => {
                        out.push(' ');
                        let mut nested = String::new();
                        block(item, indent + 2, &mut nested);
                        out.push_str(nested.trim_start());
                    }
                    _ => value_after_key(item, indent, out),
                }
            }
        }
        inline => {
            push_indent(indent, out);
            out.push_str(&inline_text(inline));
            out.push('\n');
        }
    }
}

/// The rest of a line after `key:` or `-`.
fn value_after_key(value: &Node, indent: usize, out: &mut String) {
    match value {
        Node::Map(entries) if entries.is_empty() => out.push_str(" {}\n"),
        Node::List(items) if items.is_empty() => out.push_str(" []\n"),
        Node::Map(_) | Node::List(_) => {
            out.push('\n');
            block(value, indent + 2, out);
        }
        inline => {
            out.push(' ');
            out.push_str(&inline_text(inline));
            out.push('\n');
        }
    }
}

fn push_indent(indent: usize, out: &mut String) {
    out.extend(std::iter::repeat_n(' ', indent));
}

fn inline_text(node: &Node) -> String {
    match node {
        Node::Str(text) => scalar(text),
        Node::Plain(text) => text.clone(),
        Node::Tag(tag, text) => format!("{tag} {}", scalar(text)),
        Node::Map(_) | Node::List(_) => String::new(),
    }
}

/// Words a plain scalar must not be, lest YAML read a boolean or null.
const RESERVED: &[&str] = &[
    "true", "false", "yes", "no", "on", "off", "null", "y", "n", "~",
];

/// `text` plain when that reads back as the same string, double-quoted (JSON escapes,
/// which YAML reads the same) otherwise.
fn scalar(text: &str) -> String {
    let plain = text
        .chars()
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '/' || first == '_')
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | ':'))
        && !text.ends_with(':')
        && !text.contains(": ")
        && !RESERVED.contains(&text.to_ascii_lowercase().as_str());
    if plain {
        text.to_string()
    } else {
        serde_json::Value::from(text).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_maps_and_lists_indent_by_two() {
        let tree = map([
            ("Name", Node::str("hotel")),
            ("Count", Node::int(3)),
            (
                "Items",
                Node::List(vec![
                    map([("A", Node::str("x")), ("B", Node::reference("Param"))]),
                    Node::str("plain"),
                ]),
            ),
            ("Empty", Node::List(vec![])),
        ]);
        assert_eq!(
            document(&tree),
            "Name: hotel\nCount: 3\nItems:\n  - A: x\n    B: !Ref Param\n  - plain\nEmpty: []\n"
        );
    }

    #[test]
    fn scalars_that_would_read_back_differently_are_quoted() {
        assert_eq!(scalar("true"), "\"true\"");
        assert_eq!(scalar("2010-09-09"), "\"2010-09-09\"");
        assert_eq!(scalar("rate(1 minute)"), "\"rate(1 minute)\"");
        assert_eq!(scalar("${AppName}-Hotel"), "\"${AppName}-Hotel\"");
        assert_eq!(scalar("a: b"), "\"a: b\"");
        assert_eq!(scalar("dynamodb:GetItem"), "dynamodb:GetItem");
        assert_eq!(
            scalar("AWS::Serverless-2016-10-31"),
            "AWS::Serverless-2016-10-31"
        );
        assert_eq!(scalar(""), "\"\"");
        assert_eq!(scalar("say \"hi\""), "\"say \\\"hi\\\"\"");
    }
}
