//! The model's text with its line index: turns parser ranges into IR spans
//! and diagnostics.

use std::sync::Arc;

use interleave_machine::ir::Span;
use ruff_source_file::LineIndex;
use ruff_text_size::{TextRange, TextSize};

use crate::diag::Diagnostic;

pub(crate) struct Source {
    pub(crate) path: String,
    pub(crate) text: Arc<str>,
    index: LineIndex,
}

impl Source {
    pub(crate) fn new(path: &str, text: &str) -> Self {
        Source { path: path.to_string(), text: Arc::from(text), index: LineIndex::from_source_text(text) }
    }

    /// The IR span of a parser range: byte offsets plus the 1-based line
    /// and character column of its start.
    pub(crate) fn span(&self, range: TextRange) -> Span {
        let len = self.text.len() as u32;
        let start = u32::from(range.start()).min(len);
        let end = u32::from(range.end()).clamp(start, len);
        let (line, col) = self.line_col(start);
        Span { start, end, line, col }
    }

    fn line_col(&self, offset: u32) -> (u32, u32) {
        let mut offset = offset as usize;
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let lc = self.index.line_column(TextSize::new(offset as u32), &self.text);
        (lc.line.get() as u32, lc.column.get() as u32)
    }

    /// A diagnostic pointing at `range`.
    pub(crate) fn diag(
        &self,
        range: TextRange,
        message: impl Into<String>,
        label: &str,
        help: Option<String>,
    ) -> Box<Diagnostic> {
        let span = self.span(self.visible(range));
        Box::new(Diagnostic {
            path: self.path.clone(),
            line: span.line,
            col: span.col,
            message: message.into(),
            label: label.to_string(),
            help,
            span: Some(span),
            source: Some(self.text.clone()),
        })
    }

    /// `range` moved back onto the last visible character when it starts
    /// in trailing whitespace (a syntax error at end of file), so the caret
    /// has a line to point at.
    fn visible(&self, range: TextRange) -> TextRange {
        let start = u32::from(range.start()) as usize;
        let content_end = self.text.trim_end().len();
        if start < content_end || content_end == 0 {
            return range;
        }
        let last = self.text[..content_end].char_indices().next_back().map_or(0, |(i, _)| i);
        TextRange::new(TextSize::new(last as u32), TextSize::new(content_end as u32))
    }

    /// The common case: a construct outside the supported subset.
    pub(crate) fn unsupported(&self, range: TextRange, what: &str, help: &str) -> Box<Diagnostic> {
        self.diag(
            range,
            format!("unsupported construct: {what}"),
            "not supported by interleave",
            Some(help.to_string()),
        )
    }
}
