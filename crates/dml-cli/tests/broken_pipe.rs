//! A closed standard output ends `dml` quietly, whatever the subcommand:
//! `dml model list --builtin --json | head -c 600` must not panic with
//! "failed printing to stdout: Broken pipe" but exit with status 0, as
//! ripgrep does (the reasons are in `main`).

use std::io::Read;
use std::process::{Command, ExitStatus, Stdio};

const DML: &str = env!("CARGO_BIN_EXE_dml");

/// Runs `dml ARGS…` with its stdout a pipe that this side closes after
/// reading `keep` bytes (0: at once, before `dml` has written anything, so
/// its first write fails), and returns how it exited and its stderr.
fn cut_short(args: &[&str], keep: usize) -> (ExitStatus, String) {
    let mut child = Command::new(DML)
        .args(args)
        .env("RUST_BACKTRACE", "1")
        .env_remove("DML_CONFIG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn dml");
    let mut stdout = child.stdout.take().unwrap();
    let mut head = vec![0; keep];
    stdout.read_exact(&mut head).unwrap_or_else(|e| panic!("dml {args:?} printed fewer than {keep} bytes: {e}"));
    drop(stdout);
    let output = child.wait_with_output().unwrap();
    (output.status, String::from_utf8_lossy(&output.stderr).into_owned())
}

/// Closed at once and after a few bytes, `dml ARGS…` exits 0 and says nothing.
fn ends_quietly(args: &[&str]) {
    for keep in [0, 5] {
        let (status, stderr) = cut_short(args, keep);
        assert!(!stderr.contains("panicked"), "dml {args:?} (pipe closed after {keep} bytes) panicked:\n{stderr}");
        assert!(!stderr.to_lowercase().contains("broken pipe"), "dml {args:?} (after {keep} bytes):\n{stderr}");
        assert_eq!(status.code(), Some(0), "dml {args:?} (pipe closed after {keep} bytes): {status}\n{stderr}");
    }
}

#[test]
fn model_list_builtin_json_into_a_closed_pipe_ends_quietly() {
    ends_quietly(&["model", "list", "--builtin", "--json"]);
}

#[test]
fn model_list_builtin_into_a_closed_pipe_ends_quietly() {
    ends_quietly(&["model", "list", "--builtin"]);
}

#[test]
fn help_into_a_closed_pipe_ends_quietly() {
    ends_quietly(&["--help"]);
    ends_quietly(&["task", "submit", "--help"]);
}

#[test]
fn cid_of_a_big_file_into_a_closed_pipe_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.bin");
    std::fs::write(&file, vec![7u8; 4 << 20]).unwrap();
    ends_quietly(&["cid", &file.display().to_string()]);
    ends_quietly(&["cid", "--json", &file.display().to_string()]);
}

/// `dml node --print-config` prints from dml-chain (std's `println!`, not
/// this crate's code): covered too.
#[test]
fn node_print_config_into_a_closed_pipe_ends_quietly() {
    ends_quietly(&["node", "--print-config"]);
}

/// A pipe that stays open still gets everything, and the same exit status.
#[test]
fn an_open_pipe_gets_the_whole_output() {
    let output = Command::new(DML).args(["model", "list", "--builtin", "--json"]).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let listed: serde_json::Value = serde_json::from_slice(&output.stdout).expect("one JSON document");
    assert!(listed.to_string().contains("textgenrnn"), "{listed}");
}
