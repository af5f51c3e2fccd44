//! The Solidity interface of the two contracts, printed from the one source
//! of the ABI: the `sol!` blocks of `dml-primitives` (engine and token) and
//! of this crate (the token bridge and genesis). A `sol!` body is Solidity
//! with Rust attributes; dropping the attributes leaves the interface.

use alloc::string::String;

const PRIMITIVES_SOURCE: &str = include_str!("../../dml-primitives/src/lib.rs");
const ADAPTER_SOURCE: &str = include_str!("lib.rs");

/// The Solidity source of every interface the deployed contracts speak.
pub fn solidity_interface() -> String {
    let mut out = String::from(
        "// SPDX-License-Identifier: MIT\n\
         // The DML engine and token as deployed on Arbitrum Stylus (crates/dml-stylus).\n\
         pragma solidity ^0.8.23;\n",
    );
    for source in [PRIMITIVES_SOURCE, ADAPTER_SOURCE] {
        if let Some(body) = sol_body(source) {
            for line in body.lines() {
                if line.trim_start().starts_with("#[") {
                    continue;
                }
                out.push_str(line.strip_prefix("    ").unwrap_or(line));
                out.push('\n');
            }
        }
    }
    out
}

/// The text between the braces of the first `sol! { … }` in `source`.
fn sol_body(source: &str) -> Option<&str> {
    let start = source.find("sol! {")? + "sol! {".len();
    let mut depth = 1usize;
    for (offset, byte) in source[start..].bytes().enumerate() {
        match byte {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(&source[start..start + offset]);
                }
            }
            _ => {}
        }
    }
    None
}
