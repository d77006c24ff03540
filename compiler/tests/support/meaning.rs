//! What the formatting tests compare: what a checked file means, apart from where things
//! are written.

/// The IR without its spans, and the diagnostics' codes and messages, sorted.
pub type Meaning = (Option<serde_json::Value>, Vec<(String, String)>);

/// The meaning of a compilation.
pub fn meaning(compilation: nubesc::Compilation) -> Meaning {
    let ir = compilation.schema.map(|schema| {
        let mut value: serde_json::Value = match serde_json::from_str(&schema.to_json()) {
            Ok(value) => value,
            Err(error) => panic!("the IR is not JSON: {error}"),
        };
        strip_spans(&mut value);
        value
    });
    let mut diagnostics: Vec<(String, String)> = compilation
        .diagnostics
        .iter()
        .map(|d| (d.code.as_str().to_string(), d.message.clone()))
        .collect();
    diagnostics.sort();
    (ir, diagnostics)
}

fn strip_spans(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            map.retain(|key, _| key != "span" && !key.ends_with("_span"));
            map.values_mut().for_each(strip_spans);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(strip_spans),
        _ => {}
    }
}
