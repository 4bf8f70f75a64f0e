//! The `rrs-node` command line. `rrs-node [server] [redis.conf] [--name value ...]`
//! takes exactly redis-server's arguments.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::{file, Config};

const USAGE: &str = "Usage: rrs-node [server] [/path/to/redis.conf] [options] [-]
       rrs-node -v or --version
       rrs-node -h or --help

Examples:
       rrs-node (run the server with default config)
       rrs-node /etc/redis/6379.conf
       rrs-node --port 7777
       rrs-node --port 7777 --replicaof 127.0.0.1 8888
       rrs-node /etc/myredis.conf --loglevel verbose -";

pub fn version() -> String {
    format!(
        "rrs-node v={} (Redis 7.0 compatible)",
        env!("CARGO_PKG_VERSION")
    )
}

/// Entry point of the binary.
pub fn main(argv: Vec<String>) -> ExitCode {
    let mut args: &[String] = &argv[1..];
    if let Some(first) = args.first() {
        match first.as_str() {
            "-v" | "--version" => {
                println!("{}", version());
                return ExitCode::SUCCESS;
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            "server" => args = &args[1..],
            _ => {}
        }
    }
    match load_config(args) {
        Ok((cfg, path)) => run_server(cfg, path),
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// Builds the configuration from redis-server style arguments: an optional
/// config file (or `-` for stdin after the options), then `--name value` pairs.
pub fn load_config(args: &[String]) -> Result<(Config, Option<PathBuf>), String> {
    let (mut args, stdin) = match args.last() {
        Some(l) if l == "-" => (args[..args.len() - 1].to_vec(), true),
        _ => (args.to_vec(), false),
    };
    let (file, opts) = file::argv_to_text(&std::mem::take(&mut args))?;
    let mut text = String::new();
    let mut path = None;
    if let Some(f) = file {
        let p = PathBuf::from(&f);
        let body = std::fs::read_to_string(&p)
            .map_err(|e| format!("Fatal error, can't open config file '{f}': {e}"))?;
        text.push_str(&body);
        text.push('\n');
        path = Some(std::fs::canonicalize(&p).unwrap_or(p));
    }
    if stdin {
        let body = std::io::read_to_string(std::io::stdin())
            .map_err(|e| format!("reading config from stdin: {e}"))?;
        text.push_str(&body);
        text.push('\n');
    }
    text.push_str(&opts);
    let mut cfg = Config::default();
    file::apply_text(&mut cfg, &text).map_err(|e| e.to_string())?;
    if cfg.dir.is_empty() {
        cfg.dir = std::env::current_dir()
            .map(|d| d.display().to_string())
            .unwrap_or_else(|_| ".".into());
    } else if let Err(e) = std::env::set_current_dir(&cfg.dir) {
        return Err(format!("Can't chdir to '{}': {e}", cfg.dir));
    }
    Ok((cfg, path))
}

fn run_server(cfg: Config, path: Option<PathBuf>) -> ExitCode {
    if let Err(e) = crate::logging::init(&cfg.loglevel, &cfg.logfile, 'M') {
        eprintln!("Can't open the log file: {e}");
        return ExitCode::FAILURE;
    }
    let rt = match runtime(cfg.io_threads) {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("starting the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    rt.block_on(async move {
        let listeners = match crate::server::bind(&cfg) {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!("{e}");
                return ExitCode::FAILURE;
            }
        };
        tracing::info!(
            "{} starting, pid={}, port={}",
            version(),
            std::process::id(),
            cfg.port
        );
        let server = crate::server::Server::new(cfg, path);
        let srv = server.clone();
        tokio::spawn(async move {
            shutdown_on_signal().await;
            tracing::warn!("Received SIGTERM scheduling shutdown...");
            srv.request_shutdown();
        });
        crate::server::serve(server.clone(), listeners).await;
        if server.exit_code.load(std::sync::atomic::Ordering::SeqCst) != 0 {
            return ExitCode::FAILURE;
        }
        // A signal (not SHUTDOWN, which saved already) saves when save points
        // are configured, as Redis does on SIGTERM.
        {
            let mut st = server.state.lock();
            if !st.persist.shutdown_handled && !st.config.save.is_empty() {
                tracing::info!("Saving the final RDB snapshot before exiting.");
                if crate::server::persist::save_sync(&mut st).is_err() {
                    tracing::warn!("Error trying to save the DB, can't exit.");
                }
            }
        }
        tracing::warn!("Redis is now ready to exit, bye bye...");
        ExitCode::SUCCESS
    })
}

/// `io-threads 1` (the default, as in Redis) runs everything on one thread;
/// `io-threads N` spreads connections over N worker threads. Commands are
/// serialized by the state lock either way.
fn runtime(io_threads: i64) -> std::io::Result<tokio::runtime::Runtime> {
    if io_threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(io_threads as usize)
            .enable_all()
            .build()
    }
}

async fn shutdown_on_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let (Ok(mut term), Ok(mut int)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) else {
            return std::future::pending().await;
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
