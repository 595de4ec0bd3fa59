//! The CSS and JavaScript reference rewriter: no panic on any input, and the output is the input
//! with fingerprints inserted and nothing else changed.
#![no_main]

use libfuzzer_sys::fuzz_target;

const HASH: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fuzz_target!(|data: &[u8]| {
    for path in ["css/app.css", "js/app.js"] {
        let references = kiln_bake::references(path, data);
        let mut insertions = Vec::new();
        for reference in &references {
            assert!(reference.span.start <= reference.span.end && reference.span.end <= data.len());
            // Every name resolves: the most insertions an input can get.
            let resolution = kiln_bake::resolve(path, reference, "/static", |_| true);
            if let kiln_bake::Resolution::Local { insert_at, .. } = resolution {
                assert!(insert_at >= reference.span.start && insert_at <= reference.span.end);
                insertions.push((insert_at, HASH));
            }
        }
        insertions.sort_by_key(|(at, _)| *at);
        let out = kiln_bake::insert_fingerprints(data, &insertions);
        assert_eq!(out.len(), data.len() + insertions.len() * 13);
        // Taking the insertions out again gives the input back.
        let mut back = Vec::with_capacity(data.len());
        let mut done = 0;
        for (k, (at, _)) in insertions.iter().enumerate() {
            let at = at + k * 13;
            back.extend_from_slice(&out[done..at]);
            assert_eq!(&out[at..at + 13], b".0123456789ab");
            done = at + 13;
        }
        back.extend_from_slice(&out[done..]);
        assert_eq!(back, data);
    }
});
