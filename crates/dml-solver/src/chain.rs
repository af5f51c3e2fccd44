//! The solver's view of the chain: plain Ethereum JSON-RPC, nothing that
//! assumes the dev chain (the engine's address may come from configuration;
//! `dml_getContracts` is only asked when it does not).

use alloy_consensus::{SignableTransaction, Transaction as _, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_eips::BlockNumberOrTag;
use alloy_network::Ethereum;
use alloy_primitives::{Address, Bytes, TxKind, B256, U256};
use alloy_provider::{Provider, RootProvider};
use alloy_rpc_types_eth::{Filter, Log, TransactionRequest};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{SolCall, SolEvent};
use dml_primitives::{IDmlToken, IEngine};

use crate::SolverError;

/// The engine events the solver follows: the tasks' and its delegation pool's.
pub fn followed_events() -> Vec<B256> {
    let mut events = vec![
        IEngine::TaskSubmitted::SIGNATURE_HASH,
        IEngine::SolutionSubmitted::SIGNATURE_HASH,
        IEngine::SolutionClaimed::SIGNATURE_HASH,
        IEngine::ContestationSubmitted::SIGNATURE_HASH,
        IEngine::ContestationResolved::SIGNATURE_HASH,
        IEngine::TaskRetracted::SIGNATURE_HASH,
    ];
    events.extend(crate::daemon::pool_events());
    events
}

/// A transaction's outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Receipt {
    /// Whether it succeeded.
    pub success: bool,
    /// Its block.
    pub block: u64,
}

/// A signed transaction ready to broadcast.
#[derive(Clone, Debug)]
pub struct SignedTx {
    /// Its hash.
    pub hash: B256,
    /// Its EIP-2718 bytes.
    pub raw: Bytes,
}

/// The chain, the engine on it and the key that signs.
#[derive(Clone)]
pub struct ChainClient {
    provider: RootProvider<Ethereum>,
    signer: PrivateKeySigner,
    chain_id: u64,
    engine: Address,
    token: Address,
}

fn rpc<E: std::fmt::Display>(error: E) -> SolverError {
    SolverError::Rpc(error.to_string())
}

impl ChainClient {
    /// Connects over HTTP; `engine` from configuration, or asked from the node.
    pub async fn connect(
        rpc_url: &str,
        signer: PrivateKeySigner,
        engine: Option<Address>,
    ) -> Result<ChainClient, SolverError> {
        let url = rpc_url.parse().map_err(|e| SolverError::Config(format!("rpc_url `{rpc_url}`: {e}")))?;
        let provider = RootProvider::<Ethereum>::new_http(url);
        let chain_id = provider.get_chain_id().await.map_err(rpc)?;
        let engine = match engine {
            Some(engine) => engine,
            None => {
                let contracts: serde_json::Value =
                    provider.raw_request("dml_getContracts".into(), ()).await.map_err(|e| {
                        SolverError::Config(format!(
                            "the node does not tell its contracts ({e}); set `engine` in the config"
                        ))
                    })?;
                contracts["engine"]
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| SolverError::Rpc(format!("dml_getContracts: no engine in {contracts}")))?
            }
        };
        let mut client = ChainClient { provider, signer, chain_id, engine, token: Address::ZERO };
        client.token = client.view(IEngine::baseTokenCall {}).await?;
        Ok(client)
    }

    /// The signing address.
    pub fn address(&self) -> Address {
        self.signer.address()
    }

    /// The engine's address.
    pub fn engine(&self) -> Address {
        self.engine
    }

    /// The latest block number.
    pub async fn block_number(&self) -> Result<u64, SolverError> {
        self.provider.get_block_number().await.map_err(rpc)
    }

    /// The latest block's timestamp.
    pub async fn latest_timestamp(&self) -> Result<u64, SolverError> {
        let block = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Latest)
            .await
            .map_err(rpc)?
            .ok_or_else(|| SolverError::Rpc("no latest block".into()))?;
        Ok(block.header.timestamp)
    }

    /// Calls a view of the engine.
    pub async fn view<C: SolCall>(&self, call: C) -> Result<C::Return, SolverError> {
        self.view_at(self.engine, call).await
    }

    /// Calls a view of the token.
    pub async fn token_view<C: SolCall>(&self, call: C) -> Result<C::Return, SolverError> {
        self.view_at(self.token, call).await
    }

    async fn view_at<C: SolCall>(&self, to: Address, call: C) -> Result<C::Return, SolverError> {
        self.view_in(to, call, BlockNumberOrTag::Latest).await
    }

    /// Calls a view of any contract on the state as of `block`: several
    /// views at one block read one consistent state.
    pub async fn view_in<C: SolCall>(
        &self,
        to: Address,
        call: C,
        block: BlockNumberOrTag,
    ) -> Result<C::Return, SolverError> {
        let request =
            TransactionRequest::default().from(self.address()).to(to).input(Bytes::from(call.abi_encode()).into());
        let output = self.provider.call(request).block(block.into()).await.map_err(rpc)?;
        C::abi_decode_returns(&output).map_err(|e| SolverError::Rpc(format!("decoding {}: {e}", C::SIGNATURE)))
    }

    /// The solver's DML balance.
    pub async fn dml_balance(&self) -> Result<U256, SolverError> {
        self.token_view(IDmlToken::balanceOfCall { account: self.address() }).await
    }

    /// The followed engine logs in `from..=to`.
    pub async fn logs(&self, from: u64, to: u64) -> Result<Vec<Log>, SolverError> {
        self.logs_with(from, to, Some(followed_events())).await
    }

    /// The engine's logs in `from..=to` with these event signatures (all with `None`).
    pub async fn logs_with(&self, from: u64, to: u64, events: Option<Vec<B256>>) -> Result<Vec<Log>, SolverError> {
        let mut filter = Filter::new().address(self.engine).from_block(from).to_block(to);
        if let Some(events) = events {
            filter = filter.event_signature(events);
        }
        self.provider.get_logs(&filter).await.map_err(rpc)
    }

    /// A transaction's calldata.
    pub async fn transaction_input(&self, hash: B256) -> Result<Option<Bytes>, SolverError> {
        let tx = self.provider.get_transaction_by_hash(hash).await.map_err(rpc)?;
        Ok(tx.map(|tx| tx.input().clone()))
    }

    /// The input a `TaskInput` log of transaction `hash` carries for `task`
    /// (a task submitted with a callback, usually by a contract).
    pub async fn task_input_log(&self, hash: B256, task: B256) -> Result<Option<Bytes>, SolverError> {
        let receipt = self.provider.get_transaction_receipt(hash).await.map_err(rpc)?;
        let Some(receipt) = receipt else { return Ok(None) };
        Ok(receipt.inner.logs().iter().find_map(|log| {
            if log.address() != self.engine {
                return None;
            }
            let decoded = IEngine::TaskInput::decode_log_data(log.data()).ok()?;
            (decoded.task == task).then_some(decoded.input)
        }))
    }

    /// A transaction's receipt, once mined.
    pub async fn receipt(&self, hash: B256) -> Result<Option<Receipt>, SolverError> {
        let receipt = self.provider.get_transaction_receipt(hash).await.map_err(rpc)?;
        Ok(receipt.map(|r| Receipt { success: r.status(), block: r.block_number.unwrap_or_default() }))
    }

    /// The account's nonce counting mined transactions only.
    pub async fn mined_nonce(&self) -> Result<u64, SolverError> {
        self.provider.get_transaction_count(self.address()).latest().await.map_err(rpc)
    }

    /// The account's nonce counting pooled transactions too.
    pub async fn pending_nonce(&self) -> Result<u64, SolverError> {
        self.provider.get_transaction_count(self.address()).pending().await.map_err(rpc)
    }

    /// Simulates `calldata` to the engine; the revert reason if it would fail.
    pub async fn estimate(&self, calldata: &[u8]) -> Result<u64, SolverError> {
        let request = TransactionRequest::default()
            .from(self.address())
            .to(self.engine)
            .input(Bytes::copy_from_slice(calldata).into());
        self.provider.estimate_gas(request).await.map_err(|e| SolverError::Revert(revert_text(&e.to_string())))
    }

    /// Signs a call to the engine with `nonce` and `gas` (plus a margin).
    pub async fn sign(&self, calldata: Vec<u8>, nonce: u64, gas: u64) -> Result<SignedTx, SolverError> {
        let gas_price = self.provider.get_gas_price().await.map_err(rpc)?;
        let priority = self.provider.get_max_priority_fee_per_gas().await.unwrap_or(0);
        let mut tx = TxEip1559 {
            chain_id: self.chain_id,
            nonce,
            gas_limit: gas + gas / 4 + 10_000,
            max_fee_per_gas: gas_price.saturating_mul(2).max(priority + 1),
            max_priority_fee_per_gas: priority,
            to: TxKind::Call(self.engine),
            value: U256::ZERO,
            access_list: Default::default(),
            input: calldata.into(),
        };
        let signature =
            self.signer.sign_hash_sync(&tx.signature_hash()).map_err(|e| SolverError::Rpc(e.to_string()))?;
        let signed = std::mem::take(&mut tx).into_signed(signature);
        let hash = *signed.hash();
        let envelope = TxEnvelope::from(signed);
        Ok(SignedTx { hash, raw: envelope.encoded_2718().into() })
    }

    /// Broadcasts signed bytes. A node that already has them is not an error.
    pub async fn broadcast(&self, raw: &[u8]) -> Result<(), SolverError> {
        match self.provider.send_raw_transaction(raw).await {
            Ok(_) => Ok(()),
            Err(e) => {
                let text = e.to_string().to_lowercase();
                if text.contains("already known")
                    || text.contains("known transaction")
                    || text.contains("nonce too low")
                {
                    Ok(())
                } else {
                    Err(SolverError::Rpc(e.to_string()))
                }
            }
        }
    }
}

impl ChainClient {
    /// Sends one call to the engine with the account's pending nonce and
    /// waits (up to `timeout`) for its receipt: for set-up steps and tools,
    /// not for the solver loop (which persists what it sends first).
    pub async fn send_and_wait<C: SolCall>(
        &self,
        call: C,
        timeout: std::time::Duration,
    ) -> Result<Receipt, SolverError> {
        let calldata = call.abi_encode();
        let gas = self.estimate(&calldata).await?;
        let nonce = self.pending_nonce().await?;
        let signed = self.sign(calldata, nonce, gas).await?;
        self.broadcast(&signed.raw).await?;
        let deadline = std::time::Instant::now() + timeout;
        loop {
            if let Some(receipt) = self.receipt(signed.hash).await? {
                return Ok(receipt);
            }
            if std::time::Instant::now() >= deadline {
                return Err(SolverError::Rpc(format!("{} not mined within {timeout:?}", signed.hash)));
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// Calls a view of any contract.
    pub async fn view_of<C: SolCall>(&self, to: Address, call: C) -> Result<C::Return, SolverError> {
        self.view_at(to, call).await
    }

    /// The token's address.
    pub fn token(&self) -> Address {
        self.token
    }
}

/// The reason out of a node's "execution reverted: reason" error text.
fn revert_text(error: &str) -> String {
    match error.find("execution reverted") {
        Some(at) => error[at..].split(", data").next().unwrap_or(error).to_string(),
        None => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revert_text_keeps_the_reason() {
        assert_eq!(
            revert_text("server returned an error response: error code 3: execution reverted: has contestation, data: \"0x08c3\""),
            "execution reverted: has contestation"
        );
        assert_eq!(revert_text("connection refused"), "connection refused");
    }
}
