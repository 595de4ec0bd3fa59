//! `kiln upload` against a real S3-compatible server: moto's, started here on 127.0.0.1 (`pip
//! install "moto[server]"`). Every object is read back through the S3 API with its headers; a
//! second upload sends nothing; an upload cut off half-way (the server's connection dropped)
//! resumes on the next run without a corrupt object.
//!
//! Without moto the test says so and passes, unless `KILN_REQUIRE_MOTO` is set (CI sets it once
//! it has installed moto).

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use kiln::Embed as _;
use object_store::{Attribute, ObjectStoreExt as _};

/// The bundle `kiln upload` is compared with: the same folder and options.
#[allow(deprecated)] // nothing rebuilds these tests when files are added to the fixture
#[derive(kiln::Embed)]
#[kiln(
    folder = "../tests/fixtures/graph",
    prefix = "/static",
    dangling = "allow"
)]
struct Graph;

const BUCKET: &str = "kiln-test";

/// moto's S3 server on an OS-assigned port of 127.0.0.1, stopped when dropped.
struct Moto {
    child: Child,
    port: u16,
}

impl Moto {
    fn start() -> Option<Moto> {
        let available = Command::new("python3")
            .args(["-c", "import moto.server, flask"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !available {
            return None;
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("python3")
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto");
        let moto = Moto { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto did not start within 30 s");
            std::thread::sleep(Duration::from_millis(100));
        }
        // Create the bucket (moto checks no signature).
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        write!(
            stream,
            "PUT /{BUCKET} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut reply = String::new();
        stream.read_to_string(&mut reply).unwrap();
        assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
        Some(moto)
    }

    /// [`start`](Self::start), or `None` after saying the test is skipped: what every test does
    /// without moto, unless `KILN_REQUIRE_MOTO` is set.
    fn start_or_skip() -> Option<Moto> {
        let moto = Moto::start();
        if moto.is_none() {
            assert!(
                std::env::var_os("KILN_REQUIRE_MOTO").is_none(),
                "KILN_REQUIRE_MOTO is set but moto's server is not installed"
            );
            eprintln!("skipped: moto's S3 server is not installed (pip install \"moto[server]\")");
        }
        moto
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn kiln_upload(endpoint: &str, extra: &[&str]) -> Output {
    kiln_upload_with(endpoint, extra, &[])
}

/// [`kiln_upload`] with more environment variables.
fn kiln_upload_with(endpoint: &str, extra: &[&str], env: &[(&str, &Path)]) -> Output {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/graph");
    let cache = std::env::temp_dir().join(format!("kiln-upload-test-cache-{}", std::process::id()));
    Command::new(env!("CARGO_BIN_EXE_kiln"))
        .arg("upload")
        .arg(folder)
        .arg(format!("s3://{BUCKET}/static"))
        .args(extra)
        .env("KILN_CACHE_DIR", cache)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", endpoint)
        .envs(env.iter().copied())
        .output()
        .expect("run kiln")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A client of the server, to read back what was uploaded.
fn client(endpoint: &str) -> object_store::aws::AmazonS3 {
    kiln::upload::install_tls();
    object_store::aws::AmazonS3Builder::new()
        .with_bucket_name(BUCKET)
        .with_access_key_id("test")
        .with_secret_access_key("test")
        .with_region("us-east-1")
        .with_endpoint(endpoint)
        .with_allow_http(true)
        .build()
        .unwrap()
}

/// Reads every object the bundle uploads back from the server, and checks its bytes and headers.
async fn verify(endpoint: &str) {
    let store = client(endpoint);
    let expected = Graph::bundle().files();
    assert!(expected.len() > 30, "{}", expected.len());
    for object in expected {
        let path = object_store::path::Path::from(format!("static/{}", object.name()));
        let got = store
            .get(&path)
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        let attributes = got.attributes.clone();
        let text = |a: Attribute| attributes.get(&a).map(|v| v.to_string());
        assert_eq!(got.bytes().await.unwrap(), object.bytes(), "{path}");
        assert_eq!(
            text(Attribute::ContentType).as_deref(),
            Some(object.content_type()),
            "{path}"
        );
        assert_eq!(
            text(Attribute::CacheControl).as_deref(),
            Some(object.cache_control()),
            "{path}"
        );
        assert_eq!(
            text(Attribute::ContentEncoding).as_deref(),
            object.content_encoding(),
            "{path}"
        );
        if object.name().ends_with(".css") && object.is_immutable() {
            assert_eq!(
                object.cache_control(),
                "public, max-age=31536000, immutable"
            );
        }
    }
}

/// A TCP proxy to `upstream` that forwards `budget` bytes of requests, then drops every
/// connection and stops accepting: a server that went away in the middle of an upload.
fn cut_off_proxy(upstream: u16, budget: u64) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let sent = Arc::new(AtomicU64::new(0));
    let stopped = Arc::new(AtomicBool::new(false));
    std::thread::spawn(move || {
        for client in listener.incoming() {
            if stopped.load(Ordering::SeqCst) {
                break;
            }
            let Ok(client) = client else { break };
            let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
                break;
            };
            let (sent, stopped) = (Arc::clone(&sent), Arc::clone(&stopped));
            let (mut c_read, mut s_write) =
                (client.try_clone().unwrap(), server.try_clone().unwrap());
            let (client2, server2) = (client, server);
            std::thread::spawn(move || {
                let mut buf = [0u8; 8192];
                loop {
                    let n = match c_read.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    if sent.fetch_add(n as u64, Ordering::SeqCst) + n as u64 > budget {
                        stopped.store(true, Ordering::SeqCst);
                        break;
                    }
                    if s_write.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
                let _ = c_read.shutdown(Shutdown::Both);
                let _ = s_write.shutdown(Shutdown::Both);
            });
            std::thread::spawn(move || {
                let (mut s_read, mut c_write) = (server2, client2);
                let _ = std::io::copy(&mut s_read, &mut c_write);
                let _ = c_write.shutdown(Shutdown::Both);
            });
        }
    });
    port
}

#[test]
fn upload_to_a_local_s3_server() {
    let Some(moto) = Moto::start_or_skip() else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    // Cut off half-way: the upload fails, with a message, after its retries.
    let proxy = cut_off_proxy(moto.port, 6_000);
    let cut = kiln_upload(
        &format!("http://127.0.0.1:{proxy}"),
        &["--attempts", "2", "--jobs", "2"],
    );
    assert!(!cut.status.success(), "{}", stdout(&cut));
    assert!(
        String::from_utf8_lossy(&cut.stderr).contains("cannot upload"),
        "{}",
        String::from_utf8_lossy(&cut.stderr)
    );

    // The next run resumes: what got there is skipped, the rest is sent, nothing is corrupt.
    let resumed = kiln_upload(&moto.endpoint(), &[]);
    let text = stdout(&resumed);
    assert!(
        resumed.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    let total = Graph::bundle().files().len();
    let skipped: usize = text
        .split("skipped ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{text}"));
    assert!(skipped > 0 && skipped < total, "{text}");
    runtime.block_on(verify(&moto.endpoint()));

    // A second upload of the same folder sends nothing.
    let again = kiln_upload(&moto.endpoint(), &[]);
    let text = stdout(&again);
    assert!(
        text.starts_with(&format!("uploaded 0 objects (0 bytes), skipped {total}")),
        "{text}"
    );

    // A dry run says what it would do and does it not.
    let dry = kiln_upload(&moto.endpoint(), &["--dry-run"]);
    assert!(
        stdout(&dry).starts_with("would upload 0 objects"),
        "{}",
        stdout(&dry)
    );
}

/// `Bundle::upload` (what the example app's `upload` runs) into a local folder through
/// `file://`, a store without metadata: the bytes are compared instead of hashes.
#[test]
fn the_bundle_uploads_itself_to_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("file://{}/static", dir.path().display());
    std::fs::create_dir_all(dir.path().join("static")).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let objects = Graph::bundle().files();
    let first = runtime.block_on(Graph::bundle().upload(&url)).unwrap();
    assert_eq!((first.uploaded, first.skipped), (objects.len(), 0));
    for object in &objects {
        let path = dir.path().join("static").join(object.name());
        assert_eq!(
            std::fs::read(&path).unwrap(),
            &object.bytes()[..],
            "{}",
            object.name()
        );
    }
    let second = runtime.block_on(Graph::bundle().upload(&url)).unwrap();
    assert_eq!((second.uploaded, second.skipped), (0, objects.len()));
}

/// `prune`: the fingerprinted objects of the last N uploads stay, older ones Kiln wrote go, and
/// nothing else is touched.
#[test]
fn prune_keeps_the_last_uploads() {
    use kiln::upload::{UploadOptions, open, upload_objects};
    use kiln::{Encoding, OutputFile};
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("static")).unwrap();
    std::fs::write(dir.path().join("static/mine.txt"), "not Kiln's").unwrap();
    let url = format!("file://{}/static", dir.path().display());
    let object = |key: &str, fingerprinted: bool| {
        OutputFile::new(
            key,
            key.to_owned(),
            "text/css; charset=utf-8",
            Encoding::Identity,
            fingerprinted,
        )
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut options = UploadOptions::default();
    options.prune = Some(2);
    let (store, prefix) = open(&url).unwrap();
    for version in ["a", "b", "c"] {
        let objects = vec![
            object(&format!("app.{version}{version}{version}.css"), true),
            object("app.css", false),
        ];
        // Upload records are named by the millisecond.
        std::thread::sleep(Duration::from_millis(5));
        runtime
            .block_on(upload_objects(&*store, &prefix, objects, &options))
            .unwrap();
    }
    let exists = |key: &str| dir.path().join("static").join(key).exists();
    assert!(
        !exists("app.aaa.css"),
        "the oldest upload's object is pruned"
    );
    assert!(exists("app.bbb.css") && exists("app.ccc.css"));
    assert!(exists("app.css") && exists("mine.txt"));
}

/// A dry run names exactly what the real run then sends and deletes, `--prune` included.
#[test]
fn a_dry_run_names_what_the_real_run_does() {
    use kiln::upload::{UploadOptions, open, upload_objects};
    use kiln::{Encoding, OutputFile};
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("static")).unwrap();
    let url = format!("file://{}/static", dir.path().display());
    let version = |v: &str| {
        vec![
            OutputFile::new(
                format!("app.{}.css", v.repeat(12)),
                v.to_owned(),
                "text/css; charset=utf-8",
                Encoding::Identity,
                true,
            ),
            OutputFile::new(
                "app.css",
                v.to_owned(),
                "text/css",
                Encoding::Identity,
                false,
            ),
        ]
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (store, prefix) = open(&url).unwrap();
    let run = |files: Vec<OutputFile>, dry_run: bool| {
        let mut options = UploadOptions::default();
        options.prune = Some(2);
        options.dry_run = dry_run;
        // Upload records are named by the millisecond.
        std::thread::sleep(Duration::from_millis(5));
        runtime
            .block_on(upload_objects(&*store, &prefix, files, &options))
            .unwrap()
    };
    for v in ["a", "b", "c"] {
        run(version(v), false);
    }
    // a's object went with the third upload; b's goes with the next.
    let dry = run(version("d"), true);
    assert_eq!(dry.sent, ["app.dddddddddddd.css", "app.css"]);
    assert_eq!(dry.pruned, ["app.bbbbbbbbbbbb.css"]);
    assert_eq!(dry.deleted, 1);
    assert!(dir.path().join("static/app.bbbbbbbbbbbb.css").exists());
    assert!(!dir.path().join("static/app.dddddddddddd.css").exists());
    let real = run(version("d"), false);
    assert_eq!((real.sent, real.pruned), (dry.sent, dry.pruned));
    assert!(!dir.path().join("static/app.bbbbbbbbbbbb.css").exists());
    assert!(dir.path().join("static/app.cccccccccccc.css").exists());
    // The same upload again sends nothing, but it is an upload too: it would push c's out of the
    // last two.
    let again = run(version("d"), true);
    assert!(again.sent.is_empty(), "{again:?}");
    assert_eq!(again.pruned, ["app.cccccccccccc.css"]);
}

/// Each failure a user can fix is one line that names the cause and the fix, at once: no
/// credentials, a bucket that does not exist, a store that cannot be reached (after Kiln's own
/// attempts only: the storage library's retries are off).
#[test]
fn upload_failures_say_what_is_wrong() {
    let Some(moto) = Moto::start_or_skip() else {
        return;
    };
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/graph");
    let cache = tempfile::tempdir().unwrap();
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let run = |url: &str, endpoint: &str, credentials: bool| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_kiln"));
        command
            .args(["upload", folder.to_str().unwrap(), url])
            .env("KILN_CACHE_DIR", cache.path())
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ENDPOINT_URL", endpoint)
            // The instance metadata service, which the client asks without keys, is looked for
            // on a closed port of this machine: no traffic leaves it.
            .env(
                "AWS_METADATA_ENDPOINT",
                format!("http://127.0.0.1:{closed}"),
            )
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("AWS_PROFILE");
        if credentials {
            command
                .env("AWS_ACCESS_KEY_ID", "test")
                .env("AWS_SECRET_ACCESS_KEY", "test");
        }
        let started = Instant::now();
        let output = command.output().expect("run kiln");
        assert!(!output.status.success(), "{}", stdout(&output));
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("kiln: ")).collect();
        assert_eq!(errors.len(), 1, "{stderr}");
        (errors[0].to_owned(), started.elapsed())
    };
    let s3 = format!("s3://{BUCKET}/static");

    let (message, took) = run(&s3, &moto.endpoint(), false);
    assert!(
        message.contains("no credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"),
        "{message}"
    );
    assert!(took < Duration::from_secs(10), "{took:?}");

    let (message, _) = run("s3://no-such-bucket/static", &moto.endpoint(), true);
    assert!(
        message.contains("bucket `no-such-bucket` does not exist"),
        "{message}"
    );
    assert!(!message.contains("<?xml"), "{message}");

    let (message, took) = run(&s3, &format!("http://127.0.0.1:{closed}"), true);
    assert!(message.contains("cannot reach the store"), "{message}");
    // Four attempts, 0.2 + 0.4 + 0.8 s apart: not the storage library's ten retries on top.
    assert!(took < Duration::from_secs(6), "{took:?}");
}

/// A TLS front for moto on an OS-assigned port of 127.0.0.1: it terminates TLS with a
/// certificate for `127.0.0.1` signed by a CA of its own, written to `ca.pem` in `dir` (for
/// `SSL_CERT_FILE`), and passes the bytes on to moto. It runs until the test process ends.
fn tls_front(upstream: u16, dir: &Path) -> u16 {
    use tokio_rustls::rustls;
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Kiln test CA");
    ca_params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ];
    let ca = ca_params.self_signed(&ca_key).unwrap();
    std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&key, &rcgen::Issuer::from_params(&ca_params, &ca_key))
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivatePkcs8KeyDer::from(key.serialize_der()).into(),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            while let Ok((stream, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    // A client that refuses the certificate ends the handshake: nothing to pass.
                    let Ok(mut tls) = acceptor.accept(stream).await else {
                        return;
                    };
                    if let Ok(mut plain) =
                        tokio::net::TcpStream::connect(("127.0.0.1", upstream)).await
                    {
                        let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                    }
                });
            }
        });
    });
    port
}

/// Over HTTPS, as every real store is reached: rustls on *ring* (no aws-lc-rs) verifies the
/// certificate against the system's roots, `SSL_CERT_FILE` included; an untrusted one is one
/// line that names rustls's reason, at once.
#[test]
fn upload_over_https() {
    let Some(moto) = Moto::start_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let endpoint = format!("https://127.0.0.1:{}", tls_front(moto.port, dir.path()));

    let refused = kiln_upload(&endpoint, &["--attempts", "3"]);
    assert!(!refused.status.success(), "{}", stdout(&refused));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    // One error (after the fixture's deliberate dangling-reference warning), and no retries.
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("kiln: ")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(
        stderr.contains(
            "the store's TLS certificate was refused (InvalidCertificate(UnknownIssuer))"
        ) && stderr.contains("SSL_CERT_FILE")
            && !stderr.contains("attempt"),
        "{stderr}"
    );

    let ca = dir.path().join("ca.pem");
    let trusted = kiln_upload_with(&endpoint, &[], &[("SSL_CERT_FILE", &ca)]);
    assert!(
        trusted.status.success(),
        "{}{}",
        stdout(&trusted),
        String::from_utf8_lossy(&trusted.stderr)
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(verify(&moto.endpoint()));
}
