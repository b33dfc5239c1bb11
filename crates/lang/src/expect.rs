//! Expectation headers: comment lines `# expect: deadlock, lost-update`.
//!
//! Any number of such lines may appear anywhere in the file; their kinds
//! are merged, sorted and deduplicated. `# expect: none` states that the
//! model has no finding (the same as having no header).

use ruff_text_size::{TextRange, TextSize};

use crate::diag::Diagnostic;
use crate::source::Source;

/// The finding kinds an expectation may name.
pub const KINDS: &[&str] = &["deadlock", "hang", "assertion", "crash", "lost-update", "zombie", "orphan"];

const PREFIX: &str = "expect:";

/// Collects the expectations from the comments at `comments` (ranges of
/// comment tokens). Only comments alone on their line count.
pub(crate) fn collect(src: &Source, comments: impl Iterator<Item = TextRange>) -> Result<Vec<String>, Box<Diagnostic>> {
    let mut kinds = Vec::new();
    for range in comments {
        if !starts_line(&src.text, range.start().to_usize()) {
            continue;
        }
        let text = &src.text[range.start().to_usize()..range.end().to_usize()];
        let body = text.trim_start_matches('#').trim_start();
        if let Some(list) = body.strip_prefix(PREFIX) {
            let offset = range.start().to_usize() + (text.len() - body.len()) + PREFIX.len();
            parse_list(src, list, offset, range, &mut kinds)?;
        }
    }
    kinds.sort();
    kinds.dedup();
    Ok(kinds)
}

fn starts_line(text: &str, offset: usize) -> bool {
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    text[line_start..offset].trim().is_empty()
}

/// Parses `deadlock, hang` found at byte `offset` of the file.
fn parse_list(
    src: &Source,
    list: &str,
    offset: usize,
    comment: TextRange,
    kinds: &mut Vec<String>,
) -> Result<(), Box<Diagnostic>> {
    let items: Vec<(usize, &str)> = split_items(list);
    if items.iter().all(|(_, w)| w.is_empty()) {
        return Err(bad(src, comment, "empty expectation header"));
    }
    if items.len() == 1 && items[0].1 == "none" {
        return Ok(());
    }
    for (pos, word) in items {
        if !KINDS.contains(&word) {
            let start = TextSize::new((offset + pos) as u32);
            let range = TextRange::at(start, TextSize::new(word.len().max(1) as u32));
            let what = if word.is_empty() { "an empty kind".to_string() } else { format!("'{word}'") };
            return Err(bad(src, range, &format!("unknown expectation kind {what}")));
        }
        kinds.push(word.to_string());
    }
    Ok(())
}

/// The comma-separated words of `list` with their byte positions in it.
fn split_items(list: &str) -> Vec<(usize, &str)> {
    let mut items = Vec::new();
    let mut pos = 0;
    for part in list.split(',') {
        let lead = part.len() - part.trim_start().len();
        items.push((pos + lead, part.trim()));
        pos += part.len() + 1;
    }
    items
}

fn bad(src: &Source, range: TextRange, message: &str) -> Box<Diagnostic> {
    let help = format!("write `# expect: KIND, KIND` with kinds from: {}; or `# expect: none`", KINDS.join(", "));
    src.diag(range, message, "not an expectation kind", Some(help))
}
