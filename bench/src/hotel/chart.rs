//! The report's figure: a PNG of each task's latency percentiles per implementation, in
//! the style of a paper's percentile figure — one panel per store and open-loop load, one
//! group of bars per task, each bar spanning p10 to p90 with a tick at p50.

use std::ops::Range;
use std::path::Path;
use std::sync::OnceLock;

use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontStyle;

use super::report::Row;
use crate::BoxError;

/// The figure's title, above the panels.
const TITLE: &str = "hotel benchmark: p10–p90 latency (bar) and p50 (tick), ms";
/// The image's width, in pixels.
const WIDTH: u32 = 1200;
/// Each panel's height, in pixels.
const PANEL_HEIGHT: u32 = 360;
/// The height of the band holding the figure's title, in pixels.
const TITLE_HEIGHT: u32 = 44;
/// The font family every text is drawn in (registered from the embedded DejaVu Sans).
const FONT: &str = "sans-serif";
/// The height of the band under each panel's plot holding the task labels, in pixels.
const TASK_LABEL_AREA: u32 = 46;
/// The width of the band left of each panel's plot holding the latency labels, in pixels.
const LATENCY_LABEL_AREA: u32 = 80;
/// Above this ratio of the highest p90 to the lowest p10 (two decades), the latency axis
/// is logarithmic; below it, linear from 0.
const LOG_SCALE_SPAN: f64 = 100.0;
/// The lowest latency a logarithmic axis shows, in ms (the histograms count whole µs).
const LOWEST_MS: f64 = 0.001;
/// The space around each panel's chart, in pixels.
const PANEL_MARGIN: i32 = 12;
/// The side of a legend's colour swatch, in pixels.
const LEGEND_SWATCH: i32 = 14;
/// The space between a legend's swatch and its name, in pixels.
const LEGEND_GAP: i32 = 6;
/// The space after each of a legend's names, in pixels.
const LEGEND_SPACING: i32 = 18;
/// The fraction of a task's slot its bars share; the rest separates the groups.
const GROUP_FILL: f64 = 0.8;
/// The fraction of an implementation's share of a group its bar fills.
const BAR_FILL: f64 = 0.8;
/// The implementations' colours, in the order they are first seen.
const COLOURS: [RGBColor; 4] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
];

/// A row's p10, p50 and p90 latencies, in ms.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Percentiles {
    p10: f64,
    p50: f64,
    p90: f64,
}

impl Percentiles {
    fn of(row: &Row) -> Percentiles {
        Percentiles {
            p10: row.measured.ms(0.10),
            p50: row.measured.ms(0.50),
            p90: row.measured.ms(0.90),
        }
    }
}

/// One bar: a task's percentiles under one implementation.
struct Bar {
    /// The index of the task in the panel's `tasks`.
    task: usize,
    /// The index of the implementation in the figure's implementations.
    implementation: usize,
    percentiles: Percentiles,
}

/// One store and load's panel.
struct Panel {
    store: String,
    load: String,
    /// The task labels, in the order first seen.
    tasks: Vec<String>,
    bars: Vec<Bar>,
}

impl Panel {
    fn title(&self) -> String {
        let modelled = if self.store.contains("modelled") {
            " (modelled)"
        } else {
            ""
        };
        format!("{} · {}{modelled}", self.store, self.load)
    }

    /// The lowest p10 and the highest p90 of its bars, in ms.
    fn span(&self) -> (f64, f64) {
        self.bars
            .iter()
            .fold((f64::MAX, 0.0_f64), |(low, high), bar| {
                (low.min(bar.percentiles.p10), high.max(bar.percentiles.p90))
            })
    }
}

/// The figure's content: its implementations in the order first seen and its panels.
struct Figure {
    implementations: Vec<&'static str>,
    panels: Vec<Panel>,
}

/// The label of a task on the x axis: the busy-object scenario's long label cut to `busy`.
fn task_label(scenario: &str) -> &str {
    if scenario.starts_with("busy") {
        "busy"
    } else {
        scenario
    }
}

/// The index of `item` in `items`, added at the end if it is not there yet.
fn index_of<T: PartialEq>(items: &mut Vec<T>, item: T) -> usize {
    match items.iter().position(|known| *known == item) {
        Some(index) => index,
        None => {
            items.push(item);
            items.len() - 1
        }
    }
}

/// The open-loop rows with latencies, gathered into panels and bars.
fn figure(rows: &[Row]) -> Figure {
    let mut figure = Figure {
        implementations: Vec::new(),
        panels: Vec::new(),
    };
    let drawn = rows
        .iter()
        .filter(|row| !row.load.starts_with("closed") && !row.measured.latencies.is_empty());
    for row in drawn {
        let implementation = index_of(&mut figure.implementations, row.implementation);
        let panel = match figure
            .panels
            .iter()
            .position(|panel| panel.store == row.store && panel.load == row.load)
        {
            Some(index) => &mut figure.panels[index],
            None => {
                figure.panels.push(Panel {
                    store: row.store.clone(),
                    load: row.load.clone(),
                    tasks: Vec::new(),
                    bars: Vec::new(),
                });
                let last = figure.panels.len() - 1;
                &mut figure.panels[last]
            }
        };
        let task = index_of(&mut panel.tasks, task_label(&row.scenario).to_string());
        panel.bars.push(Bar {
            task,
            implementation,
            percentiles: Percentiles::of(row),
        });
    }
    figure
}

/// Registers the embedded DejaVu Sans as [`FONT`], once per process.
fn register_font() -> Result<(), BoxError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let registered = *REGISTERED.get_or_init(|| {
        let regular = register_font_style(FontStyle::Normal, dejavu::sans::regular());
        let bold = register_font_style(FontStyle::Bold, dejavu::sans::bold());
        regular && bold
    });
    if registered {
        Ok(())
    } else {
        Err("the embedded DejaVu Sans font could not be read".into())
    }
}

/// Registers `bytes` as [`FONT`] in `style`; whether it could be read.
fn register_font_style(style: FontStyle, bytes: &'static [u8]) -> bool {
    plotters::style::register_font(FONT, style, bytes).is_ok()
}

/// The colour of the implementation at `index`.
fn colour(index: usize) -> RGBColor {
    COLOURS[index % COLOURS.len()]
}

/// A latency label: whole ms from 10 on (and 0), fewer decimals the larger it is.
fn ms_label(ms: &f64) -> String {
    match *ms {
        0.0 => "0".into(),
        ms if ms >= 10.0 => format!("{ms:.0}"),
        ms if ms >= 1.0 => format!("{ms:.1}"),
        ms if ms >= 0.1 => format!("{ms:.2}"),
        ms => format!("{ms:.3}"),
    }
}

/// The x extent of a bar, in task slots (task `i` spans `i..i + 1`).
fn bar_extent(bar: &Bar, implementations: usize) -> Range<f64> {
    let share = GROUP_FILL / implementations.max(1) as f64;
    let start = bar.task as f64 + (1.0 - GROUP_FILL) / 2.0 + share * bar.implementation as f64;
    let margin = share * (1.0 - BAR_FILL) / 2.0;
    start + margin..start + share - margin
}

/// `label` broken into lines at its `-`, `,` and spaces so that each line fits in
/// `width` pixels where it can.
fn wrapped(
    area: &DrawingArea<BitMapBackend, Shift>,
    label: &str,
    style: &TextStyle,
    width: u32,
) -> Result<Vec<String>, BoxError> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for piece in label.split_inclusive(['-', ',', ' ']) {
        let longer = format!("{line}{piece}");
        if !line.is_empty() && area.estimate_text_size(&longer, style)?.0 > width {
            lines.push(line.trim_end().to_string());
            line = piece.to_string();
        } else {
            line = longer;
        }
    }
    lines.push(line.trim_end().to_string());
    Ok(lines)
}

/// Draws the figure to a PNG at `path`.
fn draw(figure: &Figure, path: &Path) -> Result<(), BoxError> {
    let height = TITLE_HEIGHT + PANEL_HEIGHT * figure.panels.len() as u32;
    let root = BitMapBackend::new(path, (WIDTH, height)).into_drawing_area();
    root.fill(&WHITE)?;
    let (title, body) = root.split_vertically(TITLE_HEIGHT);
    title.draw_text(
        TITLE,
        &(FONT, 22, FontStyle::Bold)
            .into_text_style(&title)
            .pos(Pos::new(HPos::Center, VPos::Center)),
        ((WIDTH / 2) as i32, (TITLE_HEIGHT / 2) as i32),
    )?;
    let areas = body.split_evenly((figure.panels.len(), 1));
    for (panel, area) in figure.panels.iter().zip(&areas) {
        draw_panel(figure, panel, area)?;
    }
    root.present()?;
    Ok(())
}

/// Draws `panel` on `area`, its latency axis logarithmic when the latencies span more than
/// two decades.
fn draw_panel(
    figure: &Figure,
    panel: &Panel,
    area: &DrawingArea<BitMapBackend, Shift>,
) -> Result<(), BoxError> {
    let (low, high) = panel.span();
    let high = high.max(LOWEST_MS);
    let tasks = 0.0..panel.tasks.len() as f64;
    let mut builder = ChartBuilder::on(area);
    builder
        .caption(panel.title(), (FONT, 17))
        .margin(PANEL_MARGIN as u32)
        .x_label_area_size(TASK_LABEL_AREA)
        .y_label_area_size(LATENCY_LABEL_AREA);
    if high / low.max(LOWEST_MS) > LOG_SCALE_SPAN {
        let latencies = (low.max(LOWEST_MS) / 1.5..high * 3.0).log_scale();
        fill_panel(
            figure,
            panel,
            area,
            builder,
            tasks,
            latencies,
            "latency, ms (log)",
        )
    } else {
        fill_panel(
            figure,
            panel,
            area,
            builder,
            tasks,
            0.0..high * 1.25,
            "latency, ms",
        )
    }
}

/// Builds `panel`'s chart on `builder` over `tasks` and `latencies` and draws its axes,
/// bars, ticks, task labels and legend.
fn fill_panel<Y>(
    figure: &Figure,
    panel: &Panel,
    area: &DrawingArea<BitMapBackend, Shift>,
    mut builder: ChartBuilder<BitMapBackend>,
    tasks: Range<f64>,
    latencies: Y,
    latency_desc: &str,
) -> Result<(), BoxError>
where
    Y: AsRangedCoord<Value = f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let mut chart = builder.build_cartesian_2d(tasks, latencies)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_labels(8)
        .y_label_formatter(&ms_label)
        .y_desc(latency_desc)
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 14))
        .light_line_style(WHITE)
        .bold_line_style(RGBColor(225, 225, 225))
        .draw()?;
    draw_bars(figure, panel, &mut chart)?;
    draw_task_labels(panel, area, &chart)?;
    draw_legend(figure, panel, area)
}

/// Draws each implementation's bars (p10 to p90) and ticks (p50).
fn draw_bars<Y>(
    figure: &Figure,
    panel: &Panel,
    chart: &mut ChartContext<BitMapBackend, Cartesian2d<RangedCoordf64, Y>>,
) -> Result<(), BoxError>
where
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let implementations = figure.implementations.len();
    for index in 0..implementations {
        let bars: Vec<&Bar> = panel
            .bars
            .iter()
            .filter(|bar| bar.implementation == index)
            .collect();
        if bars.is_empty() {
            continue;
        }
        let colour = colour(index);
        let spans = bars.iter().map(|bar| {
            let x = bar_extent(bar, implementations);
            let p = bar.percentiles;
            Rectangle::new(
                [(x.start, p.p10), (x.end, p.p90)],
                colour.mix(0.75).filled(),
            )
        });
        chart.draw_series(spans)?;
        let ticks = bars.iter().map(|bar| {
            let x = bar_extent(bar, implementations);
            let p50 = bar.percentiles.p50;
            PathElement::new(vec![(x.start, p50), (x.end, p50)], BLACK.stroke_width(3))
        });
        chart.draw_series(ticks)?;
    }
    Ok(())
}

/// Names the implementations drawn in `panel` by their colours, right of its title (a
/// legend inside the plot would hide bars).
fn draw_legend(
    figure: &Figure,
    panel: &Panel,
    area: &DrawingArea<BitMapBackend, Shift>,
) -> Result<(), BoxError> {
    let style = (FONT, 13)
        .into_text_style(area)
        .pos(Pos::new(HPos::Left, VPos::Center));
    let drawn = figure
        .implementations
        .iter()
        .enumerate()
        .filter(|(index, _)| panel.bars.iter().any(|bar| bar.implementation == *index));
    let mut entries = Vec::new();
    for (index, name) in drawn {
        entries.push((
            colour(index),
            *name,
            area.estimate_text_size(name, &style)?.0 as i32,
        ));
    }
    let width: i32 = entries
        .iter()
        .map(|(_, _, text)| LEGEND_SWATCH + LEGEND_GAP + text + LEGEND_SPACING)
        .sum();
    let mut x = area.dim_in_pixel().0 as i32 - PANEL_MARGIN - width;
    let y = PANEL_MARGIN + LEGEND_SWATCH / 2;
    for (colour, name, text) in entries {
        let half = LEGEND_SWATCH / 2;
        area.draw(&Rectangle::new(
            [(x, y - half), (x + LEGEND_SWATCH, y + half)],
            colour.mix(0.75).filled(),
        ))?;
        area.draw_text(name, &style, (x + LEGEND_SWATCH + LEGEND_GAP, y))?;
        x += LEGEND_SWATCH + LEGEND_GAP + text + LEGEND_SPACING;
    }
    Ok(())
}

/// Writes each task's label under its group, broken into lines to fit the group's width.
fn draw_task_labels<Y>(
    panel: &Panel,
    area: &DrawingArea<BitMapBackend, Shift>,
    chart: &ChartContext<BitMapBackend, Cartesian2d<RangedCoordf64, Y>>,
) -> Result<(), BoxError>
where
    Y: Ranged<ValueType = f64>,
{
    let (columns, rows) = chart.plotting_area().get_pixel_range();
    let (left, top) = area.get_base_pixel();
    let group_width = (columns.end - columns.start) as u32 / panel.tasks.len().max(1) as u32;
    let style = (FONT, 13)
        .into_text_style(area)
        .pos(Pos::new(HPos::Center, VPos::Top));
    let line_height = 15;
    for (index, task) in panel.tasks.iter().enumerate() {
        let centre = columns.start + (group_width as f64 * (index as f64 + 0.5)) as i32;
        let lines = wrapped(area, task, &style, group_width.saturating_sub(8))?;
        for (line_index, line) in lines.iter().enumerate() {
            let y = rows.end + 6 + line_height * line_index as i32;
            area.draw_text(line, &style, (centre - left, y - top))?;
        }
    }
    Ok(())
}

/// Draws the p10–p90 latency (bar) and p50 (tick) of each task and implementation of the
/// open-loop `rows`, one panel per store and load, to a PNG at `path`.
pub fn percentiles_png(rows: &[Row], path: &std::path::Path) -> Result<(), BoxError> {
    let figure = figure(rows);
    if figure.panels.is_empty() {
        return Err("no open-loop rows with latencies to chart".into());
    }
    register_font()?;
    draw(&figure, path)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use hdrhistogram::Histogram;
    use nubes_runtime::store::StatsSnapshot;

    use super::*;
    use crate::hotel::load::Measured;

    const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];

    fn row(store: &str, load: &str, scenario: &str, implementation: &'static str) -> Row {
        let mut latencies =
            Histogram::new_with_bounds(1, 60_000_000, 3).expect("the bounds are valid");
        for us in [800, 1_200, 1_500, 2_000, 3_500, 9_000] {
            latencies
                .record(us)
                .expect("the latency is within the bounds");
        }
        Row {
            counted: true,
            store: store.into(),
            load: load.into(),
            scenario: scenario.into(),
            implementation,
            measured: Measured {
                latencies,
                by_task: Default::default(),
                calls: 6,
                refused: 0,
                first_refusal: None,
                errors: 0,
                first_error: None,
                elapsed: Duration::from_secs(1),
                served: Duration::from_millis(18),
                stats: StatsSnapshot::default(),
                all_calls: 6,
            },
        }
    }

    fn big_endian(bytes: &[u8]) -> u32 {
        u32::from_be_bytes(bytes.try_into().expect("four bytes"))
    }

    #[test]
    fn draws_one_panel_per_store_and_open_loop_load() {
        let rows = vec![
            row("sqlite", "100/s", "reserve", "exactly-once"),
            row("sqlite", "100/s", "reserve", "ssf"),
            row(
                "sqlite",
                "100/s",
                "busy: reserve=0.5,login=0.5 on 8 objects",
                "exactly-once",
            ),
            row("modelled cloud", "100/s", "get-user-reservations", "ssf"),
            row("sqlite", "closed, 8 workers", "reserve", "ssf"),
        ];
        let path = std::env::temp_dir().join(format!(
            "nubes-chart-test-{}-{:?}.png",
            std::process::id(),
            std::thread::current().id()
        ));
        percentiles_png(&rows, &path).expect("the chart is drawn");
        let png = std::fs::read(&path).expect("the chart is written");
        let again =
            std::env::temp_dir().join(format!("nubes-chart-test-{}-again.png", std::process::id()));
        percentiles_png(&rows, &again).expect("the chart is drawn again");
        let same = std::fs::read(&again).expect("the chart is written again");
        let _ = std::fs::remove_file(&path);
        let _ = std::fs::remove_file(&again);
        assert_eq!(png[..8], PNG_SIGNATURE);
        assert_eq!(big_endian(&png[16..20]), WIDTH);
        assert_eq!(big_endian(&png[20..24]), TITLE_HEIGHT + 2 * PANEL_HEIGHT);
        assert!(png == same, "the same rows draw the same bytes");
    }

    #[test]
    fn titles_name_the_store_the_load_and_a_model() {
        let rows = vec![
            row("modelled cloud", "100/s", "login", "ssf"),
            row("sqlite", "200/s", "busy: login on 8 objects", "ssf"),
        ];
        let figure = figure(&rows);
        let titles: Vec<String> = figure.panels.iter().map(Panel::title).collect();
        assert_eq!(
            titles,
            ["modelled cloud · 100/s (modelled)", "sqlite · 200/s"]
        );
        assert_eq!(figure.panels[1].tasks, ["busy"]);
    }

    #[test]
    fn no_open_loop_rows_is_an_error() {
        let path =
            std::env::temp_dir().join(format!("nubes-chart-test-{}-empty.png", std::process::id()));
        assert!(percentiles_png(&[], &path).is_err());
        let closed = [row("sqlite", "closed, 8 workers", "reserve", "ssf")];
        assert!(percentiles_png(&closed, &path).is_err());
        assert!(!path.exists());
    }
}
