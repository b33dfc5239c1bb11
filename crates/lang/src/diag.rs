//! Diagnostics: a message that points at `path:line:col` and says what to
//! write instead, rendered with `annotate-snippets` (plain, no colours).

use std::fmt;
use std::sync::Arc;

use annotate_snippets::{Level, Renderer, Snippet};
use interleave_machine::ir::{Program, Span};

/// An error in a model file (or a file that cannot be read).
///
/// `line` and `col` are 1-based (`col` counts characters); both are 0 when
/// the error has no place in the file (e.g. the file is missing).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub path: String,
    pub line: u32,
    pub col: u32,
    /// The title, e.g. `unsupported construct: lambda`.
    pub message: String,
    /// Short text under the caret.
    pub label: String,
    /// What is supported instead.
    pub help: Option<String>,
    /// Byte range in `source` the caret points at.
    pub span: Option<Span>,
    pub source: Option<Arc<str>>,
}

impl Diagnostic {
    /// A diagnostic without a place in a file.
    pub fn without_span(path: &str, message: impl Into<String>, help: Option<String>) -> Self {
        Diagnostic {
            path: path.to_string(),
            line: 0,
            col: 0,
            message: message.into(),
            label: String::new(),
            help,
            span: None,
            source: None,
        }
    }

    /// The message in rustc style: title, `--> path:line:col`, the source
    /// line with a caret, and the `help:` line.
    pub fn render(&self) -> String {
        match (&self.source, self.span) {
            (Some(source), Some(span)) => {
                render_snippet(&self.path, source, span, &self.message, &self.label, self.help.as_deref())
            }
            _ => render_plain(&self.path, &self.message, self.help.as_deref()),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

impl std::error::Error for Diagnostic {}

/// Render an error found later (at run time by the interpreter) at a span
/// of this program.
pub fn render_at(program: &Program, span: Span, title: &str, label: &str, help: Option<&str>) -> String {
    render_snippet(&program.path, &program.source, span, title, label, help)
}

fn render_plain(path: &str, title: &str, help: Option<&str>) -> String {
    let mut out = format!("error: {title}\n --> {path}\n");
    if let Some(help) = help {
        out.push_str(&format!("  = help: {help}\n"));
    }
    out
}

/// Renders only the line the span starts on, so a multi-line construct
/// (a whole `class` block) still gives a one-line excerpt.
fn render_snippet(path: &str, source: &str, span: Span, title: &str, label: &str, help: Option<&str>) -> String {
    let (line_start, line_text) = line_of(source, span.start as usize);
    let start = (span.start as usize).saturating_sub(line_start);
    let range = caret_range(line_text, start, (span.end as usize).saturating_sub(line_start));
    let line_no = source[..line_start].matches('\n').count() + 1;
    let snippet =
        Snippet::source(line_text).line_start(line_no).origin(path).annotation(Level::Error.span(range).label(label));
    let mut message = Level::Error.title(title).snippet(snippet);
    if let Some(help) = help {
        message = message.footer(Level::Help.title(help));
    }
    let mut out = Renderer::plain().render(message).to_string();
    out.push('\n');
    out
}

/// The start offset and text (without line break) of the line holding
/// byte `offset`; offsets past the end or inside a character are clamped.
fn line_of(source: &str, offset: usize) -> (usize, &str) {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let start = source[..offset].rfind('\n').map_or(0, |i| i + 1);
    let end = source[offset..].find('\n').map_or(source.len(), |i| offset + i);
    let text = source[start..end].strip_suffix('\r').unwrap_or(&source[start..end]);
    (start, text)
}

/// A non-empty caret range inside `line` where possible, on char boundaries.
fn caret_range(line: &str, start: usize, end: usize) -> std::ops::Range<usize> {
    let start = floor_boundary(line, start.min(line.len()));
    let mut end = floor_boundary(line, end.clamp(start, line.len()));
    if end == start {
        end = line[start..].chars().next().map_or(start, |c| start + c.len_utf8());
    }
    start..end
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The candidate closest to `name` by edit distance, if it is close enough
/// to be a likely typo.
pub(crate) fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .filter(|c| *c != name)
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, c)| c.to_string())
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_single_edits() {
        assert_eq!(edit_distance("aquire", "acquire"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn suggest_picks_the_closest_name() {
        assert_eq!(suggest("aquire", ["release", "acquire"]), Some("acquire".to_string()));
        assert_eq!(suggest("zzz", ["acquire"]), None);
    }

    #[test]
    fn render_points_at_line_and_column() {
        let src = "x = 1\ny = lambda: 0\n";
        let span = Span { start: 10, end: 19, line: 2, col: 5 };
        let out = render_snippet("m.py", src, span, "unsupported construct: lambda", "here", Some("use def"));
        assert!(out.contains("m.py:2:5"), "{out}");
        assert!(out.contains("= help: use def"), "{out}");
        assert!(out.contains("^^^^^^^^^"), "{out}");
    }

    #[test]
    fn render_survives_spans_at_end_of_file() {
        let src = "x = (";
        let span = Span { start: 5, end: 5, line: 1, col: 6 };
        let out = render_snippet("m.py", src, span, "syntax error", "", None);
        assert!(out.contains("m.py:1:"), "{out}");
    }
}
