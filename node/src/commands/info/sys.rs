//! What INFO reads from the operating system: /proc for CPU time, RSS, total
//! memory and the kernel name.

/// Clock ticks per second of /proc times (USER_HZ, 100 on Linux).
const TICKS: f64 = 100.0;

/// (user, system, children user, children system) seconds from a /proc stat file.
fn times(path: &str) -> Option<[f64; 4]> {
    let s = std::fs::read_to_string(path).ok()?;
    // Fields after the command name in parentheses (which may contain spaces).
    let rest = &s[s.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split(' ').collect();
    // utime is field 14 of the line, the 12th after "state".
    let get = |i: usize| {
        f.get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .map(|t| t / TICKS)
    };
    Some([get(11)?, get(12)?, get(13)?, get(14)?])
}

/// The process's CPU times: (user, sys, children user, children sys).
pub fn process_cpu() -> [f64; 4] {
    times("/proc/self/stat").unwrap_or_default()
}

/// The main thread's CPU times (user, sys).
pub fn main_thread_cpu() -> (f64, f64) {
    let p = format!("/proc/self/task/{}/stat", std::process::id());
    times(&p).map(|t| (t[0], t[1])).unwrap_or_default()
}

/// Resident set size in bytes.
pub fn rss() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split(' ').nth(1).and_then(|v| v.parse::<u64>().ok()))
        .map(|pages| pages * 4096)
        .unwrap_or(0)
}

pub fn total_system_memory() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| {
                    l.split_whitespace()
                        .nth(1)
                        .and_then(|v| v.parse::<u64>().ok())
                })
        })
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

/// "Linux 6.1.0 x86_64", like uname's sysname, release and machine.
pub fn os() -> String {
    let read = |p: &str| {
        std::fs::read_to_string(p)
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    format!(
        "{} {} {}",
        read("/proc/sys/kernel/ostype"),
        read("/proc/sys/kernel/osrelease"),
        std::env::consts::ARCH
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn proc_values() {
        assert!(super::rss() > 0);
        assert!(super::total_system_memory() > 0);
        assert!(super::os().starts_with("Linux "));
        let t = super::process_cpu();
        assert!(t.iter().all(|v| *v >= 0.0));
    }
}
