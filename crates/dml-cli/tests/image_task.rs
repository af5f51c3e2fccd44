//! A text-to-image task on the devnet, end to end through the real binaries:
//! `dml task submit --model fashion-diffusion --wait --out picture.png`,
//! answered by one solver and rerun by the other with the same bytes,
//! claimed, served by the gateway and decoded as a PNG of the asked size.
//!
//! Needs the built-in model weights (`bash scripts/setup/models.sh`).

mod devnet_support;

use std::time::Duration;

use alloy_sol_types::SolEvent;
use devnet_support::*;
use dml_primitives::{task_seed, IEngine};

/// Width and height of a decoded grayscale PNG, and its pixels.
fn decode_png(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().expect("a PNG header");
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).expect("PNG image data");
    assert_eq!(info.color_type, png::ColorType::Grayscale);
    pixels.truncate(info.buffer_size());
    (info.width, info.height, pixels)
}

/// The sum of a solver metric's samples whose line starts with `prefix`, per solver label.
fn metric_by_solver(text: &str, prefix: &str) -> Vec<(String, f64)> {
    text.lines()
        .filter(|l| l.starts_with(prefix))
        .filter_map(|l| {
            let solver = l.split("solver=\"").nth(1)?.split('"').next()?.to_string();
            Some((solver, l.rsplit(' ').next()?.parse().ok()?))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_image_task_is_drawn_agreed_on_claimed_and_served_as_a_png() {
    if !weights_present() {
        return;
    }
    let mut net = Devnet::start(&["--solvers", "2", "--claim-window", "4"]);
    assert_eq!(net.solvers().len(), 2);
    let out_dir = tempfile::tempdir().unwrap();
    let picture = out_dir.path().join("picture.png");
    let input = r#"{"prompt":"a pair of ankle boots","steps":10,"scale":3}"#;
    let picture_arg = picture.display().to_string();
    let submitted = net
        .dml(9, &["task", "submit", "--model", "fashion-diffusion", "--input", input, "--wait", "--out", &picture_arg]);
    assert_ok(&submitted, "dml task submit --wait --out picture.png");
    let bytes = std::fs::read(&picture).expect("the picture was written");
    let (width, height, _) = decode_png(&bytes);
    assert_eq!((width, height), (84, 84), "28 px scaled 3 times");

    let client = net.client(9).await;
    let head = client.block_number().await.unwrap();
    let logs = client.logs(0, head).await.unwrap();
    let task = logs
        .iter()
        .filter_map(|log| IEngine::TaskSubmitted::decode_log_data(log.data()).ok())
        .find(|e| e.sender == net.address(9))
        .expect("the task's TaskSubmitted log")
        .id;

    // The same bytes as the model run locally with the task's seed.
    let local = out_dir.path().join("local.png");
    let run = std::process::Command::new(DML)
        .args(["model", "run", "fashion-diffusion", "--input", input, "--seed", &task_seed(task).to_string()])
        .args(["--out", &local.display().to_string()])
        .output()
        .unwrap();
    assert_ok(&run, "dml model run fashion-diffusion --out");
    assert_eq!(std::fs::read(&local).unwrap(), bytes, "the network drew what the model draws for the task seed");

    // The solution's CID is the picture's, and the gateway serves it as a PNG.
    let solution = client.view(IEngine::solutionsCall { taskid: task }).await.unwrap();
    let cid = dml_content::Cid::from_bytes(&solution.cid).unwrap();
    assert_eq!(cid, dml_content::cid_v0(&bytes));
    let served = reqwest::get(format!("{}/ipfs/{cid}", net.str("gateway_url"))).await.unwrap();
    assert!(served.status().is_success());
    let served = served.bytes().await.unwrap();
    assert_eq!(decode_png(&served).0, 84);
    assert_eq!(served.as_ref(), bytes.as_slice());

    // Both solvers ran the model for it (one solved, the other reran the
    // solution) and neither found it wrong: no mismatch, no contestation.
    let metrics_url = net.str("metrics_url");
    let runs = eventually(Duration::from_secs(60), "both solvers' model runs", || async {
        let text = reqwest::get(&metrics_url).await.ok()?.text().await.ok()?;
        let runs = metric_by_solver(&text, "dml_solver_model_runs_total{");
        (runs.len() == 2 && runs.iter().all(|(_, n)| *n >= 1.0)).then_some(text)
    })
    .await;
    let mismatches: f64 = metric_by_solver(&runs, "dml_solver_mismatches_total{").iter().map(|(_, n)| n).sum();
    assert_eq!(mismatches, 0.0, "a solver disagreed:\n{runs}");

    // After the claim window the solver claims, uncontested.
    let paid = eventually(Duration::from_secs(60), "the claim", || async {
        let s = client.view(IEngine::solutionsCall { taskid: task }).await.unwrap();
        s.claimed.then_some(s.validator)
    })
    .await;
    assert!(net.solvers().iter().any(|(a, _)| *a == paid));
    let head = client.block_number().await.unwrap();
    let contested = client
        .logs(0, head)
        .await
        .unwrap()
        .iter()
        .filter_map(|log| IEngine::ContestationSubmitted::decode_log_data(log.data()).ok())
        .any(|e| e.task == task);
    assert!(!contested, "the image task was contested");
    net.proc.terminate();
}
