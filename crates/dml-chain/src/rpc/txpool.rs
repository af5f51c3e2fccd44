//! The `txpool_` namespace: what waits in the pool, as geth shows it.

use std::collections::BTreeMap;

use alloy_consensus::Transaction as _;
use serde_json::{json, Map, Value};

use super::{convert, quantity, Params, RpcError};
use crate::{block::IncludedTx, chain::PoolState, shared::Shared};

/// The methods of the `txpool_` namespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxpoolRequest {
    /// `txpool_status`: how many are pending and queued.
    Status,
    /// `txpool_content`: every transaction, by sender and nonce.
    Content,
    /// `txpool_inspect`: a one-line summary of each.
    Inspect,
}

impl TxpoolRequest {
    /// Parses a method of this namespace; `None` if it is not one.
    pub fn parse(method: &str, p: &Params) -> Result<Option<Self>, RpcError> {
        let request = match method {
            "txpool_status" => Self::Status,
            "txpool_content" => Self::Content,
            "txpool_inspect" => Self::Inspect,
            _ => return Ok(None),
        };
        p.at_most(0)?;
        Ok(Some(request))
    }
}

/// Serves one `txpool_` method.
pub fn serve(shared: &Shared, request: TxpoolRequest) -> Result<Value, RpcError> {
    let chain = shared.chain();
    let contents = chain.pool_contents();
    Ok(match request {
        TxpoolRequest::Status => {
            let pending = contents.iter().filter(|(state, _)| *state == PoolState::Pending).count();
            json!({ "pending": quantity(pending as u64), "queued": quantity((contents.len() - pending) as u64) })
        }
        TxpoolRequest::Content => grouped(&contents, |tx| json!(convert::pending_transaction(tx))),
        TxpoolRequest::Inspect => grouped(&contents, summary),
    })
}

/// `{ pending: { sender: { nonce: … } }, queued: { … } }`.
fn grouped(contents: &[(PoolState, &IncludedTx)], show: impl Fn(&IncludedTx) -> Value) -> Value {
    let mut pending: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    let mut queued: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    for (state, tx) in contents {
        let side = match state {
            PoolState::Pending => &mut pending,
            PoolState::Queued => &mut queued,
        };
        side.entry(tx.sender.to_checksum(None)).or_default().insert(tx.envelope.nonce().to_string(), show(tx));
    }
    json!({ "pending": pending, "queued": queued })
}

/// geth's one-line form: `0xTo: 1 wei + 21000 gas × 1000000000 wei`.
fn summary(tx: &IncludedTx) -> Value {
    let envelope = &tx.envelope;
    let to = match envelope.to() {
        Some(to) => to.to_checksum(None),
        None => "contract creation".into(),
    };
    Value::String(format!(
        "{to}: {} wei + {} gas × {} wei",
        envelope.value(),
        envelope.gas_limit(),
        envelope.max_fee_per_gas()
    ))
}
