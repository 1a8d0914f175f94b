//! The standard process metrics, read from `/proc/self` when the registry
//! renders (Linux only; elsewhere, and if `/proc` cannot be read, they are
//! left out):
//!
//! | metric | type | source |
//! |---|---|---|
//! | `process_cpu_seconds_total` | counter | `utime + stime` of `/proc/self/stat`, in clock ticks |
//! | `process_resident_memory_bytes` | gauge | `resident` of `/proc/self/statm`, in pages |
//!
//! They are written as text rather than recorded: CPU time is a fractional
//! counter, which the `metrics` facade's `u64` counters cannot hold, and
//! both are read at scrape time, never updated by the process itself.

use std::fmt::Write as _;

/// Appends the process families to `out` (each with `# HELP` and `# TYPE`).
pub(super) fn render(out: &mut String) {
    if let Some(seconds) = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|stat| cpu_ticks(&stat))
        .and_then(|ticks| ticks_to_seconds(ticks, rustix::param::clock_ticks_per_second()))
    {
        let _ = writeln!(
            out,
            "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n\
             # TYPE process_cpu_seconds_total counter\n\
             process_cpu_seconds_total {seconds}"
        );
    }
    if let Some(bytes) = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|statm| resident_pages(&statm))
        .and_then(|pages| {
            let page_size = u64::try_from(rustix::param::page_size()).ok()?;
            pages.checked_mul(page_size)
        })
    {
        let _ = writeln!(
            out,
            "# HELP process_resident_memory_bytes Resident memory size in bytes.\n\
             # TYPE process_resident_memory_bytes gauge\n\
             process_resident_memory_bytes {bytes}"
        );
    }
}

/// `utime + stime` (fields 14 and 15) of a `/proc/<pid>/stat` line. The
/// command name (field 2) is in parentheses and may hold spaces and
/// parentheses itself, so fields are counted after its last `)`.
fn cpu_ticks(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    // Field 3 (state) is the first after the name: utime is field 14.
    let mut fields = after_name.split_ascii_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    utime.checked_add(stime)
}

/// `resident` (the second field) of `/proc/<pid>/statm`, in pages.
fn resident_pages(statm: &str) -> Option<u64> {
    statm.split_ascii_whitespace().nth(1)?.parse().ok()
}

/// `ticks` clock ticks in seconds.
fn ticks_to_seconds(ticks: u64, per_second: u64) -> Option<f64> {
    if per_second == 0 {
        return None;
    }
    // Whole seconds and the remainder separately: exact up to 2^53 s.
    let whole = ticks / per_second;
    let rest = ticks % per_second;
    Some(whole as f64 + rest as f64 / per_second as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_ticks_are_read_after_the_command_name() {
        let stat = "4242 (emp (worker) 1) S 1 4242 4242 0 -1 4194560 1733 0 0 0 \
                    150 27 0 0 20 0 9 0 123456 98765432 2048 18446744073709551615";
        assert_eq!(cpu_ticks(stat), Some(177));
        assert_eq!(cpu_ticks("4242 (emp) S 1 2"), None);
        assert_eq!(cpu_ticks("no name at all"), None);
    }

    #[test]
    fn resident_pages_are_the_second_field() {
        assert_eq!(resident_pages("25000 1834 700 100 0 3000 0\n"), Some(1834));
        assert_eq!(resident_pages("25000"), None);
    }

    #[test]
    fn ticks_become_seconds() {
        assert_eq!(ticks_to_seconds(177, 100), Some(1.77));
        assert_eq!(ticks_to_seconds(0, 100), Some(0.0));
        assert_eq!(ticks_to_seconds(5, 0), None);
    }

    #[test]
    fn this_process_reports_cpu_time_and_memory() {
        let mut text = String::new();
        render(&mut text);
        if !cfg!(target_os = "linux") {
            return;
        }
        let value = |name: &str| -> f64 {
            text.lines()
                .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
                .unwrap_or_else(|| panic!("no {name} in {text}"))
                .parse()
                .unwrap()
        };
        assert!(value("process_cpu_seconds_total") >= 0.0);
        // A test binary holds at least a megabyte.
        assert!(value("process_resident_memory_bytes") > 1e6);
        assert!(text.contains("# TYPE process_cpu_seconds_total counter\n"));
        assert!(text.contains("# TYPE process_resident_memory_bytes gauge\n"));
    }
}
