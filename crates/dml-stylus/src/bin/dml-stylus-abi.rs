//! Prints the Solidity interface of the DML Stylus contracts (what
//! `cargo stylus export-abi` prints for an SDK-routed contract).
fn main() {
    print!("{}", dml_stylus::solidity_interface());
}
