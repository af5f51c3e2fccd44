//! Signed token approvals (EIP-2612 `permit`) and signed delegation
//! (`delegateBySig`), with the EIP-712 domain and nonces they share, as
//! OpenZeppelin's `ERC20Permit` and `Votes` behave: an expired signature, a
//! nonce out of turn, a malleable `s` or a signature that recovers to nobody
//! (or, for `permit`, to someone other than the owner) reverts with OZ's
//! custom error, and every accepted signature uses up its signer's nonce, so
//! none can be replayed.

use alloc::vec::Vec;
use alloy_primitives::{keccak256, Address, B256, U256};
use alloy_sol_types::SolValue;
use dml_primitives::{IDmlToken, TOKEN_EIP712_NAME, TOKEN_EIP712_VERSION};

use super::{u, Exec, Result};
use crate::{gas, layout::token as ts, storage::address_slot, Contract, Storage};

/// Half the secp256k1 group order: a larger `s` is the malleable twin of a
/// valid signature (EIP-2), refused as OZ's `ECDSA` refuses it.
const HALF_ORDER: U256 =
    U256::from_limbs([0xdfe92f46681b20a0, 0x5d576e7357a4501d, 0xffffffffffffffff, 0x7fffffffffffffff]);

/// A signature's three parts, as `permit` and `delegateBySig` take them.
pub(super) struct Signature {
    pub(super) v: u8,
    pub(super) r: B256,
    pub(super) s: B256,
}

impl<S: Storage> Exec<'_, '_, S> {
    fn nonce_slot(owner: Address) -> U256 {
        address_slot(owner, u(ts::NONCES))
    }

    /// `nonces(owner)`.
    pub(super) fn nonce(&mut self, owner: Address) -> U256 {
        self.j.load(Contract::Token, Self::nonce_slot(owner))
    }

    /// Returns `owner`'s current nonce and moves it on.
    fn use_nonce(&mut self, owner: Address) -> U256 {
        let nonce = self.nonce(owner);
        self.j.store(Contract::Token, Self::nonce_slot(owner), nonce + u(1));
        nonce
    }

    /// The EIP-712 domain separator. (A Solidity contract keeps it in an
    /// immutable, so it is not charged as hashing.)
    pub(super) fn domain_separator(&self) -> B256 {
        let type_hash = keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
        let encoded = (
            type_hash,
            keccak256(TOKEN_EIP712_NAME),
            keccak256(TOKEN_EIP712_VERSION),
            U256::from(self.ctx.chain_id),
            self.ctx.contracts.token,
        )
            .abi_encode();
        keccak256(encoded)
    }

    /// `eip712Domain()` (ERC-5267): name, version, chain id and contract are set.
    pub(super) fn eip712_domain(&self) -> Vec<u8> {
        let domain = IDmlToken::eip712DomainReturn {
            fields: alloy_primitives::FixedBytes([0x0f]),
            name: TOKEN_EIP712_NAME.into(),
            version: TOKEN_EIP712_VERSION.into(),
            chainId: U256::from(self.ctx.chain_id),
            verifyingContract: self.ctx.contracts.token,
            salt: B256::ZERO,
            extensions: Vec::new(),
        };
        <IDmlToken::eip712DomainCall as alloy_sol_types::SolCall>::abi_encode_returns(&domain)
    }

    /// Who signed the EIP-712 message whose struct encoding is `encoded`.
    fn recover_signer(&mut self, encoded: &[u8], signature: &Signature) -> Result<Address> {
        let struct_hash = self.hash(encoded);
        let mut message = [0u8; 66];
        message[..2].copy_from_slice(b"\x19\x01");
        message[2..34].copy_from_slice(self.domain_separator().as_slice());
        message[34..].copy_from_slice(struct_hash.as_slice());
        let digest = self.hash(&message);
        if U256::from_be_bytes(signature.s.0) > HALF_ORDER {
            return Err(self.custom(IDmlToken::ECDSAInvalidSignatureS { s: signature.s }));
        }
        self.j.charge(gas::ECRECOVER);
        match self.j.ecrecover(digest, signature.v, signature.r, signature.s) {
            Some(signer) if !signer.is_zero() => Ok(signer),
            _ => Err(self.custom(IDmlToken::ECDSAInvalidSignature {})),
        }
    }

    /// `permit`: `owner` approves `spender` for `value` by signature.
    pub(super) fn permit(
        &mut self,
        owner: Address,
        spender: Address,
        value: U256,
        deadline: U256,
        signature: &Signature,
    ) -> Result<()> {
        if u(self.ctx.timestamp) > deadline {
            return Err(self.custom(IDmlToken::ERC2612ExpiredSignature { deadline }));
        }
        let type_hash = keccak256("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)");
        let nonce = self.use_nonce(owner);
        let encoded = (type_hash, owner, spender, value, nonce, deadline).abi_encode();
        let signer = self.recover_signer(&encoded, signature)?;
        if signer != owner {
            return Err(self.custom(IDmlToken::ERC2612InvalidSigner { signer, owner }));
        }
        self.approve(owner, spender, value)
    }

    /// `delegateBySig`: the signer of a `Delegation` delegates to `delegatee`.
    pub(super) fn delegate_by_sig(
        &mut self,
        delegatee: Address,
        nonce: U256,
        expiry: U256,
        signature: &Signature,
    ) -> Result<()> {
        if u(self.ctx.timestamp) > expiry {
            return Err(self.custom(IDmlToken::VotesExpiredSignature { expiry }));
        }
        let type_hash = keccak256("Delegation(address delegatee,uint256 nonce,uint256 expiry)");
        let encoded = (type_hash, delegatee, nonce, expiry).abi_encode();
        let signer = self.recover_signer(&encoded, signature)?;
        let current = self.use_nonce(signer);
        if nonce != current {
            return Err(self.custom(IDmlToken::InvalidAccountNonce { account: signer, currentNonce: current }));
        }
        self.delegate(signer, delegatee)
    }
}
