//! Contract §4: nginx with `gzip_static` (and `brotli_static` where the module is installed)
//! over the folder `kiln export` writes (the folder baked in memory and exported by
//! `Bundle::export`, as the derive's own bundle exports itself) serves the same names, bytes and
//! encodings as Kiln's own service. Runs nginx on 127.0.0.1 with an OS-assigned port when nginx is installed; without it
//! the test says so and passes, unless `KILN_REQUIRE_NGINX` is set (`.ci/run` installs nginx and
//! sets it).

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kiln::{Embed, Encoding};

use crate::util::Site;

fn nginx() -> Option<PathBuf> {
    ["/usr/sbin/nginx", "/usr/bin/nginx", "/usr/local/sbin/nginx"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// A running nginx, stopped on drop.
struct Nginx {
    master: Child,
    binary: PathBuf,
    conf: PathBuf,
    error_log: PathBuf,
}

impl Drop for Nginx {
    /// `nginx -s stop` has the master stop its worker before it exits; killing the master alone
    /// would leave the worker running, orphaned.
    fn drop(&mut self) {
        let _ = Command::new(&self.binary)
            .arg("-c")
            .arg(&self.conf)
            .arg("-e")
            .arg(&self.error_log)
            .args(["-s", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.master.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.master.kill();
        let _ = self.master.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One HTTP/1.1 GET on its own connection (nginx serves `.gz` siblings to HTTP/1.1 only).
fn get(port: u16, path: &str, accept: &str) -> crate::util::Wire {
    crate::util::exchange(
        ("127.0.0.1", port),
        "GET",
        path,
        &[("accept-encoding", accept)],
    )
}

/// The README's nginx configuration, exactly as written there, with its root replaced by `root`
/// (and its `brotli_static` line dropped where the module is not installed, as it says).
fn readme_location(root: &Path, brotli: bool) -> String {
    const README: &str = include_str!("../README.md");
    let start = README
        .find("```nginx\n")
        .expect("the README has an nginx block")
        + 9;
    let block = &README[start..];
    let block = &block[..block.find("```").expect("the nginx block ends")];
    assert!(block.contains("root /srv/www;"), "{block}");
    block
        .replace("root /srv/www;", &format!("root {};", root.display()))
        .lines()
        .filter(|line| brotli || !line.contains("brotli_static"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Starts nginx on `port` with the README's configuration, serving `root/static/` at `/static/`.
fn start(nginx: &Path, root: &Path, tmp: &Path, port: u16) -> (Nginx, bool) {
    let module = Path::new("/usr/lib/nginx/modules/ngx_http_brotli_static_module.so");
    let brotli = module.exists();
    let conf = format!(
        "worker_processes 1;\ndaemon off;\npid {tmp}/nginx.pid;\nerror_log {tmp}/error.log;\n\
         {load}\nevents {{ worker_connections 64; }}\nhttp {{\n  access_log off;\n  \
         include /etc/nginx/mime.types;\n  server {{\n    listen 127.0.0.1:{port};\n\
         {location}\n  }}\n}}\n",
        tmp = tmp.display(),
        load = if brotli {
            format!("load_module {};", module.display())
        } else {
            String::new()
        },
        location = readme_location(root, brotli),
    );
    let path = tmp.join("nginx.conf");
    std::fs::write(&path, conf).unwrap();
    let master = Command::new(nginx)
        .arg("-c")
        .arg(&path)
        .arg("-e")
        .arg(tmp.join("error.log"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let running = Nginx {
        master,
        binary: nginx.to_owned(),
        conf: path,
        error_log: tmp.join("error.log"),
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nginx did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    (running, brotli)
}

#[test]
fn nginx_serves_the_export_byte_for_byte() {
    let Some(nginx) = nginx() else {
        assert!(
            std::env::var_os("KILN_REQUIRE_NGINX").is_none(),
            "KILN_REQUIRE_NGINX is set but nginx is not installed"
        );
        eprintln!("nginx is not installed: skipping the nginx export check");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    // nginx's worker may run as another user: the folders must be readable.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    // Both fixtures: the basic one, and the graph one whose CSS and JavaScript are rewritten
    // (their plain names serve them as written).
    for (name, folder, bundle) in [
        ("basic", "fixtures/basic", Site::bundle()),
        ("graph", "fixtures/graph", crate::util::Graph::bundle()),
    ] {
        let root = tmp.path().join(name);
        let config = kiln_bake::Config {
            prefix: "/static".into(),
            ..kiln_bake::Config::new(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(folder))
        };
        let baked = kiln_bake::bake(&config).unwrap();
        // What `kiln export` writes: the folder baked in memory, exported by the runtime, into
        // `static/` under the root the README's configuration names.
        kiln::Bundle::from_baked(&baked, "/static")
            .unwrap()
            .export(root.join("static"))
            .unwrap();
        let port = free_port();
        let (_server, brotli) = start(&nginx, &root, tmp.path(), port);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();

        for asset in bundle.iter() {
            for (name, form) in [
                (asset.path(), asset.as_written()),
                (asset.fingerprinted_path(), &*asset),
            ] {
                let url = format!("/static/{}", kiln_bake::url_encode(name));
                let ours = |encoding: &str| {
                    let path = format!("/{}", kiln_bake::url_encode(name));
                    let headers = [("accept-encoding", encoding)];
                    runtime.block_on(crate::util::send(bundle.service(), "GET", &path, &headers))
                };
                let plain = get(port, &url, "identity");
                assert_eq!(plain.status, 200, "{url}: {plain:?}");
                assert_eq!(plain.body, form.bytes(), "{url}");
                // Exactly one Cache-Control, Kiln's own for the name, and nosniff.
                let cache_control = match name == asset.fingerprinted_path() {
                    true => "public, max-age=31536000, immutable",
                    false => "no-cache",
                };
                assert_eq!(
                    plain.values("cache-control"),
                    [cache_control],
                    "{url}: {plain:?}"
                );
                assert_eq!(plain.values("x-content-type-options"), ["nosniff"], "{url}");
                assert_eq!(
                    &ours("identity").body[..],
                    &plain.body[..],
                    "{url}: Kiln and nginx"
                );
                // In reload mode Kiln compresses at a fast setting: other bytes, and for tiny files
                // sometimes another choice of variants; the export is the baked bundle's.
                if bundle.is_read_from_disk() {
                    continue;
                }
                let encodings = [
                    (Encoding::Gzip, "gzip", true),
                    (Encoding::Brotli, "br", brotli),
                ];
                for (encoding, token, served) in encodings {
                    let Some(variant) = form.encoding(encoding).filter(|_| served) else {
                        continue;
                    };
                    let sibling = get(port, &url, token);
                    assert_eq!(
                        sibling.values("content-encoding"),
                        [token],
                        "{url}: {sibling:?}"
                    );
                    assert_eq!(
                        sibling.values("cache-control").len(),
                        1,
                        "{url}: {sibling:?}"
                    );
                    assert_eq!(
                        sibling.values("x-content-type-options"),
                        ["nosniff"],
                        "{url}"
                    );
                    let reply = ours(token);
                    assert_eq!(reply.header("content-encoding"), token, "{url}");
                    assert_eq!(sibling.body, variant.bytes(), "{url} {token}");
                    assert_eq!(
                        &reply.body[..],
                        &sibling.body[..],
                        "{url} {token}: Kiln and nginx"
                    );
                }
            }
        }
    }
}
