//! Feeds arbitrary bytes to the whole front end (UTF-8 check, parser, checker, IR) as the
//! root file. Any panic is a bug: bad input must become diagnostics.
#![no_main]

use std::io;
use std::path::Path;

use libfuzzer_sys::fuzz_target;

struct Bytes<'a>(&'a [u8]);

impl nubesc::load::FileReader for Bytes<'_> {
    fn read(&mut self, path: &Path) -> io::Result<Vec<u8>> {
        if path == Path::new("fuzz.nubes") {
            Ok(self.0.to_vec())
        } else {
            Err(io::ErrorKind::NotFound.into())
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(compilation) = nubesc::check_with(Path::new("fuzz.nubes"), &mut Bytes(data)) {
        assert!(compilation.schema.is_some() || compilation.has_errors());
    }
});
