//! What the page is told about its deployment (`/config.json`), and the
//! Content-Security-Policy derived from it.

use alloy_primitives::Address;
use serde::Serialize;
use url::Url;

/// A setting that cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A URL that does not parse.
    #[error("{name} {value:?} is not a URL: {source}")]
    BadUrl {
        /// Which setting.
        name: &'static str,
        /// What it was.
        value: String,
        /// Why it does not parse.
        source: url::ParseError,
    },
    /// A URL that is not plain http(s) with a host.
    #[error("{name} {value:?} must be an http:// or https:// URL with a host and no query, fragment or credentials")]
    NotAnOrigin {
        /// Which setting.
        name: &'static str,
        /// What it was.
        value: String,
    },
    /// Dev keys for a deployment that is not a devnet.
    #[error("dev accounts are served only on a devnet: their keys would be handed to every visitor")]
    DevKeysOffDevnet,
}

/// The contracts the page talks to.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppContracts {
    /// The engine.
    pub engine: Address,
    /// The DML token.
    pub token: Address,
    /// The OZ Governor, where governance is deployed.
    pub governor: Option<Address>,
    /// Its timelock.
    pub timelock: Option<Address>,
    /// The LP staking contract, where deployed.
    pub liquidity_staking: Option<Address>,
    /// The DML/WETH pair whose LP tokens it stakes.
    pub pair: Option<Address>,
    /// The Uniswap V2 router.
    pub router: Option<Address>,
    /// WETH.
    pub weth: Option<Address>,
}

/// A dev account whose key the page may sign with (devnet only).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DevAccount {
    /// Its index in the dev mnemonic.
    pub index: u32,
    /// Its address.
    pub address: Address,
    /// Its private key, 0x-hex.
    pub private_key: String,
}

/// Everything `/config.json` says.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppConfig {
    /// EIP-155 chain id.
    pub chain_id: u64,
    /// The chain's name as a wallet shows it.
    pub chain_name: String,
    /// JSON-RPC URL.
    pub rpc_url: String,
    /// Indexer read API URL.
    pub indexer_url: String,
    /// IPFS gateway URL (outputs and templates by CID).
    pub gateway_url: String,
    /// Contract addresses.
    pub contracts: AppContracts,
    /// Whether this is a local devnet (enables the dev-account mode).
    pub devnet: bool,
    /// Dev accounts (empty unless `devnet`).
    pub dev_accounts: Vec<DevAccount>,
}

/// Checks an http(s) URL (a host, no query, fragment or credentials) and
/// returns it without a trailing `/`, so the page can append paths, and its
/// origin (`scheme://host[:port]`) for the Content-Security-Policy.
fn checked_url(name: &'static str, value: &str) -> Result<(String, String), ConfigError> {
    let url = Url::parse(value).map_err(|source| ConfigError::BadUrl { name, value: value.to_string(), source })?;
    let plain = matches!(url.scheme(), "http" | "https")
        && url.host_str().is_some()
        && url.query().is_none()
        && url.fragment().is_none()
        && url.username().is_empty()
        && url.password().is_none();
    if !plain {
        return Err(ConfigError::NotAnOrigin { name, value: value.to_string() });
    }
    let origin = url.origin().ascii_serialization();
    let base = format!("{origin}{}", url.path().trim_end_matches('/'));
    Ok((base, origin))
}

impl AppConfig {
    /// Checks the settings and drops the URLs' trailing slashes, so the
    /// page can append paths.
    pub fn validated(mut self) -> Result<AppConfig, ConfigError> {
        self.rpc_url = checked_url("rpc url", &self.rpc_url)?.0;
        self.indexer_url = checked_url("indexer url", &self.indexer_url)?.0;
        self.gateway_url = checked_url("gateway url", &self.gateway_url)?.0;
        if !self.devnet && !self.dev_accounts.is_empty() {
            return Err(ConfigError::DevKeysOffDevnet);
        }
        Ok(self)
    }

    /// The Content-Security-Policy for the page: scripts and styles only
    /// from its own origin, network requests only to itself and the
    /// configured RPC, indexer and gateway, images also from the gateway
    /// (outputs) and `data:`/`blob:` (wallet icons, fetched outputs).
    pub fn content_security_policy(&self) -> String {
        let origin = |url: &str| checked_url("url", url).map(|(_, origin)| origin).unwrap_or_default();
        let gateway = origin(&self.gateway_url);
        let mut hosts: Vec<String> = vec![origin(&self.rpc_url), origin(&self.indexer_url), gateway.clone()];
        hosts.sort_unstable();
        hosts.dedup();
        let connect = hosts.join(" ");
        format!(
            "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
             img-src 'self' data: blob: {gateway}; connect-src 'self' {connect}; \
             base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(rpc: &str) -> AppConfig {
        AppConfig {
            chain_id: 31337,
            chain_name: "DML devnet".into(),
            rpc_url: rpc.into(),
            indexer_url: "http://127.0.0.1:8090/".into(),
            gateway_url: "http://127.0.0.1:8080".into(),
            contracts: AppContracts::default(),
            devnet: false,
            dev_accounts: vec![],
        }
    }

    #[test]
    fn urls_become_origins_and_bad_ones_are_refused_with_their_name() {
        let ok = config("http://127.0.0.1:8545").validated().unwrap();
        assert_eq!(ok.indexer_url, "http://127.0.0.1:8090");
        assert_eq!(ok.rpc_url, "http://127.0.0.1:8545");
        let proxied = config("https://example.org/arbitrum/rpc/").validated().unwrap();
        assert_eq!(proxied.rpc_url, "https://example.org/arbitrum/rpc");
        assert!(proxied.content_security_policy().contains(" https://example.org;"));
        for (bad, says) in [
            ("127.0.0.1:8545", "rpc url"),
            ("ftp://host", "http:// or https://"),
            ("http://host/rpc?x=1", "no query"),
            ("http://host/rpc#top", "fragment"),
            ("http://user:pw@host", "credentials"),
            ("not a url", "is not a URL"),
        ] {
            let error = config(bad).validated().unwrap_err().to_string();
            assert!(error.contains(says), "{bad}: {error}");
        }
    }

    #[test]
    fn dev_keys_are_refused_off_a_devnet() {
        let mut with_keys = config("http://127.0.0.1:8545");
        with_keys.dev_accounts.push(DevAccount { index: 0, address: Address::ZERO, private_key: "0x01".into() });
        assert!(matches!(with_keys.clone().validated(), Err(ConfigError::DevKeysOffDevnet)));
        with_keys.devnet = true;
        assert!(with_keys.validated().is_ok());
    }

    #[test]
    fn the_policy_names_exactly_the_configured_hosts() {
        let policy = config("https://rpc.example.org").validated().unwrap().content_security_policy();
        assert!(
            policy.contains("connect-src 'self' http://127.0.0.1:8080 http://127.0.0.1:8090 https://rpc.example.org;")
        );
        assert!(policy.contains("script-src 'self';"));
        assert!(policy.contains("img-src 'self' data: blob: http://127.0.0.1:8080;"));
        assert!(!policy.contains('*'));
    }
}
