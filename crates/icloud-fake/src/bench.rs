//! Helpers for benchmarks that measure a client against the fake from a child process.
//!
//! A benchmark binary starts [`FakeICloud`](crate::FakeICloud) in its own process and then runs
//! itself again as a child ([`BenchChild`]) that does the measured work, so that the child's
//! figures count only the client: its CPU time ([`cpu_seconds`]) and its peak resident set
//! ([`peak_rss_kib`], which does not include the fake's memory). The parent judges the figures
//! against the benchmark's targets and ends with [`print_verdicts`].
//!
//! ```no_run
//! use std::process::ExitCode;
//!
//! use icloud_fake::bench::{self, BenchChild, Verdict};
//!
//! const CHILD: BenchChild = BenchChild::new("MY_BENCH_CHILD");
//!
//! fn main() -> ExitCode {
//!     if let Some(spec) = CHILD.spec() {
//!         // The measured side: do the work described by `spec`, print the figures.
//!         let cpu = bench::cpu_seconds();
//!         println!("{spec} {cpu:.3} {}", bench::peak_rss_kib().unwrap_or(0));
//!         return ExitCode::SUCCESS;
//!     }
//!     let out = CHILD.run("http://127.0.0.1:1234 16");
//!     let cpu: f64 = out.stdout.split_whitespace().nth(2).unwrap().parse().unwrap();
//!     bench::print_verdicts([Verdict {
//!         text: format!("child CPU {cpu:.2} s (target < 10 s)"),
//!         met: cpu < 10.0,
//!         judged: true,
//!     }])
//! }
//! ```
//!
//! CPU time and peak RSS are read from `/proc/self`, so they are Linux only: elsewhere
//! [`cpu_seconds`] is 0 and [`peak_rss_kib`] is `None`.

use std::process::{Command, ExitCode};

/// The benchmark binary re-executed as its own measured child.
///
/// The parent passes the child a spec (what to measure, as text) in the environment variable
/// given to [`BenchChild::new`]; the child finds it with [`BenchChild::spec`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BenchChild {
    var: &'static str,
}

impl BenchChild {
    /// Returns a child runner that passes the spec in the environment variable `var`.
    pub const fn new(var: &'static str) -> BenchChild {
        BenchChild { var }
    }

    /// Returns the spec the parent passed, or `None` when this process is not the child.
    pub fn spec(&self) -> Option<String> {
        std::env::var(self.var).ok()
    }

    /// Runs this same binary again with `spec` in the environment variable, waits for it to
    /// finish and returns what it wrote.
    ///
    /// # Panics
    ///
    /// Panics if the binary cannot be started or the child fails; the message holds the child's
    /// stdout and stderr.
    pub fn run(&self, spec: &str) -> ChildOutput {
        let out = Command::new(std::env::current_exe().expect("own path"))
            .env(self.var, spec)
            .output()
            .expect("the child runs");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "child failed: {stdout}{stderr}");
        ChildOutput { stdout, stderr }
    }
}

/// What a successful child wrote (lossily decoded as UTF-8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildOutput {
    /// Everything the child wrote on stdout: by convention, one line of figures.
    pub stdout: String,
    /// Everything the child wrote on stderr.
    pub stderr: String,
}

/// Returns the CPU time (user + system) this process has used so far, in seconds (Linux; 0
/// elsewhere).
pub fn cpu_seconds() -> f64 {
    const TICKS_PER_SECOND: f64 = 100.0; // USER_HZ, 100 on every Linux target
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // After the parenthesised command name, utime and stime are the 12th and 13th fields.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let ticks: u64 = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|v| v.parse::<u64>().ok())
        .sum();
    ticks as f64 / TICKS_PER_SECOND
}

/// Returns the peak resident set size of this process in KiB (Linux `VmHWM`; `None`
/// elsewhere).
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A line of a benchmark's summary: a figure and its target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The figure and its target, as printed.
    pub text: String,
    /// Whether the target was met.
    pub met: bool,
    /// Whether the target counts: `false` for runs too small or too fast to judge, whose figure
    /// is printed as `info`.
    pub judged: bool,
}

impl Verdict {
    /// Returns the label printed before the text: `PASS`, `FAIL`, or `info` when not judged.
    pub fn label(&self) -> &'static str {
        match (self.judged, self.met) {
            (false, _) => "info",
            (true, true) => "PASS",
            (true, false) => "FAIL",
        }
    }

    /// Returns whether this verdict lets the run pass: its target was met or is not judged.
    pub fn passes(&self) -> bool {
        self.met || !self.judged
    }
}

/// Prints an empty line, then `<label>: <text>` for each verdict on stdout, and returns
/// [`ExitCode::FAILURE`] if a judged target was missed, [`ExitCode::SUCCESS`] otherwise.
pub fn print_verdicts(verdicts: impl IntoIterator<Item = Verdict>) -> ExitCode {
    println!();
    let mut all = true;
    for v in verdicts {
        println!("{}: {}", v.label(), v.text);
        all &= v.passes();
    }
    if all {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
