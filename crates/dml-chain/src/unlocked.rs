//! Transactions and signatures from accounts the node holds: the dev
//! accounts (whose keys come from the mnemonic) sign; an impersonated
//! account's transactions go in unsigned, executed as its own.
//!
//! `eth_sendTransaction` fills what the request leaves out as anvil does:
//! the pending nonce, the estimated gas limit, the chain id, and EIP-1559
//! fees (the suggested tip, and a fee cap of the next base fee plus the tip:
//! `eth_gasPrice`), unless a `gasPrice` asks for a legacy transaction.

use alloy_consensus::{SignableTransaction, TxEnvelope, TypedTransaction};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, Bytes, Signature, TxKind, U256};
use alloy_rpc_types_eth::TransactionRequest;
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;

use crate::{
    block::IncludedTx,
    chain::{Chain, SUGGESTED_PRIORITY_FEE},
    rpc::{codes, RpcError},
    shared::Shared,
};

/// anvil's answer (code and words) when no key signs for the sender, with the sender named.
fn no_signer(address: Option<Address>) -> RpcError {
    let message = match address {
        Some(address) => format!("No Signer available: {address} is neither a dev account nor impersonated"),
        None => "No Signer available".into(),
    };
    RpcError::new(codes::INVALID_PARAMS, message)
}

/// The dev account that signs for `from` (the first dev account when absent).
pub fn dev_signer(chain: &Chain, from: Option<Address>) -> Result<PrivateKeySigner, RpcError> {
    let signers = chain.dev_signers();
    let found = match from {
        Some(address) => signers.iter().find(|signer| signer.address() == address),
        None => signers.first(),
    };
    found.cloned().ok_or_else(|| no_signer(from))
}

/// Fills the fields a request leaves out and builds the unsigned transaction.
fn fill(chain: &Chain, mut request: TransactionRequest, from: Address) -> Result<TypedTransaction, RpcError> {
    request.from = Some(from);
    request.chain_id.get_or_insert(chain.chain_id());
    request.nonce.get_or_insert_with(|| chain.pending_nonce(&from));
    if request.to.is_none() {
        request.to = Some(TxKind::Create);
    }
    let legacy = request.gas_price.is_some();
    if legacy {
        request.max_fee_per_gas = None;
        request.max_priority_fee_per_gas = None;
    } else {
        let tip = request.max_priority_fee_per_gas.unwrap_or(SUGGESTED_PRIORITY_FEE);
        request.max_priority_fee_per_gas = Some(tip);
        request.max_fee_per_gas.get_or_insert(u128::from(chain.next_base_fee()) + tip);
    }
    if request.gas.is_none() {
        let gas = chain.estimate_gas(&request, chain.head_number())?;
        request.gas = Some(gas);
    }
    if request.value.is_none() {
        request.value = Some(U256::ZERO);
    }
    request
        .build_typed_tx()
        .map_err(|_| RpcError::invalid_params("the transaction request is incomplete or mixes transaction types"))
}

fn signed(tx: TypedTransaction, signature: Signature) -> TxEnvelope {
    TxEnvelope::from(tx.into_signed(signature))
}

fn sign_with(signer: &PrivateKeySigner, tx: TypedTransaction) -> Result<TxEnvelope, RpcError> {
    let signature = signer
        .sign_hash_sync(&tx.signature_hash())
        .map_err(|error| RpcError::new(codes::INTERNAL_ERROR, format!("signing failed: {error}")))?;
    Ok(signed(tx, signature))
}

/// The transaction `eth_sendTransaction` adds to the pool.
pub fn build(shared: &Shared, chain: &Chain, request: TransactionRequest) -> Result<IncludedTx, RpcError> {
    let from = match request.from {
        Some(from) => from,
        None => dev_signer(chain, None)?.address(),
    };
    if let Ok(signer) = dev_signer(chain, Some(from)) {
        let envelope = sign_with(&signer, fill(chain, request, from)?)?;
        return Ok(IncludedTx { envelope, sender: from });
    }
    if shared.is_impersonated(&from) {
        // No key: a placeholder signature that no key made. Its `r` is the
        // sender, so that equal transactions from two accounts get two hashes.
        let tx = fill(chain, request, from)?;
        let signature = Signature::new(U256::from_be_slice(from.as_slice()), U256::from(1), false);
        return Ok(IncludedTx { envelope: signed(tx, signature), sender: from });
    }
    Err(no_signer(Some(from)))
}

/// `eth_fillTransaction` (geth's, which viem asks first): the request with
/// nonce, gas, fees and chain id filled in, for any sender (no key needed);
/// `raw` is the unsigned encoding a signer signs.
pub fn fill_transaction(chain: &Chain, request: TransactionRequest) -> Result<serde_json::Value, RpcError> {
    let from = match request.from {
        Some(from) => from,
        None => dev_signer(chain, None)?.address(),
    };
    let tx = fill(chain, request, from)?;
    let raw = Bytes::from(tx.encoded_for_signing());
    // Shown with an empty signature: the caller signs it.
    let unsigned = IncludedTx { envelope: signed(tx, Signature::new(U256::ZERO, U256::ZERO, false)), sender: from };
    Ok(serde_json::json!({ "raw": raw, "tx": crate::rpc::convert::pending_transaction(&unsigned) }))
}

/// `eth_signTransaction`: the signed transaction, EIP-2718 encoded.
pub fn sign_transaction(
    chain: &Chain,
    signer: &PrivateKeySigner,
    request: TransactionRequest,
) -> Result<Bytes, RpcError> {
    let envelope = sign_with(signer, fill(chain, request, signer.address())?)?;
    Ok(envelope.encoded_2718().into())
}

/// `eth_sign` / `personal_sign`: the EIP-191 signature of `message`, 65 bytes.
pub fn sign_message(signer: &PrivateKeySigner, message: &[u8]) -> Result<Bytes, RpcError> {
    let signature = signer
        .sign_message_sync(message)
        .map_err(|error| RpcError::new(codes::INTERNAL_ERROR, format!("signing failed: {error}")))?;
    Ok(signature.as_bytes().to_vec().into())
}

/// `eth_signTypedData_v4`: the EIP-712 signature of `data`, 65 bytes.
pub fn sign_typed_data(signer: &PrivateKeySigner, data: &alloy_dyn_abi::TypedData) -> Result<Bytes, RpcError> {
    let hash = data.eip712_signing_hash().map_err(|error| RpcError::invalid_params(format!("typed data: {error}")))?;
    let signature = signer
        .sign_hash_sync(&hash)
        .map_err(|error| RpcError::new(codes::INTERNAL_ERROR, format!("signing failed: {error}")))?;
    Ok(signature.as_bytes().to_vec().into())
}
