//! The examples' shared flag parser (`examples/common/cli.rs`), tested here because
//! example targets do not run their unit tests.

#[allow(dead_code)] // the tests use part of it
#[path = "../examples/common/cli.rs"]
mod cli;
