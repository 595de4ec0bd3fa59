//! An example app whose assets Kiln bakes into the binary (or, with `--features reload`, reads
//! from `static/` on each request, reloading the open page when a file is saved).
//!
//! ```text
//! example-app [--addr HOST:PORT]   serve the page and /static (default 127.0.0.1:3000)
//! example-app manifest             print the manifest of the bundle
//! example-app export DIR           write the bundle to DIR for nginx or a CDN
//! example-app upload URL           upload the bundle to s3://bucket/prefix (feature `upload`)
//! ```

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::routing::get;

/// The app's static assets, baked in at compile time.
#[derive(kiln::Embed)]
#[kiln(folder = "static", prefix = "/static")]
struct Static;

const USAGE: &str = "usage: example-app [--addr HOST:PORT] | example-app manifest | \
                     example-app export DIR | example-app upload URL";

enum Command {
    Serve(SocketAddr),
    Manifest,
    Export(std::path::PathBuf),
    Upload(String),
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Command, String> {
    let mut addr: SocketAddr = ([127, 0, 0, 1], 3000).into();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "manifest" => return Ok(Command::Manifest),
            "export" => {
                let dir = args
                    .next()
                    .ok_or("export needs a folder: example-app export DIR")?;
                return Ok(Command::Export(dir.into()));
            }
            "upload" => {
                let url = args
                    .next()
                    .ok_or("upload needs a URL: example-app upload s3://bucket/static")?;
                return Ok(Command::Upload(url));
            }
            "--addr" => {
                let value = args.next().ok_or("--addr needs HOST:PORT")?;
                addr = value.parse().map_err(|e| format!("--addr {value}: {e}"))?;
            }
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    Ok(Command::Serve(addr))
}

/// The page, rendered once in the baked binary (every URL in it is fingerprinted, so it never
/// changes at run time) and on every request in reload mode (where the URLs follow the files).
/// As a [`kiln::Page`] it carries a strong ETag and `Cache-Control: no-cache`, so a reload costs
/// the browser one 304 (and the immutable assets nothing).
static PAGE: kiln::LazyPage = kiln::LazyPage::new(|| kiln::Page::html(render()));

fn render() -> String {
    // `kiln::asset!` checks each path at compile time (a typo fails the build with a "did you
    // mean") and renders the tag with the fingerprinted URL and its `integrity`.
    let css = kiln::asset!(Static, "css/site.css").stylesheet();
    let logo = kiln::asset!(Static, "img/kiln.svg");
    let font = kiln::asset!(Static, "fonts/kiln-mark.ttf").preload();
    // The modules import each other by plain relative names; the import map sends those to the
    // fingerprinted URLs. It must come before the first module script.
    let import_map = Static::import_map();
    let util = kiln::asset!(Static, "js/util.js").modulepreload();
    let app = kiln::asset!(Static, "js/app.js").module();
    // Empty unless the `reload` feature is on: then the page reloads itself when a file of
    // `static/` is saved.
    let live = Static::live_reload_script();
    let source = if live.is_empty() {
        "Everything on this page comes from the binary."
    } else {
        "Reload mode: everything on this page comes from <code>static/</code> on disk; save a \
         file there and this page reloads itself."
    };
    let rows: String = Static::iter()
        .map(|a| {
            format!(
                "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>\n",
                a.path(),
                a.fingerprinted_path(),
                a.len(),
                a.variants()
                    .iter()
                    .map(|v| format!("{} {}", v.encoding(), v.len()))
                    .collect::<Vec<_>>()
                    .join(", "),
            )
        })
        .collect();
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Kiln example</title>
<link rel="icon" href="{logo}" type="image/svg+xml">
{css}
{font}
{import_map}
{util}
{app}
</head>
<body>
<header><img src="{logo}" alt="Kiln logo"><span class="mark" aria-hidden="true">K</span><h1>Kiln example</h1></header>
<main>
<p>{source} <span id="status">script not run</span></p>
<table>
<thead><tr><th>file</th><th>served as</th><th>bytes</th><th>precompressed</th></tr></thead>
<tbody>
{rows}</tbody>
</table>
</main>
{live}
</body>
</html>
"#
    )
}

async fn index(headers: HeaderMap) -> impl IntoResponse {
    PAGE.respond(&headers)
}

fn app() -> Router {
    Router::new()
        .route("/", get(index))
        // The bundle at its own prefix (`/static`, from the attribute above).
        .merge(Static::router())
}

/// Uploads the bundle this binary holds to `url`, then exits.
#[cfg(feature = "upload")]
async fn upload(url: &str) -> ! {
    use kiln::Embed as _;
    match Static::bundle().upload(url).await {
        Ok(done) => {
            println!(
                "uploaded {} objects ({} bytes), skipped {} already there",
                done.uploaded, done.bytes, done.skipped
            );
            std::process::exit(0);
        }
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}

#[cfg(not(feature = "upload"))]
async fn upload(_url: &str) -> ! {
    eprintln!(
        "this build cannot upload: run it with the `upload` feature, \
         `cargo run -p example-app --features upload -- upload URL`"
    );
    std::process::exit(2);
}

/// Resolves on Ctrl-C (SIGINT) or SIGTERM. On Unix the handlers are installed when this is
/// called, not when the future is first polled.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let signals = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        )
    };
    async move {
        #[cfg(unix)]
        match signals {
            (Ok(mut interrupt), Ok(mut terminate)) => {
                tokio::select! {
                    _ = interrupt.recv() => {}
                    _ = terminate.recv() => {}
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        eprintln!("shutting down");
    }
}

#[tokio::main]
async fn main() {
    let command = match parse_args(std::env::args().skip(1)) {
        Ok(command) => command,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    let addr = match command {
        Command::Manifest => {
            println!("{}", Static::manifest_json());
            return;
        }
        Command::Export(dir) => {
            use kiln::Embed as _;
            match Static::bundle().export(&dir) {
                Ok(done) => {
                    println!(
                        "exported {} files ({} bytes) to {}",
                        done.files,
                        done.bytes,
                        dir.display()
                    );
                    return;
                }
                Err(e) => {
                    let cause = std::error::Error::source(&e).map(|c| format!(": {c}"));
                    eprintln!("{e}{}", cause.unwrap_or_default());
                    std::process::exit(1);
                }
            }
        }
        Command::Upload(url) => upload(&url).await,
        Command::Serve(addr) => addr,
    };
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("cannot listen on {addr}: {e}");
            std::process::exit(1);
        }
    };
    // Listen for Ctrl-C before announcing the URL, so that a Ctrl-C right after it is not lost.
    let shutdown = shutdown_signal();
    let local = listener.local_addr().unwrap_or(addr);
    println!("listening on http://{local}/");
    serve(listener, app(), shutdown).await;
}

/// How long a client may take to send a request head; a slower one (a slowloris) is cut off.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest request head accepted (hyper's default buffer allows about 400 kB).
const MAX_HEAD: usize = 64 * 1024;
/// Connections served at once; more wait in the listener's backlog.
const MAX_CONNECTIONS: usize = 1024;
/// How long open connections get to finish after Ctrl-C.
const GRACE: Duration = Duration::from_secs(5);

/// `axum::serve` with the limits a server on the internet needs, which it does not set: a header
/// read timeout, a smaller bound on request heads, and a bound on connections (SECURITY.md).
/// HTTP/1.1 and HTTP/2, graceful shutdown.
async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()>,
) {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .max_buf_size(MAX_HEAD);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_header_list_size(MAX_HEAD as u32);
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            slot = std::sync::Arc::clone(&slots).acquire_owned() => match slot {
                Ok(slot) => tokio::select! {
                    () = &mut shutdown => break,
                    accepted = listener.accept() => accepted.map(|(stream, _)| (stream, slot)),
                },
                Err(_) => break,
            },
        };
        let (stream, slot) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors, say: wait a little rather than spin.
                eprintln!("accept: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), service)
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            // A client that goes away mid-request is its own business.
            let _ = connection.await;
            drop(slot);
        });
    }
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(GRACE) => {}
    }
}
