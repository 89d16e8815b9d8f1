//! Link flags of the `clickpath` binary.

fn main() {
    // Relative relocations packed (DT_RELR): the dynamic loader reads 60 KB of them at start
    // instead of 5.4 MB (DataFusion's and Arrow's tables of pointers), so every run starts
    // smaller (`--version` 13.4 -> 8.1 MiB resident; the report of a small log 5-6 MiB less:
    // docs/benchmarks.md). Position-independent still (ASLR kept; `-no-pie` would save 3.9 MiB
    // more, the relocated pages, but give up ASLR for a program that listens on the network).
    // Needs GNU ld >= 2.38 (older ones ignore the flag with a warning) and glibc >= 2.36 where
    // the binary runs (Debian 12).
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux")
        && std::env::var("CARGO_CFG_TARGET_ENV").as_deref() == Ok("gnu")
    {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
