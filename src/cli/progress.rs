//! Progress for long operations (a promotion of 100,000 projects, signing many files): an
//! indicatif bar when stderr is a terminal; otherwise a few plain lines on stderr (start,
//! every tenth, done) so logs of scripted runs show progress without control characters.
//! Plain lines are written only for jobs of at least [`PLAIN_MIN`] items: small jobs stay
//! silent in scripts.

use std::io::{IsTerminal, Write};

/// Fewer items than this print no plain progress lines.
pub const PLAIN_MIN: u64 = 1000;

enum Mode {
    Bar(indicatif::ProgressBar),
    Plain { out: Box<dyn Write>, next_tenth: u64 },
    Quiet,
}

/// A job of `total` items under way.
pub struct Progress {
    mode: Mode,
    label: String,
    total: u64,
    done: u64,
}

impl Progress {
    /// A bar on a terminal, plain lines on stderr otherwise. For long-running commands as they
    /// land (`claimed promote`, signing many files).
    pub fn start(label: &str, total: u64) -> Progress {
        if std::io::stderr().is_terminal() {
            let bar = indicatif::ProgressBar::new(total);
            if let Ok(style) = indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({eta} left)") {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_message(label.to_string());
            Progress { mode: Mode::Bar(bar), label: label.to_string(), total, done: 0 }
        } else {
            Progress::plain(label, total, Box::new(std::io::stderr()))
        }
    }

    /// Plain lines to `out` (no terminal).
    pub fn plain(label: &str, total: u64, mut out: Box<dyn Write>) -> Progress {
        let mode = if total >= PLAIN_MIN {
            let _ = writeln!(out, "{label}: 0 of {total}");
            Mode::Plain { out, next_tenth: 1 }
        } else {
            Mode::Quiet
        };
        Progress { mode, label: label.to_string(), total, done: 0 }
    }

    /// `n` more items are done.
    pub fn inc(&mut self, n: u64) {
        self.done = self.done.saturating_add(n).min(self.total);
        match &mut self.mode {
            Mode::Bar(bar) => bar.set_position(self.done),
            Mode::Plain { out, next_tenth } => {
                while *next_tenth < 10 && self.done * 10 >= self.total * *next_tenth {
                    let _ = writeln!(out, "{}: {} of {} ({}%)", self.label, self.done, self.total, *next_tenth * 10);
                    *next_tenth += 1;
                }
            }
            Mode::Quiet => {}
        }
    }

    /// The job is over: the bar is cleared, plain output says so.
    pub fn finish(mut self) {
        match &mut self.mode {
            Mode::Bar(bar) => bar.finish_and_clear(),
            Mode::Plain { out, .. } => {
                let _ = writeln!(out, "{}: done, {} of {}", self.label, self.done, self.total);
                let _ = out.flush();
            }
            Mode::Quiet => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn plain_progress_prints_start_tenths_and_done() {
        let sink = Sink::default();
        let mut p = Progress::plain("promoting", 2000, Box::new(sink.clone()));
        for _ in 0..2000 {
            p.inc(1);
        }
        p.finish();
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 11, "{text}");
        assert_eq!(lines[0], "promoting: 0 of 2000");
        assert_eq!(lines[1], "promoting: 200 of 2000 (10%)");
        assert_eq!(lines[9], "promoting: 1800 of 2000 (90%)");
        assert_eq!(lines[10], "promoting: done, 2000 of 2000");
        assert!(
            !text.contains('\u{1b}'),
            "no terminal control characters in plain output: expected {:?} not to contain {:?}",
            text,
            '\u{1b}'
        );
    }

    #[test]
    fn small_jobs_are_silent_and_big_steps_do_not_skip_lines() {
        let sink = Sink::default();
        let mut p = Progress::plain("signing", 3, Box::new(sink.clone()));
        p.inc(3);
        p.finish();
        assert!(sink.0.lock().unwrap().is_empty(), "expected empty, got {:?}", sink.0.lock().unwrap());

        let sink = Sink::default();
        let mut p = Progress::plain("signing", 1000, Box::new(sink.clone()));
        p.inc(5000);
        p.finish();
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        assert_eq!(text.lines().count(), 11, "{text}");
        assert!(text.ends_with("signing: done, 1000 of 1000\n"), "expected {:?} to end with {:?}", text, "signing: done, 1000 of 1000\n");
    }
}
