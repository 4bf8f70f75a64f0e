//! Log lines in redis-server's format (`pid:M 25 Nov 2026 16:21:57.123 * text`),
//! to stdout or the configured logfile, at the configured loglevel.

use std::fmt;
use std::io::Write;

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::{format::Writer, FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

struct RedisFormat {
    role: char,
}

/// The most verbose level written (CONFIG SET loglevel changes it at run time):
/// 0 warning, 1 notice (info), 2 verbose/debug.
static LEVEL: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(1);

/// Sets the loglevel for the following events ("debug", "verbose", "notice", "warning").
pub fn set_level(loglevel: &str) {
    let v = match loglevel {
        "debug" | "verbose" => 2,
        "warning" => 0,
        _ => 1,
    };
    LEVEL.store(v, std::sync::atomic::Ordering::Relaxed);
}

fn enabled(level: &Level) -> bool {
    let need = match *level {
        Level::ERROR | Level::WARN => 0,
        Level::INFO => 1,
        _ => 2,
    };
    need <= LEVEL.load(std::sync::atomic::Ordering::Relaxed)
}

impl<S, N> FormatEvent<S, N> for RedisFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut w: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        if !enabled(event.metadata().level()) {
            return Ok(());
        }
        let mark = match *event.metadata().level() {
            Level::ERROR | Level::WARN => '#',
            Level::INFO => '*',
            Level::DEBUG => '-',
            Level::TRACE => '.',
        };
        write!(
            w,
            "{}:{} {} {} ",
            std::process::id(),
            self.role,
            timestamp(crate::util::now_ms()),
            mark
        )?;
        ctx.field_format().format_fields(w.by_ref(), event)?;
        writeln!(w)
    }
}

/// "25 Nov 2026 16:21:57.123" in UTC.
pub fn timestamp(ms: i64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    // Days to civil date (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    format!(
        "{:02} {} {} {:02}:{:02}:{:02}.{:03}",
        d,
        MONTHS[(m - 1) as usize],
        y,
        sod / 3600,
        sod % 3600 / 60,
        sod % 60,
        ms.rem_euclid(1000)
    )
}

/// Installs the global subscriber. `role` is 'M' for a server, 'X' for a sentinel.
pub fn init(loglevel: &str, logfile: &str, role: char) -> std::io::Result<()> {
    set_level(loglevel);
    // Everything up to debug reaches the formatter, which applies LEVEL.
    let builder = tracing_subscriber::fmt()
        .event_format(RedisFormat { role })
        .with_max_level(Level::DEBUG);
    let res = if logfile.is_empty() {
        builder.with_writer(std::io::stdout).try_init()
    } else {
        let f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(logfile)?;
        builder.with_writer(std::sync::Mutex::new(f)).try_init()
    };
    // A second init (tests starting several servers in one process) keeps the first.
    let _ = res;
    let _ = std::io::stdout().flush();
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn timestamp_format() {
        assert_eq!(super::timestamp(0), "01 Jan 1970 00:00:00.000");
        assert_eq!(
            super::timestamp(1_795_623_717_123),
            "25 Nov 2026 16:21:57.123"
        );
    }
}
