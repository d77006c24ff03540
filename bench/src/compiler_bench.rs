//! The compiler benchmark: generates schemas of 10 to 10,000 objects (with one-to-many
//! and many-to-many relationships, methods, structs, enums and errors) and times the
//! front end on each, next to parsing alone as the baseline, so that linear growth (or
//! its absence) is visible. Also times the hotel example.
//!
//! Run with `cargo run --release -p nubes-bench --bin compiler-bench`; pass sizes as
//! arguments to override the default `10 100 1000 10000`.

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use nubesc::source::FileId;

/// Builds a schema with `objects` object types.
fn generate(objects: usize) -> String {
    let objects = objects.max(2);
    let mut out = String::from("import \"stdlib/geo.nubes\"\n\n");
    out.push_str("enum Status { Active, Paused, Closed }\n\n");
    out.push_str("/// A postal address.\nstruct Address {\n    street: String\n    city: String\n    location: GeoPoint?\n}\n\n");
    for error in 0..10 {
        let _ = writeln!(out, "error Invalid{error} {{\n    reason: String\n}}\n");
    }
    for i in 0..objects {
        let next = (i + 1) % objects;
        let prev = (i + objects - 1) % objects;
        let _ = writeln!(out, "/// Object number {i}.\nobject Obj{i} {{");
        out.push_str("    @id code: String\n    name: String\n    @default(0) count: Int\n    tags: [String]\n");
        out.push_str("    status: Status\n    address: Address?\n    extra: Map<String, Float>\n");
        if i % 2 == 0 && i + 1 < objects {
            let _ = writeln!(out, "    parts: [Obj{}] @hasOne(owner)", i + 1);
        }
        if i % 2 == 1 {
            let _ = writeln!(out, "    owner: Obj{}?", i - 1);
        }
        let _ = writeln!(out, "    links: [Obj{next}] @hasMany(backlinks)");
        let _ = writeln!(out, "    backlinks: [Obj{prev}] @hasMany(links)");
        let _ = writeln!(
            out,
            "    fn rename(name: String, force: Bool) -> Bool raises Invalid{}",
            i % 10
        );
        out.push_str("    readonly fn score(weight: Float, tags: [String]) -> Int\n}\n\n");
    }
    out
}

/// Runs `work` repeatedly (at least 3 times and 300 ms, at most 50 times) and returns
/// the median duration.
fn median(mut work: impl FnMut()) -> Duration {
    work(); // warm-up
    let mut samples = Vec::new();
    let started = Instant::now();
    while samples.len() < 3
        || (started.elapsed() < Duration::from_millis(300) && samples.len() < 50)
    {
        let start = Instant::now();
        work();
        samples.push(start.elapsed());
    }
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(duration: Duration) -> String {
    format!("{:.3}", duration.as_secs_f64() * 1000.0)
}

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|arg| arg.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![10, 100, 1_000, 10_000]
    } else {
        sizes
    };

    println!("## nubesc check: time by schema size (median, release build)\n");
    println!("| objects | lines | KiB | parse only (baseline), ms | full check, ms | check / parse | µs per object | growth vs previous size |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut previous: Option<(usize, Duration)> = None;
    for &size in &sizes {
        let text = generate(size);
        let check = nubesc::check_text("bench.nubes", &text);
        assert!(
            !check.has_errors(),
            "the generated schema of {size} objects has errors: {:?}",
            check.diagnostics.first()
        );
        let parse_time = median(|| {
            std::hint::black_box(nubesc::syntax::parse(FileId(0), &text));
        });
        let check_time = median(|| {
            std::hint::black_box(nubesc::check_text("bench.nubes", &text));
        });
        let growth = previous.map_or("—".to_string(), |(previous_size, previous_time)| {
            let time_ratio = check_time.as_secs_f64() / previous_time.as_secs_f64();
            let size_ratio = size as f64 / previous_size as f64;
            format!("×{time_ratio:.1} for ×{size_ratio:.0} objects")
        });
        println!(
            "| {size} | {} | {:.0} | {} | {} | {:.2} | {:.1} | {growth} |",
            text.lines().count(),
            text.len() as f64 / 1024.0,
            ms(parse_time),
            ms(check_time),
            check_time.as_secs_f64() / parse_time.as_secs_f64(),
            check_time.as_secs_f64() * 1e6 / size as f64,
        );
        previous = Some((size, check_time));
    }

    let hotel = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/hotel.nubes");
    let hotel_time = median(|| {
        let compilation = nubesc::check_path(&hotel).expect("examples/hotel.nubes is readable");
        std::hint::black_box(compilation);
    });
    println!(
        "\nexamples/hotel.nubes (read, parse, check, lower): {} ms",
        ms(hotel_time)
    );
}
