//! Nothing here: the tests in `tests/` run the crates generated from the golden schemas
//! (`tests/golden/build/`) on both stores.
