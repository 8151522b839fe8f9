//! `commet sandbox stop`.

use std::time::{Duration, Instant};

use commet_sdk::prelude::*;

use super::dirs::data_dir;
use crate::server::datadir;

const WAIT: Duration = Duration::from_secs(15);

pub fn run(ctx: &mut Context<'_>) -> Result<Output, PluginError> {
    let dir = data_dir(ctx);
    let Some(recorded) = datadir::read_server_info(&dir) else {
        return Ok(not_running(&dir, "no server.json"));
    };
    let Some(info) = datadir::running(&dir) else {
        // The process died without cleaning up (or its pid was reused by
        // something else, which must not be signalled).
        let _ = std::fs::remove_file(dir.join(datadir::SERVER_FILE));
        return Ok(not_running(
            &dir,
            &format!("removed a stale server.json left by pid {}", recorded.pid),
        ));
    };
    if info.pid == std::process::id() {
        return Err(PluginError::failed(
            "this process is the sandbox server; stop it with Ctrl-C",
        ));
    }
    let pid = libc::pid_t::try_from(info.pid)
        .map_err(|_| PluginError::failed(format!("invalid pid {}", info.pid)))?;
    // SAFETY: sends SIGTERM to the pid recorded by a server we checked is
    // alive and listening on its recorded port.
    let rc = unsafe { libc::kill(pid, libc::SIGTERM) };
    if rc != 0 {
        return Err(PluginError::failed(format!(
            "could not signal the sandbox (pid {}): {}",
            info.pid,
            std::io::Error::last_os_error()
        )));
    }
    ctx.host.progress("Waiting for the sandbox to stop");
    let started = Instant::now();
    let mut gone = false;
    while started.elapsed() < WAIT {
        let file_removed = datadir::read_server_info(&dir).is_none_or(|i| i.pid != info.pid);
        if !datadir::pid_alive(info.pid) || file_removed {
            gone = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    ctx.host.progress_done();
    if !gone {
        return Err(PluginError::failed_with_hint(
            format!(
                "the sandbox (pid {}) did not stop within {} s",
                info.pid,
                WAIT.as_secs()
            ),
            format!("force it with `kill -9 {}`; its data is safe", info.pid),
        ));
    }
    Ok(Output::new(
        View::Message {
            text: format!("Stopped the sandbox at {} (pid {})", info.url, info.pid),
        },
        json!({ "stopped": true, "pid": info.pid, "url": info.url, "dataDir": dir.display().to_string() }),
    ))
}

fn not_running(dir: &std::path::Path, why: &str) -> Output {
    Output::new(
        View::Message {
            text: format!("No sandbox is running for {} ({why})", dir.display()),
        },
        json!({ "stopped": false, "running": false, "dataDir": dir.display().to_string() }),
    )
}
