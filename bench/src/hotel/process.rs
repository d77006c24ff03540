//! Servers the benchmark runs as processes of their own, and what they cost: CPU time
//! and bytes written to storage, read from `/proc` (Linux).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::BoxError;

/// What a set of processes used: CPU time (user and system) and the bytes they sent
/// towards storage (`write_bytes` of `/proc/<pid>/io`). Linux counts a write when it
/// dirties a page of the page cache, charged to the writer, a whole page at a time: a
/// page written again while still dirty counts once, and again once it has been flushed
/// (so after an `fsync`, the next append to a log's last page counts a page more).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Usage {
    /// CPU time, user and system.
    pub cpu: Duration,
    /// Bytes written to storage.
    pub written: u64,
}

impl std::ops::Sub for Usage {
    type Output = Usage;

    fn sub(self, earlier: Usage) -> Usage {
        Usage {
            cpu: self.cpu.saturating_sub(earlier.cpu),
            written: self.written.saturating_sub(earlier.written),
        }
    }
}

impl std::ops::Add for Usage {
    type Output = Usage;

    fn add(self, other: Usage) -> Usage {
        Usage {
            cpu: self.cpu + other.cpu,
            written: self.written + other.written,
        }
    }
}

/// Clock ticks a second in `/proc/<pid>/stat` (`USER_HZ`, 100 on every Linux platform
/// Rust supports).
const TICKS_PER_SECOND: u64 = 100;

/// What the process `pid` has used so far, threads included.
pub fn usage(pid: u32) -> Result<Usage, BoxError> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map_err(|error| format!("cannot read the CPU time of process {pid}: {error}"))?;
    // The command name, in parentheses, may hold spaces: the fields count from after it.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let ticks = |n: usize| -> Result<u64, BoxError> {
        Ok(fields
            .get(n)
            .ok_or_else(|| format!("/proc/{pid}/stat is shorter than expected"))?
            .parse()?)
    };
    let ticks = ticks(11)? + ticks(12)?;
    let io = std::fs::read_to_string(format!("/proc/{pid}/io"))
        .map_err(|error| format!("cannot read the I/O counters of process {pid}: {error}"))?;
    let written = io
        .lines()
        .find_map(|line| line.strip_prefix("write_bytes:"))
        .ok_or_else(|| format!("/proc/{pid}/io has no write_bytes"))?
        .trim()
        .parse()?;
    Ok(Usage {
        cpu: Duration::from_millis(ticks * 1_000 / TICKS_PER_SECOND),
        written,
    })
}

/// The summed usage of `pids`.
pub fn usage_of(pids: &[u32]) -> Result<Usage, BoxError> {
    pids.iter()
        .try_fold(Usage::default(), |sum, pid| Ok(sum + usage(*pid)?))
}

/// A server process, stopped (killed) when dropped.
pub struct ServerProcess {
    child: Child,
    /// The URL it printed when it started listening.
    pub url: String,
}

impl ServerProcess {
    /// Starts `binary` with `args` and waits for it to print a line starting
    /// `listening on `, the rest of which is its URL; its other output is passed through
    /// to this process's standard error.
    pub fn start(binary: &Path, args: &[&str]) -> Result<ServerProcess, BoxError> {
        let mut child = Command::new(binary)
            .args(args)
            .stdout(Stdio::piped())
            .stdin(Stdio::null())
            .spawn()
            .map_err(|error| format!("could not start {}: {error}", binary.display()))?;
        let stdout = child.stdout.take().ok_or("the server's output is piped")?;
        let mut lines = BufReader::new(stdout).lines();
        let url = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(url) = line.strip_prefix("listening on ") {
                        break url.trim().to_string();
                    }
                    eprintln!("{line}");
                }
                Some(Err(error)) => return Err(error.into()),
                None => {
                    let status = child.wait()?;
                    return Err(format!(
                        "{} exited ({status}) before it listened",
                        binary.display()
                    )
                    .into());
                }
            }
        };
        // Whatever it prints later goes to standard error, so its pipe never fills up.
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                eprintln!("{line}");
            }
        });
        Ok(ServerProcess { child, url })
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_used_some_cpu() {
        let spin: u64 = (0..20_000_000u64).fold(0, |sum, n| sum.wrapping_add(n * n));
        assert_ne!(spin, 1);
        let used = usage(std::process::id()).expect("readable on Linux");
        assert!(used.cpu > Duration::ZERO, "{used:?}");
        let twice = usage_of(&[std::process::id(), std::process::id()]).expect("readable");
        assert!(twice.cpu >= used.cpu * 2, "{twice:?} vs {used:?}");
    }
}
