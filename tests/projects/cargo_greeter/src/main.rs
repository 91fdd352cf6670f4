//! `greeter NAME` prints `hello, NAME`.
#![feature(no_core)]
#![no_core]
#![no_main]

use cargo_greeter::{arg, print, print_c_str, STDERR, STDOUT};

#[no_mangle]
extern "C" fn main(argc: usize, argv: *const *const u8) -> usize {
    match argc {
        2 => {
            print(STDOUT, b"hello, ");
            unsafe { print_c_str(STDOUT, arg(argv, 1)) };
            print(STDOUT, b"\n");
            0
        }
        _ => {
            print(STDERR, b"usage: greeter NAME\n");
            2
        }
    }
}
