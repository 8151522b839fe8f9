//! `commet sandbox start [--port N] [--data-dir DIR] [--detach] [--faults SPEC]`.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use commet_sdk::prelude::*;

use super::dirs::data_dir;
use super::failed;
use crate::server::datadir::{self, LOG_FILE};
use crate::server::{Faults, Sandbox, SandboxConfig, DEFAULT_PORT};

/// How long `--detach` waits for the background server to answer.
const DETACH_WAIT: Duration = Duration::from_secs(30);

fn port(ctx: &Context<'_>) -> Result<u16, PluginError> {
    match ctx.i64("port") {
        None => Ok(DEFAULT_PORT),
        Some(p) => u16::try_from(p)
            .map_err(|_| PluginError::usage(format!("--port {p}: use a port from 0 to 65535"))),
    }
}

fn faults(ctx: &Context<'_>) -> Result<Faults, PluginError> {
    match ctx.str("faults") {
        Some(spec) => Faults::parse(spec).map_err(failed),
        None => Faults::from_env()
            .map_err(|e| PluginError::usage(format!("COMMET_SANDBOX_FAULTS: {e}"))),
    }
}

fn listening_lines(url: &str, key: &str) -> String {
    format!("Local sandbox listening on {url}\nAPI key: {key}")
}

pub fn run(ctx: &mut Context<'_>) -> Result<Output, PluginError> {
    let dir = data_dir(ctx);
    let port = port(ctx)?;
    let faults = faults(ctx)?;
    if ctx.flag("detach") {
        return detach(ctx, &dir, port);
    }
    foreground(ctx, dir, port, faults)
}

fn foreground(
    ctx: &mut Context<'_>,
    dir: PathBuf,
    port: u16,
    faults: Faults,
) -> Result<Output, PluginError> {
    let faulty = !faults.is_off();
    // SIGTERM (from `commet sandbox stop`) and SIGINT both mean "shut down
    // cleanly"; the host reports Ctrl-C through wait_interrupt as well.
    // Let the host install its Ctrl-C handler first (it refuses to install
    // over another one); ours then chain to it.
    let _ = ctx.host.wait_interrupt(0);
    let stop = Arc::new(AtomicBool::new(false));
    let mut hooks = Vec::new();
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        match signal_hook::flag::register(signal, stop.clone()) {
            Ok(id) => hooks.push(id),
            Err(e) => ctx
                .host
                .warn(&format!("could not watch signal {signal}: {e}")),
        }
    }
    let sandbox = Sandbox::start(SandboxConfig {
        port,
        data_dir: dir.clone(),
        faults,
    })
    .map_err(failed);
    let sandbox = match sandbox {
        Ok(s) => s,
        Err(e) => {
            for id in hooks {
                signal_hook::low_level::unregister(id);
            }
            return Err(e);
        }
    };
    let url = sandbox.url();
    if ctx.agent_output() {
        // One JSON document per line for scripts.
        let line = json!({
            "event": "listening",
            "url": url,
            "apiKey": sandbox.api_key(),
            "pid": std::process::id(),
            "dataDir": dir.display().to_string(),
        });
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    } else {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", listening_lines(&url, &sandbox.api_key()));
        let _ = writeln!(out, "Data directory: {}", dir.display());
        if faulty {
            let _ = writeln!(
                out,
                "Fault injection is on for /api/v1 and /api/cli requests"
            );
        }
        let _ = writeln!(out, "Press Ctrl-C to stop.");
        let _ = out.flush();
    }
    ctx.host
        .info(&format!("sandbox serving {url} from {}", dir.display()));
    let started = Instant::now();
    loop {
        let waited = Instant::now();
        if ctx.host.wait_interrupt(250) || stop.load(Ordering::SeqCst) {
            break;
        }
        // A host that cannot wait returns at once; do not spin.
        if let Some(rest) = Duration::from_millis(250).checked_sub(waited.elapsed()) {
            std::thread::sleep(rest);
        }
    }
    sandbox.shutdown();
    for id in hooks {
        signal_hook::low_level::unregister(id);
    }
    Ok(Output::new(
        View::Message {
            text: format!(
                "Sandbox stopped after {}s; data kept in {}",
                started.elapsed().as_secs(),
                dir.display()
            ),
        },
        json!({ "stopped": true, "url": url, "dataDir": dir.display().to_string() }),
    ))
}

fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

fn detach(ctx: &mut Context<'_>, dir: &Path, port: u16) -> Result<Output, PluginError> {
    if let Some(info) = datadir::running(dir) {
        return Err(PluginError::failed_with_hint(
            format!(
                "a sandbox is already running for {} (pid {}, {})",
                dir.display(),
                info.pid,
                info.url
            ),
            "use it as it is, or stop it first with `commet sandbox stop`",
        ));
    }
    // Report a busy port here rather than through the log.
    if port != 0 {
        if let Err(e) = std::net::TcpListener::bind(("127.0.0.1", port)) {
            if e.kind() == std::io::ErrorKind::AddrInUse {
                return Err(failed(crate::server::SandboxError::PortInUse { port }));
            }
        }
    }
    std::fs::create_dir_all(dir).map_err(|e| {
        PluginError::failed(format!(
            "could not create the data directory {}: {e}",
            dir.display()
        ))
    })?;
    let _ = std::fs::remove_file(dir.join(datadir::SERVER_FILE));
    let log_path = dir.join(LOG_FILE);
    let open_log = || {
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(|e| {
                PluginError::failed(format!(
                    "could not open the log file {}: {e}",
                    log_path.display()
                ))
            })
    };
    let (stdout, stderr) = (open_log()?, open_log()?);
    let exe = std::env::current_exe().map_err(|e| {
        PluginError::failed(format!(
            "could not find the commet executable to run in the background: {e}"
        ))
    })?;
    let mut cmd = Command::new(&exe);
    cmd.args([
        "sandbox",
        "start",
        "--port",
        &port.to_string(),
        "--data-dir",
    ])
    .arg(dir)
    .stdin(Stdio::null())
    .stdout(stdout)
    .stderr(stderr)
    .env("NO_COLOR", "1");
    if let Some(spec) = ctx.str("faults") {
        cmd.args(["--faults", spec]);
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: setsid is async-signal-safe; the child leaves our session
        // so closing this terminal does not stop it.
        unsafe {
            cmd.pre_exec(|| {
                if libc::setsid() == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    let mut child = cmd.spawn().map_err(|e| {
        PluginError::failed(format!(
            "could not start {} in the background: {e}",
            exe.display()
        ))
    })?;
    let pid = child.id();
    ctx.host.progress("Starting the sandbox in the background");
    let started = Instant::now();
    let info = loop {
        if let Some(info) = datadir::read_server_info(dir).filter(|i| i.pid == pid) {
            if datadir::health_ok(info.port) {
                break info;
            }
        }
        if let Ok(Some(status)) = child.try_wait() {
            ctx.host.progress_done();
            return Err(PluginError::failed_with_hint(
                format!(
                    "the background sandbox exited ({status}) before it was ready:\n{}",
                    tail(&log_path, 10)
                ),
                format!("see {} for the whole log", log_path.display()),
            ));
        }
        if started.elapsed() > DETACH_WAIT {
            ctx.host.progress_done();
            return Err(PluginError::failed_with_hint(
                format!(
                    "the background sandbox (pid {pid}) did not answer within {} s",
                    DETACH_WAIT.as_secs()
                ),
                format!("see {}; stop it with `kill {pid}`", log_path.display()),
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    ctx.host.progress_done();
    let key = datadir::read_api_key(dir)
        .map_err(failed)?
        .unwrap_or_default();
    let text = format!(
        "{}\nRunning in the background (pid {pid}); log: {}\nStop it with `commet sandbox stop`.",
        listening_lines(&info.url, &key),
        log_path.display()
    );
    Ok(Output::new(
        View::Text { text },
        json!({
            "url": info.url,
            "port": info.port,
            "pid": pid,
            "apiKey": key,
            "dataDir": dir.display().to_string(),
            "logFile": log_path.display().to_string(),
        }),
    ))
}
