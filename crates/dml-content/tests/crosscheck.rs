//! Cross-checks dml-content's CIDs against independent implementations:
//! the npm `ipfs-unixfs-importer` (JavaScript) and Debian's `ipfs_cid` (Rust
//! `ipfs-unixfs`). Both are installed by scripts/setup/content.sh; under
//! `CI=true` a missing tool fails the test instead of skipping it.

mod support;

use dml_content::{CidVersion, DagOptions, CHUNK_SIZE, MAX_LINKS};
use support::{ImportSpec, Pattern};

const CHUNK: u64 = CHUNK_SIZE as u64;
const LINKS: u64 = MAX_LINKS as u64;

/// Every layout boundary up to two levels of kubo's real parameters.
fn boundary_sizes() -> Vec<u64> {
    vec![
        0,
        1,
        6,
        CHUNK - 1,
        CHUNK,
        CHUNK + 1,
        2 * CHUNK,
        2 * CHUNK + 1,
        LINKS * CHUNK - 1,
        LINKS * CHUNK,
        LINKS * CHUNK + 1,
        (LINKS + 1) * CHUNK,
        2 * LINKS * CHUNK + 12_345,
    ]
}

fn check_against_npm(sizes: &[u64], options: DagOptions) {
    let Some(npm_dir) = support::npm_importer_dir() else {
        return;
    };
    let specs: Vec<ImportSpec> = sizes.iter().map(|&size| ImportSpec::generated(size, options)).collect();
    let theirs = support::npm_import(&npm_dir, &specs);
    for (&size, (their_cid, their_size)) in sizes.iter().zip(theirs) {
        let ours = Pattern::new(size).dag_root(options);
        assert_eq!(their_size, size, "importer saw the whole stream");
        assert_eq!(ours.file_size, size);
        assert_eq!(ours.cid.to_string(), their_cid, "size {size} with {options:?}");
    }
}

#[test]
fn cidv0_matches_npm_importer_at_every_boundary() {
    check_against_npm(&boundary_sizes(), DagOptions::V0);
}

#[test]
fn cidv1_raw_leaves_matches_npm_importer_at_every_boundary() {
    check_against_npm(&boundary_sizes(), DagOptions::V1);
}

#[test]
fn cidv1_dag_pb_leaves_matches_npm_importer() {
    let options = DagOptions::from_flags(CidVersion::V1, Some(false));
    check_against_npm(&[0, 6, CHUNK + 1, LINKS * CHUNK + 1], options);
}

/// Deep trees with small chunks and fan-out: the same layout code walks
/// five levels in a few kilobytes.
#[test]
fn deep_balanced_layouts_match_npm_importer() {
    for base in [DagOptions::V0, DagOptions::V1] {
        let options = DagOptions { chunk_size: 16, max_links: 4, ..base };
        let mut sizes = Vec::new();
        for depth in 1..=5u32 {
            let full = 16 * 4u64.pow(depth);
            sizes.extend([full - 1, full, full + 1, full + 17]);
        }
        check_against_npm(&sizes, options);
    }
}

/// Three levels at kubo's real parameters: 174² chunks + 1 byte (≈ 7.9 GB,
/// hashed as a stream on both sides).
#[test]
fn three_level_tree_at_real_parameters_matches_npm_importer() {
    check_against_npm(&[LINKS * LINKS * CHUNK + 1], DagOptions::V0);
}

#[test]
fn cidv0_matches_debian_ipfs_cid_on_files() {
    let Some(binary) = support::ipfs_cid_binary() else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("dml-content-ipfs-cid-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for size in [0, 6, CHUNK, CHUNK + 1, LINKS * CHUNK + 1] {
        let path = dir.join(format!("input-{size}"));
        let bytes = Pattern::new(size).to_vec();
        std::fs::write(&path, &bytes).unwrap();
        let output = std::process::Command::new(&binary).arg(&path).output().unwrap();
        assert!(output.status.success(), "ipfs_cid failed on size {size}");
        let reply: serde_json::Value = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|_| panic!("ipfs_cid output: {:?}", String::from_utf8_lossy(&output.stdout)));
        let ours = dml_content::cid_v0(&bytes);
        assert_eq!(reply["CIDv0"].as_str().unwrap(), ours.to_string(), "size {size}");
        assert_eq!(reply["CIDv1"].as_str().unwrap(), ours.into_v1().to_string(), "size {size}");
        std::fs::remove_file(&path).unwrap();
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
