//! The DML web app: a playground, an explorer and the stake and govern
//! pages, built from `app/` (TypeScript and viem, bundled by esbuild) into
//! `dist/`, which is committed and embedded here, so `cargo build` needs no
//! node. [`spawn`] serves it with the deployment's settings (chain, RPC,
//! indexer and gateway URLs, and on a devnet the dev keys) at
//! `/config.json`, behind a Content-Security-Policy that lets the page reach
//! only those hosts.

pub mod assets;
pub mod config;
pub mod server;

pub use config::{AppConfig, AppContracts, ConfigError, DevAccount};
pub use server::{router, spawn, WebError, WebHandle};
