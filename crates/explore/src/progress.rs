//! A progress bar for long searches: states, states per second, depth and
//! memory, on standard error, drawn only when that is a terminal.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub struct Bar(Option<ProgressBar>);

impl Bar {
    pub fn new(on: bool) -> Bar {
        if !on {
            return Bar(None);
        }
        // indicatif hides itself when standard error is not a terminal
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(4));
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg}").unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        Bar(Some(bar))
    }

    /// `states` stored, `done` of them expanded, at `depth`, after `seconds`.
    pub fn update(&self, states: usize, done: usize, depth: u32, seconds: f64) {
        if let Some(b) = &self.0 {
            let rate = if seconds > 0.0 { done as f64 / seconds } else { 0.0 };
            b.set_message(format!(
                "{states} states, {done} expanded ({rate:.0}/s), depth {depth}, {} MiB",
                crate::bfs::current_memory_mb()
            ));
            b.tick();
        }
    }

    pub fn finish(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}
