//! The greeter library, with the few pieces of Rust's core library it needs: this crate is
//! built for riscv64gc-unknown-linux-gnu where no standard library (not even core) is
//! installed, so it declares the language items the compiler requires, enters at `_start`
//! and talks to Linux with `ecall`s. A program using std runs under the runner the same way.
#![feature(no_core, lang_items, rustc_attrs, decl_macro, cfg_version)]
#![allow(unknown_lints, internal_features)]
#![no_core]

// Since Rust 1.89, `Sized` is the last of three marker traits the compiler requires.
#[cfg(version("1.89"))]
#[lang = "pointee_sized"]
pub trait PointeeSized {}

#[cfg(version("1.89"))]
#[lang = "meta_sized"]
pub trait MetaSized: PointeeSized {}

#[cfg(version("1.89"))]
#[lang = "sized"]
pub trait Sized: MetaSized {}

#[cfg(not(version("1.89")))]
#[lang = "sized"]
pub trait Sized {}

#[lang = "copy"]
pub trait Copy {}

impl Copy for u8 {}
impl Copy for usize {}
impl<T: ?Sized> Copy for *const T {}

// The operators on integers are the compiler's own, but type checking looks for these traits.
// (Comparisons are `match`es: `==` would need a trait whose `&self` methods need yet another
// language item, renamed between compiler versions.)
macro_rules! operator {
    ($lang:literal, $Trait:ident, $method:ident, $op:tt) => {
        #[lang = $lang]
        pub trait $Trait<Rhs = Self> {
            type Output;
            fn $method(self, rhs: Rhs) -> Self::Output;
        }

        impl $Trait for usize {
            type Output = usize;
            fn $method(self, rhs: usize) -> usize {
                self $op rhs
            }
        }
    };
}

operator!("add", Add, add, +);
operator!("sub", Sub, sub, -);
operator!("mul", Mul, mul, *);

#[rustc_builtin_macro]
macro asm("assembly template", $(operands,)* $(options($(option),*))?) {
    /* compiler built-in */
}

#[rustc_builtin_macro]
macro global_asm("assembly template", $(operands,)* $(options($(option),*))?) {
    /* compiler built-in */
}

// Linux starts a program with argc, then argv, on the stack; each program (binary or test)
// defines `main(argc, argv)`, whose result is the exit status.
global_asm!(
    ".globl _start",
    "_start:",
    "ld a0, 0(sp)",
    "addi a1, sp, 8",
    "call main",
    "li a7, 94", // exit_group
    "ecall",
);

const SYS_WRITE: usize = 64;

pub const STDOUT: usize = 1;
pub const STDERR: usize = 2;

pub fn write(fd: usize, bytes: *const u8, len: usize) {
    unsafe {
        asm!("ecall", in("a7") SYS_WRITE, inlateout("a0") fd => _, in("a1") bytes, in("a2") len);
    }
}

/// Writes a byte string literal.
pub fn print<const N: usize>(fd: usize, text: &[u8; N]) {
    write(fd, text as *const [u8; N] as *const u8, N);
}

/// Writes a NUL-terminated string, such as a program argument.
///
/// # Safety
/// `text` points to a NUL-terminated string.
pub unsafe fn print_c_str(fd: usize, text: *const u8) {
    let mut len = 0;
    loop {
        match *((text as usize + len) as *const u8) {
            0 => break,
            _ => len = len + 1,
        }
    }
    write(fd, text, len);
}

/// Argument `index` of a program's `argv`.
///
/// # Safety
/// `index` is at most argc.
pub unsafe fn arg(argv: *const *const u8, index: usize) -> *const u8 {
    *((argv as usize + index * 8) as *const *const u8)
}

/// 1 + 2 + ... + n.
pub fn triangle(n: usize) -> usize {
    match n {
        0 => 0,
        _ => n + triangle(n - 1),
    }
}
