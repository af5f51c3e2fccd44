//! `dml wallet`: keystores in the Web3 Secret Storage format (version 3,
//! scrypt + AES-128-CTR, with the `address` field geth lists accounts by), so
//! geth (`--keystore DIR`) and foundry (`cast wallet … --keystore FILE`) read
//! them. Keys are never printed.

use std::io::Write;
use std::path::{Path, PathBuf};

use alloy_primitives::Address;
use alloy_signer_local::PrivateKeySigner;
use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use serde_json::json;

use crate::client::{
    keystore_address, keystore_files, mnemonic_key, parse_private_key, print_json, read_password, ClientArgs,
};
use crate::config::SignerChoice;

/// Keystores: create, import, list.
#[derive(Debug, Subcommand)]
pub enum WalletCommand {
    /// Create a new random key, encrypt it into the keystore directory and print its address.
    New(NewArgs),
    /// Encrypt an existing key (--private-key, or --mnemonic with --index) into the keystore directory.
    Import(ImportArgs),
    /// List the keystores in the keystore directory (name and address).
    List(ListArgs),
}

/// `dml wallet new`.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// Keystore file name (default: the address).
    pub name: Option<String>,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// `dml wallet import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Keystore file name (default: the address).
    pub name: Option<String>,
    /// Import key INDEX (`m/44'/60'/0'/0/INDEX`) of this BIP-39 mnemonic instead of --private-key.
    #[arg(long, env = "DML_MNEMONIC", hide_env_values = true, value_name = "WORDS")]
    pub mnemonic: Option<String>,
    /// Account index for --mnemonic.
    #[arg(long, default_value_t = 0, requires = "mnemonic")]
    pub index: u32,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// `dml wallet list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub client: ClientArgs,
}

/// Runs a `dml wallet` subcommand.
pub fn run(command: WalletCommand) -> anyhow::Result<()> {
    match command {
        WalletCommand::New(args) => {
            if args.client.print_config_if_asked()? {
                return Ok(());
            }
            let signer = PrivateKeySigner::random();
            save(&args.client, args.name.as_deref(), &signer, "created")
        }
        WalletCommand::Import(args) => {
            if args.client.print_config_if_asked()? {
                return Ok(());
            }
            let settings = args.client.settings()?;
            let signer = match (&args.mnemonic, &settings.signer) {
                (Some(_), Some(SignerChoice::PrivateKey(_))) => {
                    bail!("give either --private-key or --mnemonic, not both")
                }
                (Some(phrase), _) => mnemonic_key(phrase, args.index)?,
                (None, Some(SignerChoice::PrivateKey(key))) => parse_private_key(key)?,
                (None, Some(SignerChoice::DevAccount(index))) => mnemonic_key(crate::client::DEV_MNEMONIC, *index)?,
                _ => bail!(
                    "nothing to import: pass --private-key HEX (or DML_PRIVATE_KEY), or --mnemonic WORDS --index N"
                ),
            };
            save(&args.client, args.name.as_deref(), &signer, "imported")
        }
        WalletCommand::List(args) => {
            if args.client.print_config_if_asked()? {
                return Ok(());
            }
            list(&args.client)
        }
    }
}

fn save(client: &ClientArgs, name: Option<&str>, signer: &PrivateKeySigner, verb: &str) -> anyhow::Result<()> {
    let settings = client.settings()?;
    let address = signer.address();
    let name = name.map(str::to_owned).unwrap_or_else(|| address.to_string());
    if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
        bail!("keystore name `{name}` must be a plain file name");
    }
    let dir = &settings.keystore_dir;
    if let Some(existing) = keystore_files(dir)?.into_iter().find(|file| keystore_address(file) == Some(address)) {
        bail!("a keystore for {address} already exists: {}", existing.display());
    }
    let password = read_password(&settings, true)?;
    create_private_dir(dir)?;
    let path = dir.join(&name);
    // Create the file ourselves, owner-only and never over an existing one;
    // the encryption below then truncates and fills it, keeping the mode.
    reserve_private_file(&path)?;
    let written =
        PrivateKeySigner::encrypt_keystore(dir, &mut rand::thread_rng(), signer.to_bytes(), &password, Some(&name));
    if let Err(error) = written {
        let _ = std::fs::remove_file(&path);
        bail!("cannot write keystore {}: {error}", path.display());
    }
    if client.json {
        print_json(&json!({ "address": address, "name": name, "path": path }))?;
    } else {
        println!("{address}");
        eprintln!("{verb} keystore {}", path.display());
    }
    Ok(())
}

fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).with_context(|| format!("cannot create the keystore directory {}", dir.display()))
}

fn reserve_private_file(path: &PathBuf) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|error| {
        if error.kind() == std::io::ErrorKind::AlreadyExists {
            anyhow::anyhow!("keystore {} already exists; choose another name", path.display())
        } else {
            anyhow::anyhow!("cannot create keystore {}: {error}", path.display())
        }
    })?;
    file.flush()?;
    Ok(())
}

fn list(client: &ClientArgs) -> anyhow::Result<()> {
    let settings = client.settings()?;
    let entries: Vec<(String, Option<Address>)> = keystore_files(&settings.keystore_dir)?
        .iter()
        .map(|file| {
            let name = file.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
            (name, keystore_address(file))
        })
        .collect();
    if client.json {
        let items: Vec<_> = entries.iter().map(|(name, address)| json!({ "name": name, "address": address })).collect();
        return print_json(&json!({ "keystore_dir": settings.keystore_dir, "wallets": items }));
    }
    if entries.is_empty() {
        eprintln!("no keystores in {}", settings.keystore_dir.display());
    }
    for (name, address) in entries {
        match address {
            Some(address) => println!("{address}  {name}"),
            None => println!("{:<42}  {name}  (no address field)", "?"),
        }
    }
    Ok(())
}
