//! Starting the example app as a user does, for the tests that talk to it over TCP.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// Starts the example app on 127.0.0.1 with an OS-assigned port and these environment
/// variables; returns it (killed when dropped) and the address it printed.
pub(crate) async fn start(env: &[(&str, &std::ffi::OsStr)]) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_example-app"))
        .args(["--addr", "127.0.0.1:0"])
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start example-app");
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    tokio::time::timeout(
        Duration::from_secs(30),
        BufReader::new(stdout).read_line(&mut line),
    )
    .await
    .expect("example-app prints its URL")
    .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .and_then(|rest| rest.strip_suffix('/'))
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    (child, addr)
}
