//! Live reload (the `reload` feature): pages that include `Static::live_reload_script()` reload
//! themselves when a file in the bundle's folder changes.
//!
//! The service answers `GET <prefix>/__kiln/reload` with a Server-Sent Events stream. The folder
//! is watched by `notify` from the first such request on. Only content changes count (a file
//! created, written, renamed or removed; not opened or read, which the service itself does), and
//! a burst of them is one change once it has been quiet for 100 ms (an editor's save that writes
//! a temporary file and renames it is one); each change sends one `data:` message to every open
//! stream. The script reloads the page on a message, and also when
//! the stream opens again after it was lost (the server restarted after a code change).

use std::path::Path;
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_TYPE};
use http::{HeaderMap, HeaderValue, Method, Response, StatusCode, Uri};
use http_body::{Body, Frame};
use notify::event::{EventKind, ModifyKind};
use notify::{RecommendedWatcher, RecursiveMode, Watcher as _};

use crate::bundle::Bundle;
use crate::service::AssetBody;
use crate::service::response;

/// The endpoint, under the bundle's prefix.
const ENDPOINT: &str = "__kiln/reload";

/// How long the watcher waits for a burst of file events to end before it reports a change.
const DEBOUNCE: Duration = Duration::from_millis(100);

/// Live reload of one bundle read from disk: its streams, and the script that opens one.
struct Live {
    hub: Arc<Hub>,
    script: String,
}

/// The live reload of each bundle read from disk that asked for it, made once per bundle and
/// kept for the life of the program (like the bundle).
static LIVE: Mutex<Vec<(&'static Bundle, &'static Live)>> = Mutex::new(Vec::new());

/// The live reload of `bundle`, if it is read from disk.
fn of(bundle: &'static Bundle) -> Option<&'static Live> {
    bundle.folder()?;
    let mut live = LIVE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, found)) = live.iter().find(|(b, _)| std::ptr::eq(*b, bundle)) {
        return Some(found);
    }
    let made: &'static Live = Box::leak(Box::new(Live {
        hub: Arc::new(Hub::new()),
        script: script(bundle.prefix()),
    }));
    live.push((bundle, made));
    Some(made)
}

/// `Bundle::live_reload_script()` in reload mode: the script of a bundle read from disk.
pub(crate) fn script_of(bundle: &'static Bundle) -> Option<&'static str> {
    of(bundle).map(|live| live.script.as_str())
}

/// The open streams of one bundle, and the watcher that feeds them.
struct Hub {
    subscribers: Mutex<Vec<Weak<Subscriber>>>,
    watcher: Mutex<Option<RecommendedWatcher>>,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub").finish_non_exhaustive()
    }
}

/// One open stream: whether a change is waiting to be sent, and who to wake when one comes.
#[derive(Debug, Default)]
struct Subscriber {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    pending: bool,
    waker: Option<Waker>,
}

/// The body of one stream: a message per change, until the client goes away.
struct Events(Arc<Subscriber>);

impl Body for Events {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        self.0
            .poll_change(cx)
            .map(|message| Some(Ok(Frame::data(message))))
    }
}

impl Subscriber {
    /// The next message, once a change has happened.
    fn poll_change(&self, cx: &mut Context<'_>) -> Poll<Bytes> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if std::mem::take(&mut state.pending) {
            Poll::Ready(Bytes::from_static(b"data: change\n\n"))
        } else {
            state.waker = Some(cx.waker().clone());
            Poll::Pending
        }
    }

    fn notify(&self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.pending = true;
        if let Some(waker) = state.waker.take() {
            waker.wake();
        }
    }
}

impl Hub {
    fn new() -> Self {
        Hub {
            subscribers: Mutex::new(Vec::new()),
            watcher: Mutex::new(None),
        }
    }

    /// A new stream; starts watching `folder` if nothing does yet.
    fn subscribe(self: &Arc<Self>, folder: &Path) -> Arc<Subscriber> {
        let subscriber = Arc::new(Subscriber::default());
        let mut subscribers = self.subscribers.lock().unwrap_or_else(|e| e.into_inner());
        subscribers.retain(|s| s.strong_count() > 0);
        subscribers.push(Arc::downgrade(&subscriber));
        drop(subscribers);

        let mut watcher = self.watcher.lock().unwrap_or_else(|e| e.into_inner());
        if watcher.is_none() {
            match self.watch(folder) {
                Ok(started) => *watcher = Some(started),
                Err(error) => eprintln!(
                    "kiln: live reload cannot watch {}: {error}",
                    folder.display()
                ),
            }
        }
        subscriber
    }

    /// Watches `folder`: content changes go to a thread that waits for them to stop for
    /// [`DEBOUNCE`], then tells every stream once. The thread ends with the watcher.
    fn watch(self: &Arc<Self>, folder: &Path) -> notify::Result<RecommendedWatcher> {
        let (changes, changed) = std::sync::mpsc::channel::<()>();
        let mut watcher =
            notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
                if event.is_ok_and(|event| is_content_change(&event.kind)) {
                    let _ = changes.send(());
                }
            })?;
        watcher.watch(folder, RecursiveMode::Recursive)?;
        let hub = Arc::downgrade(self);
        std::thread::Builder::new()
            .name("kiln-live-reload".into())
            .spawn(move || {
                // One message per burst: a save that writes in several steps, or writes a
                // temporary file and renames it, is one change.
                while changed.recv().is_ok() {
                    while changed.recv_timeout(DEBOUNCE).is_ok() {}
                    match hub.upgrade() {
                        Some(hub) => hub.broadcast(),
                        None => return,
                    }
                }
            })
            .map_err(notify::Error::io)?;
        Ok(watcher)
    }

    fn broadcast(&self) {
        let mut subscribers = self.subscribers.lock().unwrap_or_else(|e| e.into_inner());
        subscribers.retain(|s| match s.upgrade() {
            Some(subscriber) => {
                subscriber.notify();
                true
            }
            None => false,
        });
    }
}

/// Whether an event changes what the folder holds: a file created, written, renamed or removed.
/// Opening, reading or closing a file is not (the service reads the files it serves: a reload
/// would cause the next), and neither is a change of permissions or times alone.
fn is_content_change(kind: &EventKind) -> bool {
    match kind {
        EventKind::Create(_) | EventKind::Remove(_) => true,
        EventKind::Modify(ModifyKind::Metadata(_)) => false,
        EventKind::Modify(_) => true,
        EventKind::Access(_) | EventKind::Other => false,
        // A backend that cannot tell (a polling watcher) says `Any`.
        EventKind::Any => true,
    }
}

/// The live-reload stream, when `uri` names the endpoint of a bundle read from disk (under the
/// prefix, as a nested service sees it, or with it, mounted at the root): the route that
/// `Bundle::service()` joins to the asset service in reload mode.
pub(crate) fn respond(
    bundle: &'static Bundle,
    method: &Method,
    uri: &Uri,
) -> Option<Response<AssetBody>> {
    let folder = bundle.folder()?;
    let path = uri.path().strip_prefix('/')?;
    let prefix = bundle.prefix().trim_start_matches('/');
    let rest = path
        .strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('/'));
    if path != ENDPOINT && rest != Some(ENDPOINT) {
        return None;
    }
    if method != Method::GET {
        return None;
    }
    let live = of(bundle)?;
    let events = Events(live.hub.subscribe(folder));
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static(response::NO_CACHE));
    // Proxies such as nginx would otherwise hold the stream back.
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    let body = AssetBody::stream(Bytes::from_static(b": kiln live reload\n\n"), events);
    Some(response::finish(
        StatusCode::OK,
        headers,
        &HeaderMap::new(),
        body,
    ))
}

/// The `<script>` that reloads the page: on each message, and when the stream opens again after
/// it was lost.
fn script(prefix: &str) -> String {
    format!(
        "<script>(() => {{ let seen = false; \
         const source = new EventSource({url:?}); \
         source.onopen = () => {{ if (seen) location.reload(); seen = true; }}; \
         source.onmessage = () => location.reload(); }})();</script>",
        url = format!("{prefix}/{ENDPOINT}"),
    )
}
