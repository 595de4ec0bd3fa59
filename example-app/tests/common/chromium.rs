//! Finding headless Chromium (Debian's `chromium` package), and dumping a page's DOM with it:
//! shared by the example app's browser test and the delta test of `tests/` (included there
//! with `#[path]`).
//!
//! Without Chromium a test says so and passes, unless `KILN_REQUIRE_BROWSER` is set (CI sets it
//! once it has installed the browser). `KILN_CHROMIUM` names another binary.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

/// The browser to run, or `None` (having said why) when the test should skip.
pub(crate) fn chromium() -> Option<String> {
    if let Ok(path) = std::env::var("KILN_CHROMIUM") {
        return Some(path);
    }
    let found = [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ]
    .into_iter()
    .find(|name| {
        std::process::Command::new(name)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
    .map(str::to_owned);
    if found.is_none() {
        assert!(
            std::env::var_os("KILN_REQUIRE_BROWSER").is_none(),
            "KILN_REQUIRE_BROWSER is set but no Chromium was found (set KILN_CHROMIUM)"
        );
        eprintln!(
            "skipped: no Chromium found (install Debian's `chromium` package, or set \
             KILN_CHROMIUM to a Chrome or Chromium binary)"
        );
    }
    found
}

/// Loads `url` in headless `browser` with the profile in `profile`, and returns the DOM once the
/// page has loaded (or after 20 s: a page with an open event stream never goes idle), and what
/// the browser printed on stderr.
pub(crate) async fn dump_dom(browser: &str, profile: &Path, url: &str) -> (String, String) {
    let output = tokio::time::timeout(
        Duration::from_secs(60),
        tokio::process::Command::new(browser)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--timeout=20000",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("--dump-dom")
            .arg(url)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("Chromium finishes within a minute")
    .expect("Chromium starts");
    let dom = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{browser} failed: {stderr}\n{dom}");
    (dom, stderr)
}
