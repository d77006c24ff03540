//! The report: per store, load, task and implementation, latency percentiles, achieved
//! rate, store round trips, items and capacity units per call, and dollars per million
//! calls — with exactly-once's ratio to `ssf` beside each — as a Markdown table and CSV.

use std::fmt::Write as _;

use super::load::Measured;

/// Prices, in US dollars, as parameters (us-east-1, as published by AWS for DynamoDB
/// on-demand from 2024-11-01 and for Lambda on x86).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prices {
    /// Per million read request units.
    pub read_million: f64,
    /// Per million write request units.
    pub write_million: f64,
    /// Per million Lambda requests.
    pub request_million: f64,
    /// Per GB-second of Lambda time.
    pub gb_second: f64,
    /// The memory of the function, in MB.
    pub memory_mb: f64,
}

impl Default for Prices {
    fn default() -> Self {
        Prices {
            read_million: 0.125,
            write_million: 0.625,
            request_million: 0.20,
            gb_second: 0.000_016_666_7,
            memory_mb: 512.0,
        }
    }
}

impl Prices {
    /// Dollars per million calls like those `measured` made, each one Lambda invocation
    /// lasting the mean time a call was served (queueing before it left out).
    pub fn per_million(&self, measured: &Measured) -> f64 {
        let store = measured.per_call(measured.stats.read_units) * self.read_million
            + measured.per_call(measured.stats.write_units) * self.write_million;
        let seconds = measured.mean_served();
        let lambda =
            self.request_million + seconds * self.memory_mb / 1024.0 * self.gb_second * 1e6;
        store + lambda
    }
}

/// One measured row.
pub struct Row {
    /// False when the store's counters were out of reach (in a function's process): the
    /// round trips, items, units and dollars are left blank.
    pub counted: bool,
    /// The store's label (`modelled cloud` for the modelled one).
    pub store: String,
    /// The load: `100/s` or `closed, 8 workers`.
    pub load: String,
    /// The task or mix.
    pub scenario: String,
    /// The implementation.
    pub implementation: &'static str,
    /// What it measured.
    pub measured: Measured,
}

impl Row {
    fn same_place(&self, other: &Row) -> bool {
        self.store == other.store && self.load == other.load && self.scenario == other.scenario
    }
}

/// A ratio to the `ssf` row's figure, or a dash.
fn ratio(value: f64, baseline: Option<f64>) -> String {
    match baseline {
        Some(baseline) if baseline > 0.0 => format!("{:.2}", value / baseline),
        _ => "–".into(),
    }
}

/// The Markdown table of `rows`.
pub fn markdown(rows: &[Row], prices: &Prices) -> String {
    let mut out = String::new();
    out.push_str("| store | load | task | implementation | calls/s | p10 ms | p50 ms | p90 ms | p99 ms | p50 × ssf | p99 × ssf | round trips | items read | items written or checked | RCU | WCU | $ / M calls | $ × ssf | refused | errors |\n");
    out.push_str(
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for row in rows {
        let m = &row.measured;
        let ssf = rows
            .iter()
            .find(|other| other.implementation == "ssf" && other.same_place(row))
            .map(|other| &other.measured);
        let counts = match per_call(row, prices) {
            Some([trips, read, written, rcu, wcu, dollars]) => format!(
                "{trips:.2} | {read:.1} | {written:.1} | {rcu:.1} | {wcu:.1} | {dollars:.2} | {}",
                ratio(dollars, ssf.map(|s| prices.per_million(s))),
            ),
            None => ["–"; 7].join(" | "),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} | {} | {} | {counts} | {} | {} |",
            row.store,
            row.load,
            row.scenario,
            row.implementation,
            m.rate(),
            m.ms(0.10),
            m.ms(0.50),
            m.ms(0.90),
            m.ms(0.99),
            ratio(m.ms(0.50), ssf.map(|s| s.ms(0.50))),
            ratio(m.ms(0.99), ssf.map(|s| s.ms(0.99))),
            m.refused,
            m.errors,
        );
    }
    out
}

/// The CSV of `rows`: one line per row, with a header.
pub fn csv(rows: &[Row], prices: &Prices) -> String {
    let mut out = String::from(
        "store,load,task,implementation,calls,calls_per_s,p10_ms,p50_ms,p90_ms,p99_ms,round_trips,items_read,items_written_or_checked,read_units,write_units,dollars_per_million,refused,errors\n",
    );
    for row in rows {
        let m = &row.measured;
        let counts = match per_call(row, prices) {
            Some([trips, read, written, rcu, wcu, dollars]) => {
                format!("{trips:.3},{read:.3},{written:.3},{rcu:.3},{wcu:.3},{dollars:.4}")
            }
            None => ",,,,,".to_string(),
        };
        let _ = writeln!(
            out,
            "{},{},{},{},{},{:.1},{:.3},{:.3},{:.3},{:.3},{counts},{},{}",
            quoted(&row.store),
            quoted(&row.load),
            quoted(&row.scenario),
            quoted(row.implementation),
            m.calls,
            m.rate(),
            m.ms(0.10),
            m.ms(0.50),
            m.ms(0.90),
            m.ms(0.99),
            m.refused,
            m.errors,
        );
    }
    out
}

/// Per call: round trips, items read, items written or checked, read and write units,
/// and dollars per million calls; `None` when the row's store could not be counted.
fn per_call(row: &Row, prices: &Prices) -> Option<[f64; 6]> {
    let m = &row.measured;
    row.counted.then(|| {
        [
            m.per_call(m.stats.round_trips),
            m.per_call(m.stats.items_read),
            m.per_call(m.stats.items_written + m.stats.items_checked),
            m.per_call(m.stats.read_units),
            m.per_call(m.stats.write_units),
            prices.per_million(m),
        ]
    })
}

/// A CSV field in quotes (labels hold commas).
fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}
