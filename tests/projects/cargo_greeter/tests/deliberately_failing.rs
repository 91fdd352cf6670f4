//! The project's deliberately failing test: it exits 1, and `cargo test` reports it failed.
#![feature(no_core)]
#![no_core]
#![no_main]

use cargo_greeter::{print, triangle, STDERR};

#[no_mangle]
extern "C" fn main() -> usize {
    match triangle(3) {
        7 => 0,
        _ => {
            print(STDERR, b"this test fails on purpose\n");
            1
        }
    }
}
