//! A passing test: a plain program (`harness = false`) that exits 0.
#![feature(no_core)]
#![no_core]
#![no_main]

use cargo_greeter::{print, triangle, STDOUT};

#[no_mangle]
extern "C" fn main() -> usize {
    match triangle(100) {
        5050 => {
            print(STDOUT, b"sums: 1 + ... + 100 is 5050\n");
            0
        }
        _ => 1,
    }
}
