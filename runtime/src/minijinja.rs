//! [minijinja](https://docs.rs/minijinja) templates that use a bundle: Django's `{% static %}`
//! for Rust (the `minijinja` feature).
//!
//! [`install`] adds these functions to an environment:
//!
//! | in a template | renders |
//! |---|---|
//! | `{{ static("css/app.css") }}` | the fingerprinted URL (base URL included) |
//! | `{{ stylesheet("css/app.css") }}` | `<link rel="stylesheet" href="..." integrity="..." crossorigin="anonymous">` |
//! | `{{ script("js/app.js") }}` | `<script src="..." integrity="..." crossorigin="anonymous" defer></script>` |
//! | `{{ module("js/app.js") }}` | `<script type="module" src="..." integrity="..." crossorigin="anonymous"></script>` |
//! | `{{ modulepreload("js/util.js") }}` | `<link rel="modulepreload" ...>` |
//! | `{{ preload("fonts/a.woff2") }}` | `<link rel="preload" ... as="font" type="font/woff2">` |
//! | `{{ import_map() }}` | the bundle's import map (see `Bundle::import_map`) |
//! | `{{ live_reload() }}` | the live-reload script in reload mode, nothing otherwise |
//!
//! A path that is not in the bundle is a render error that names it, with a "did you mean".
//! What these return is escaped for HTML as it is built and marked safe, so minijinja's
//! auto-escaping leaves it alone (it would write every `/` of a URL as `&#x2f;`).
//!
//! ```
//! #[derive(kiln::Embed)]
//! #[kiln(folder = "static")]
//! struct Static;
//!
//! use kiln::Embed as _;
//! let mut env = minijinja::Environment::new();
//! kiln::minijinja::install(&mut env, Static::bundle());
//! env.add_template("page.html", r#"{{ stylesheet("css/app.css") }}<img src="{{ static("css/app.css") }}">"#)?;
//! let html = env.get_template("page.html")?.render(())?;
//! assert!(html.starts_with(r#"<link rel="stylesheet" href="/static/css/app."#));
//! assert!(html.contains(&format!(r#"<img src="{}">"#, Static::url("css/app.css").unwrap())));
//!
//! let typo = env.render_str(r#"{{ static("css/ap.css") }}"#, ()).unwrap_err();
//! assert!(typo.to_string().contains("did you mean `css/app.css`?"));
//! # Ok::<(), minijinja::Error>(())
//! ```

use minijinja::{Environment, Error, ErrorKind, Value};

use crate::Bundle;
use crate::html::AssetUrl;

/// Adds `static`, `stylesheet`, `script`, `module`, `modulepreload`, `preload`, `import_map` and
/// `live_reload` for `bundle` to `env` (see the [module docs](self)).
pub fn install(env: &mut Environment<'_>, bundle: &'static Bundle) {
    env.add_function("static", move |path: &str| -> Result<Value, Error> {
        Ok(Value::from_safe_string(crate::html::escape(&resolve(
            bundle, path,
        )?)))
    });
    let tag = |render: fn(&AssetUrl) -> String| {
        move |path: &str| -> Result<Value, Error> {
            Ok(Value::from_safe_string(render(&resolve(bundle, path)?)))
        }
    };
    env.add_function("stylesheet", tag(AssetUrl::stylesheet));
    env.add_function("script", tag(AssetUrl::script));
    env.add_function("module", tag(AssetUrl::module));
    env.add_function("modulepreload", tag(AssetUrl::modulepreload));
    env.add_function("preload", tag(AssetUrl::preload));
    env.add_function("import_map", move || {
        Value::from_safe_string(bundle.import_map())
    });
    env.add_function("live_reload", move || {
        Value::from_safe_string(bundle.live_reload_script().to_owned())
    });
}

fn resolve(bundle: &'static Bundle, path: &str) -> Result<AssetUrl, Error> {
    bundle.resolve(path).ok_or_else(|| {
        let mut message = format!("kiln: `{path}` is not a file of the bundle");
        let closest = bundle
            .iter()
            .map(|a| (strsim::levenshtein(a.path(), path), a))
            .filter(|(distance, a)| *distance <= a.path().len().max(path.len()) / 3 + 1)
            .min_by_key(|(distance, _)| *distance);
        if let Some((_, asset)) = closest {
            message.push_str(&format!("; did you mean `{}`?", asset.path()));
        }
        Error::new(ErrorKind::InvalidOperation, message)
    })
}
