//! Renders diagnostics as text with miette: source snippets, labels, help lines.
//! Labels in another file than the primary span become a related note with that
//! file's snippet.

use std::fmt;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};

use crate::diag::{Diagnostic, Severity};
use crate::source::{SourceMap, Span};

/// Whether rendered text may carry terminal colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Colors {
    /// Plain text (files, pipes, golden tests).
    Off,
    /// ANSI colours (a terminal).
    On,
}

/// The width diagnostics are wrapped to.
const WIDTH: usize = 100;

/// Renders every diagnostic, each followed by a blank line.
pub fn render_all(sources: &SourceMap, diagnostics: &[Diagnostic], colors: Colors) -> String {
    let mut out = String::new();
    for diagnostic in diagnostics {
        out.push_str(&render(sources, diagnostic, colors));
    }
    out
}

/// Renders one diagnostic.
pub fn render(sources: &SourceMap, diagnostic: &Diagnostic, colors: Colors) -> String {
    render_report(&Report::from_diagnostic(sources, diagnostic), colors)
}

/// Renders a problem that has no place in a source file (e.g. an unreadable input).
pub fn render_message(code: &str, message: &str, help: Option<&str>, colors: Colors) -> String {
    let report = Report {
        message: message.to_string(),
        code: Some(code.to_string()),
        severity: miette::Severity::Error,
        help: help.map(str::to_string),
        source: None,
        labels: Vec::new(),
        related: Vec::new(),
    };
    render_report(&report, colors)
}

fn render_report(report: &Report, colors: Colors) -> String {
    let theme = match colors {
        Colors::Off => GraphicalTheme::unicode_nocolor(),
        Colors::On => GraphicalTheme::unicode(),
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(WIDTH)
        .with_links(false);
    let mut out = String::new();
    if handler.render_report(&mut out, report).is_err() {
        // Rendering into a String only fails if a Display impl fails; fall back to plain.
        out = format!("{report}\n");
    }
    out.push('\n');
    out
}

/// A diagnostic in the shape miette renders.
#[derive(Debug)]
struct Report {
    message: String,
    code: Option<String>,
    severity: miette::Severity,
    help: Option<String>,
    source: Option<NamedSource<String>>,
    labels: Vec<LabeledSpan>,
    related: Vec<Report>,
}

impl Report {
    fn from_diagnostic(sources: &SourceMap, diagnostic: &Diagnostic) -> Self {
        let file = diagnostic.primary.span.file;
        let mut labels = vec![LabeledSpan::new_primary_with_span(
            Some(diagnostic.primary.message.clone()),
            source_span(diagnostic.primary.span),
        )];
        let mut related = Vec::new();
        for label in &diagnostic.secondary {
            if label.span.file == file {
                labels.push(LabeledSpan::new_with_span(
                    Some(label.message.clone()),
                    source_span(label.span),
                ));
            } else {
                related.push(Report {
                    message: label.message.clone(),
                    code: None,
                    severity: miette::Severity::Advice,
                    help: None,
                    source: Some(named_source(sources, label.span)),
                    labels: vec![LabeledSpan::new_primary_with_span(
                        None,
                        source_span(label.span),
                    )],
                    related: Vec::new(),
                });
            }
        }
        Report {
            message: diagnostic.message.clone(),
            code: Some(diagnostic.code.as_str().to_string()),
            severity: match diagnostic.severity() {
                Severity::Error => miette::Severity::Error,
                Severity::Warning => miette::Severity::Warning,
            },
            help: diagnostic.help.clone(),
            source: Some(named_source(sources, diagnostic.primary.span)),
            labels,
            related,
        }
    }
}

fn named_source(sources: &SourceMap, span: Span) -> NamedSource<String> {
    let file = sources.file(span.file);
    NamedSource::new(file.name.clone(), file.text.clone())
}

fn source_span(span: Span) -> SourceSpan {
    SourceSpan::new((span.start as usize).into(), span.len())
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.code
            .as_ref()
            .map(|code| Box::new(code) as Box<dyn fmt::Display>)
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|help| Box::new(help) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source
            .as_ref()
            .map(|source| source as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            None
        } else {
            Some(Box::new(
                self.related
                    .iter()
                    .map(|report| report as &dyn miette::Diagnostic),
            ))
        }
    }
}

/// How serious a [`Finding`] is: the mark miette puts before its message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// `×`.
    Error,
    /// `⚠`.
    Warning,
    /// `☞`.
    Advice,
}

/// A span in the sources it belongs to. The places of one [`Finding`] may come from
/// different compilations, e.g. the two versions of a schema that `nubesc diff` compares.
#[derive(Debug, Clone, Copy)]
pub struct Place<'a> {
    /// The files the span's file id refers to.
    pub sources: &'a SourceMap,
    /// Where.
    pub span: Span,
}

/// A report with a primary place and related notes, each of which may point into other
/// sources than the primary place.
#[derive(Debug, Clone)]
pub struct Finding<'a> {
    /// The stable code, e.g. `nubes::D010`.
    pub code: String,
    /// One lowercase sentence; names in backticks.
    pub message: String,
    /// How serious it is.
    pub level: Level,
    /// The place the finding is about.
    pub primary: Place<'a>,
    /// What is at the primary place.
    pub label: Option<String>,
    /// The help line.
    pub help: Option<String>,
    /// Related notes, each shown after the finding with its own snippet when it has a
    /// place.
    pub notes: Vec<(String, Option<Place<'a>>)>,
}

/// Renders a [`Finding`] as [`render`] renders a diagnostic: the primary snippet with its
/// label and the help line, then each note as a related advice.
pub fn render_finding(finding: &Finding<'_>, colors: Colors) -> String {
    let related = finding
        .notes
        .iter()
        .map(|(message, place)| Report {
            message: message.clone(),
            code: None,
            severity: miette::Severity::Advice,
            help: None,
            source: place.map(|place| named_source(place.sources, place.span)),
            labels: place
                .map(|place| LabeledSpan::new_primary_with_span(None, source_span(place.span)))
                .into_iter()
                .collect(),
            related: Vec::new(),
        })
        .collect();
    let report = Report {
        message: finding.message.clone(),
        code: Some(finding.code.clone()),
        severity: match finding.level {
            Level::Error => miette::Severity::Error,
            Level::Warning => miette::Severity::Warning,
            Level::Advice => miette::Severity::Advice,
        },
        help: finding.help.clone(),
        source: Some(named_source(finding.primary.sources, finding.primary.span)),
        labels: vec![LabeledSpan::new_primary_with_span(
            finding.label.clone(),
            source_span(finding.primary.span),
        )],
        related,
    };
    render_report(&report, colors)
}
