//! The on-disk block store: verified reads, atomic writes that survive
//! `kill -9`, abandoned adds, pins and garbage collection.

mod support;

use std::time::Duration;

use dml_content::{add_from_reader, AddError, Blockstore, BlockstoreError, DagOptions};
use support::{files_under, Pattern};

#[test]
fn blocks_round_trip_and_corruption_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = Blockstore::open(dir.path()).unwrap();
    let data = Pattern::new(600_000).to_vec();
    let root = add_from_reader(&store, data.as_slice(), DagOptions::V0, true, None).unwrap();
    assert_eq!(root.cid, dml_content::cid_v0(&data));
    assert_eq!(root.block_count, 4);
    let root_block = store.get(&root.cid).unwrap();
    assert_eq!(dml_content::sha256(&root_block), root.cid.multihash_digest());

    // put_block checks the hash.
    let wrong = dml_content::cid_v0(b"x");
    assert!(matches!(store.put_block(&wrong, b"y"), Err(BlockstoreError::HashMismatch(_))));

    // Flip one bit on disk: the read is refused, never served.
    let path = store.block_path(&root.cid.multihash_digest());
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[5] ^= 0x10;
    std::fs::write(&path, bytes).unwrap();
    match store.get(&root.cid) {
        Err(BlockstoreError::Corrupted { cid, .. }) => assert_eq!(cid, root.cid),
        other => panic!("expected Corrupted, got {other:?}"),
    }
    // Pinning and GC refuse to work from a corrupted DAG rather than guess.
    assert!(matches!(store.pin(&root.cid), Err(BlockstoreError::Corrupted { .. })));
    assert!(matches!(store.gc(), Err(BlockstoreError::Corrupted { .. })));
    assert_eq!(files_under(&dir.path().join("blocks")).len(), 4, "a failed GC removes nothing");
    assert!(matches!(store.get(&wrong), Err(BlockstoreError::NotFound(_))));
}

#[test]
fn failed_adds_leave_no_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let store = Blockstore::open(dir.path()).unwrap();
    let kept = add_from_reader(&store, &b"already here"[..], DagOptions::V0, true, None).unwrap();

    // A reader that fails after 700 KB (a truncated upload).
    struct Failing(u64);
    impl std::io::Read for Failing {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            if self.0 == 0 {
                return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "connection reset"));
            }
            let take = out.len().min(self.0 as usize);
            out[..take].fill(7);
            self.0 -= take as u64;
            Ok(take)
        }
    }
    let error = add_from_reader(&store, Failing(700_000), DagOptions::V0, true, None).unwrap_err();
    assert!(matches!(error, AddError::Read(_)), "{error}");
    // Too large.
    let error = add_from_reader(&store, Pattern::new(900_000).to_vec().as_slice(), DagOptions::V1, true, Some(500_000))
        .unwrap_err();
    assert!(matches!(error, AddError::TooLarge { limit_bytes: 500_000 }), "{error}");
    let blocks = files_under(&dir.path().join("blocks"));
    assert_eq!(blocks.len(), 1, "only the earlier file's block remains: {blocks:?}");
    assert!(files_under(&dir.path().join("tmp")).is_empty());
    assert_eq!(store.pins().unwrap(), vec![kept.cid]);
}

#[test]
fn leftover_temp_files_are_removed_on_open() {
    let dir = tempfile::tempdir().unwrap();
    drop(Blockstore::open(dir.path()).unwrap());
    std::fs::write(dir.path().join("tmp/12345-0"), b"half a block").unwrap();
    let store = Blockstore::open(dir.path()).unwrap();
    assert!(files_under(&dir.path().join("tmp")).is_empty());
    assert!(store.pins().unwrap().is_empty());
}

#[test]
fn pins_protect_dags_from_gc() {
    let dir = tempfile::tempdir().unwrap();
    let store = Blockstore::open(dir.path()).unwrap();
    let a = add_from_reader(&store, Pattern::new(300_000).to_vec().as_slice(), DagOptions::V1, true, None).unwrap();
    let b = add_from_reader(&store, &b"unpinned"[..], DagOptions::V0, false, None).unwrap();
    assert!(store.is_pinned(&a.cid) && !store.is_pinned(&b.cid));
    let report = store.gc().unwrap();
    assert_eq!(report.removed, vec![b.cid.multihash_digest()]);
    assert_eq!(report.kept, 3);
    assert!(matches!(store.unpin(&b.cid), Err(BlockstoreError::NotPinned(_))));
    store.unpin(&a.cid).unwrap();
    assert_eq!(store.gc().unwrap().removed.len(), 3);
    assert!(files_under(&dir.path().join("blocks")).is_empty());
    // Pins survive reopening.
    let c = add_from_reader(&store, &b"durable"[..], DagOptions::V0, true, None).unwrap();
    drop(store);
    let store = Blockstore::open(dir.path()).unwrap();
    assert_eq!(store.pins().unwrap(), vec![c.cid]);
}

/// Runs only as the child of `kill_9_leaves_no_torn_block`: adds files
/// forever into the store named by the environment.
#[test]
fn child_writer_for_kill_test() {
    let Some(dir) = std::env::var_os("DML_CONTENT_KILL_TEST_DIR") else {
        return;
    };
    let store = Blockstore::open(dir).unwrap();
    for round in 0u64.. {
        let mut data = Pattern::new(2_000_000).to_vec();
        data[..8].copy_from_slice(&round.to_le_bytes());
        data[300_000..300_008].copy_from_slice(&round.to_le_bytes());
        add_from_reader(&store, data.as_slice(), DagOptions::V0, true, None).unwrap();
        eprintln!("round {round}");
    }
}

#[test]
fn kill_9_leaves_no_torn_block() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_writer_for_kill_test", "--nocapture"])
        .env("DML_CONTENT_KILL_TEST_DIR", dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until it has written a fair number of blocks, then SIGKILL it mid-write.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while files_under(&dir.path().join("blocks")).len() < 40 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();

    let blocks = files_under(&dir.path().join("blocks"));
    assert!(blocks.len() >= 40, "the child wrote blocks before it was killed");
    let store = Blockstore::open(dir.path()).unwrap();
    assert!(files_under(&dir.path().join("tmp")).is_empty(), "interrupted writes are cleaned on open");
    for path in &blocks {
        let bytes = std::fs::read(path).unwrap();
        let name = path.file_name().unwrap().to_str().unwrap();
        let digest: String = dml_content::sha256(&bytes).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(digest, name, "block {name} is torn");
    }
    // Every pinned root is complete and readable.
    for pin in store.pins().unwrap() {
        store.walk_dag(&pin, |_, _| {}).unwrap();
    }
    store.gc().unwrap();
}
