//! Scripted calls to every function the token gained with votes and permits
//! (`delegate`, `delegateBySig`, `permit` and the vote, checkpoint, nonce and
//! EIP-712 views) and to the guardian's `setPaused` rule, through the wasm
//! and through the dev chain: return or revert data, logs and storage must be
//! identical, custom errors byte for byte. Signatures are made by the dev
//! accounts' `PrivateKeySigner` keys over alloy's own EIP-712 hashing
//! (`SolStruct::eip712_signing_hash`), so neither world's hashing is trusted,
//! and the wasm recovers them through the harness's `ecrecover` precompile.

use alloy_primitives::{aliases::U48, Address, B256, U256};
use alloy_sol_types::{eip712_domain, Eip712Domain, Panic, Revert, SolCall, SolError, SolEvent, SolStruct};
use dml_engine::Contract;
use dml_primitives::{Checkpoint208, Delegation, IDmlToken, IEngine, Permit};
use dml_stylus::CONTRACTS;

use crate::equivalence::{dml, topics, Script, Tools, GENESIS_TIME};

/// The order of secp256k1's group: `n - s` is the malleable twin of `s`.
const SECP256K1_ORDER: U256 =
    U256::from_limbs([0xBFD2_5E8C_D036_4141, 0xBAAE_DCE6_AF48_A03B, 0xFFFF_FFFF_FFFF_FFFE, 0xFFFF_FFFF_FFFF_FFFF]);

/// The token's EIP-712 domain, written out as a wallet would.
fn token_domain() -> Eip712Domain {
    eip712_domain! {
        name: "DML",
        version: "1",
        chain_id: 31337,
        verifying_contract: CONTRACTS.token,
    }
}

/// A signature as `permit` and `delegateBySig` take it.
#[derive(Clone, Copy, Debug)]
struct Signature {
    v: u8,
    r: B256,
    s: B256,
}

impl Signature {
    /// The same signature with `s` mirrored into the upper half of the
    /// order (and the parity flipped): valid for secp256k1, refused by EIP-2.
    fn malleable_twin(self) -> Self {
        let s = SECP256K1_ORDER - U256::from_be_bytes(self.s.0);
        Self { v: self.v ^ 1, r: self.r, s: B256::from(s) }
    }
}

impl Script {
    /// Signs `message` with dev account `account`'s key.
    fn sign(&self, account: usize, message: &impl SolStruct) -> Signature {
        let digest = message.eip712_signing_hash(&token_domain());
        let key = self.pair.chain.signers[account].credential();
        let (signature, recovery) = key.sign_prehash_recoverable(digest.as_slice()).expect("the key signs");
        let bytes = signature.to_bytes();
        Signature { v: 27 + recovery.to_byte(), r: B256::from_slice(&bytes[..32]), s: B256::from_slice(&bytes[32..]) }
    }

    fn view<C: SolCall>(&mut self, call: C) -> C::Return {
        self.ok(1, Contract::Token, call).0
    }

    fn votes(&mut self, account: usize) -> U256 {
        let account = self.address(account);
        self.view(IDmlToken::getVotesCall { account })
    }

    fn past_votes(&mut self, account: usize, timepoint: u64) -> U256 {
        let account = self.address(account);
        self.view(IDmlToken::getPastVotesCall { account, timepoint: U256::from(timepoint) })
    }

    fn delegate_by_sig(&self, delegation: &Delegation, signature: Signature) -> IDmlToken::delegateBySigCall {
        IDmlToken::delegateBySigCall {
            delegatee: delegation.delegatee,
            nonce: delegation.nonce,
            expiry: delegation.expiry,
            v: signature.v,
            r: signature.r,
            s: signature.s,
        }
    }

    fn permit(&self, permit: &Permit, signature: Signature) -> IDmlToken::permitCall {
        IDmlToken::permitCall {
            owner: permit.owner,
            spender: permit.spender,
            value: permit.value,
            deadline: permit.deadline,
            v: signature.v,
            r: signature.r,
            s: signature.s,
        }
    }
}

#[test]
#[ignore = "needs the built wasm: scripts/stylus-build.sh test"]
fn votes_permits_and_signed_delegations_match_the_dev_chain() {
    let Some(tools) = Tools::require("token votes and permits") else { return };
    let mut w = Script::start(tools);
    let token = Contract::Token;
    let allocation = dml(1_000);

    // ---- the views before anyone delegates ----
    let now = w.next_time();
    assert_eq!(w.view(IDmlToken::clockCall {}).to::<u64>(), now);
    assert_eq!(w.view(IDmlToken::CLOCK_MODECall {}), "mode=timestamp");
    assert_eq!(w.view(IDmlToken::DOMAIN_SEPARATORCall {}), token_domain().separator());
    let domain = w.view(IDmlToken::eip712DomainCall {});
    assert_eq!((domain.fields.0, domain.name.as_str(), domain.version.as_str()), ([0x0f], "DML", "1"));
    assert_eq!((domain.chainId, domain.verifyingContract), (U256::from(31337u64), CONTRACTS.token));
    assert!(domain.salt.is_zero() && domain.extensions.is_empty());
    let a1 = w.address(1);
    assert_eq!(w.view(IDmlToken::noncesCall { owner: a1 }), U256::ZERO);
    assert_eq!(w.view(IDmlToken::delegatesCall { account: a1 }), Address::ZERO);
    assert_eq!(w.votes(1), U256::ZERO, "a balance counts for nobody until it is delegated");
    assert_eq!(w.view(IDmlToken::numCheckpointsCall { account: a1 }), 0);
    w.reverts(1, token, IDmlToken::checkpointsCall { account: a1, pos: 0 }, Panic { code: U256::from(0x32) });
    let supply = w.view(IDmlToken::totalSupplyCall {});
    let at = |t: u64| U256::from(t);
    assert_eq!(w.view(IDmlToken::getPastTotalSupplyCall { timepoint: at(GENESIS_TIME) }), supply);
    assert_eq!(w.view(IDmlToken::getPastTotalSupplyCall { timepoint: at(GENESIS_TIME - 1) }), U256::ZERO);
    // A look-up at the current clock or later is refused, as ERC-5805 requires.
    let clock = w.next_time();
    let future = IDmlToken::ERC5805FutureLookup { timepoint: at(clock), clock: U48::from(clock) };
    w.reverts(1, token, IDmlToken::getPastVotesCall { account: a1, timepoint: at(clock) }, future);
    let clock = w.next_time();
    let future = IDmlToken::ERC5805FutureLookup { timepoint: U256::MAX, clock: U48::from(clock) };
    w.reverts(1, token, IDmlToken::getPastTotalSupplyCall { timepoint: U256::MAX }, future);

    // ---- delegation, and transfers moving votes between delegates ----
    let (_, result) = w.ok(1, token, IDmlToken::delegateCall { delegatee: a1 });
    let delegated_at = w.pair.time;
    assert_eq!(
        topics(&result),
        [IDmlToken::DelegateChanged::SIGNATURE_HASH, IDmlToken::DelegateVotesChanged::SIGNATURE_HASH]
    );
    assert_eq!(w.votes(1), allocation);
    let a3 = w.address(3);
    w.ok(2, token, IDmlToken::delegateCall { delegatee: a3 });
    let a2 = w.address(2);
    assert_eq!(w.view(IDmlToken::delegatesCall { account: a2 }), a3);
    let (_, result) = w.ok(1, token, IDmlToken::transferCall { to: a2, amount: dml(10) });
    assert_eq!(result.logs.len(), 3, "the Transfer, then each side's DelegateVotesChanged");
    assert_eq!((w.votes(1), w.votes(3), w.votes(2)), (dml(990), dml(1_010), U256::ZERO));

    // ---- delegateBySig: account 4 signs, account 6 relays ----
    let (a4, a5) = (w.address(4), w.address(5));
    let delegation = Delegation { delegatee: a5, nonce: U256::ZERO, expiry: at(w.next_time() + 600) };
    let signature = w.sign(4, &delegation);
    let (_, result) = w.ok(6, token, w.delegate_by_sig(&delegation, signature));
    let changed =
        IDmlToken::DelegateChanged::decode_raw_log(result.logs[0].topics.iter().copied(), &result.logs[0].data)
            .expect("DelegateChanged");
    assert_eq!((changed.delegator, changed.fromDelegate, changed.toDelegate), (a4, Address::ZERO, a5));
    assert_eq!((w.votes(5), w.view(IDmlToken::noncesCall { owner: a4 })), (allocation, U256::from(1u8)));
    // The same signature again: its nonce is used up.
    let replay = IDmlToken::InvalidAccountNonce { account: a4, currentNonce: U256::from(1u8) };
    w.reverts(6, token, w.delegate_by_sig(&delegation, signature), replay);
    // A nonce ahead of the account's.
    let ahead = Delegation { delegatee: a1, nonce: U256::from(5u8), expiry: at(w.next_time() + 600) };
    let replay = IDmlToken::InvalidAccountNonce { account: a4, currentNonce: U256::from(1u8) };
    w.reverts(6, token, w.delegate_by_sig(&ahead, w.sign(4, &ahead)), replay);
    // Past its expiry (the expiry second itself is still valid).
    let expired = Delegation { delegatee: a1, nonce: U256::from(1u8), expiry: at(w.pair.time) };
    let error = IDmlToken::VotesExpiredSignature { expiry: expired.expiry };
    w.reverts(6, token, w.delegate_by_sig(&expired, w.sign(4, &expired)), error);
    let next = Delegation { delegatee: a1, nonce: U256::from(1u8), expiry: at(w.next_time() + 600) };
    let signature = w.sign(4, &next);
    let twin = signature.malleable_twin();
    w.reverts(6, token, w.delegate_by_sig(&next, twin), IDmlToken::ECDSAInvalidSignatureS { s: twin.s });
    // The precompile recovers nobody from a bad `v` or a zero `r`.
    let bad_v = Signature { v: 29, ..signature };
    w.reverts(6, token, w.delegate_by_sig(&next, bad_v), IDmlToken::ECDSAInvalidSignature {});
    let zero_r = Signature { r: B256::ZERO, ..signature };
    w.reverts(6, token, w.delegate_by_sig(&next, zero_r), IDmlToken::ECDSAInvalidSignature {});
    // Nothing was used up by the refusals: the signature with nonce 1 works.
    w.ok(7, token, w.delegate_by_sig(&next, signature));
    assert_eq!((w.votes(5), w.votes(1)), (U256::ZERO, dml(990) + allocation));
    assert_eq!(w.view(IDmlToken::delegatesCall { account: a4 }), a1);

    // ---- permit: account 7 signs an allowance for account 8 ----
    let (a7, a8) = (w.address(7), w.address(8));
    let permit =
        Permit { owner: a7, spender: a8, value: dml(25), nonce: U256::ZERO, deadline: at(w.next_time() + 600) };
    let signature = w.sign(7, &permit);
    let (_, result) = w.ok(8, token, w.permit(&permit, signature));
    assert_eq!(topics(&result), [IDmlToken::Approval::SIGNATURE_HASH]);
    assert_eq!(w.view(IDmlToken::allowanceCall { owner: a7, spender: a8 }), dml(25));
    assert_eq!(w.view(IDmlToken::noncesCall { owner: a7 }), U256::from(1u8));
    w.ok(8, token, IDmlToken::transferFromCall { from: a7, to: a8, amount: dml(20) });
    // A replay is checked against the next nonce, so it recovers a stranger.
    let result = w.call(8, token, &w.permit(&permit, signature));
    let error = IDmlToken::ERC2612InvalidSigner::abi_decode(&result.output).expect("ERC2612InvalidSigner");
    assert!(!result.ok && error.owner == a7 && error.signer != a7, "{error:?}");
    let late = Permit { nonce: U256::from(1u8), deadline: at(w.pair.time), ..permit.clone() };
    let error = IDmlToken::ERC2612ExpiredSignature { deadline: late.deadline };
    w.reverts(8, token, w.permit(&late, w.sign(7, &late)), error);
    // Signed by the spender instead of the owner.
    let next = Permit { nonce: U256::from(1u8), deadline: at(w.next_time() + 600), ..permit.clone() };
    let forged = IDmlToken::ERC2612InvalidSigner { signer: a8, owner: a7 };
    w.reverts(8, token, w.permit(&next, w.sign(8, &next)), forged);
    let twin = w.sign(7, &next).malleable_twin();
    w.reverts(8, token, w.permit(&next, twin), IDmlToken::ECDSAInvalidSignatureS { s: twin.s });
    let bad_v = Signature { v: 26, ..w.sign(7, &next) };
    w.reverts(8, token, w.permit(&next, bad_v), IDmlToken::ECDSAInvalidSignature {});
    let to_nobody = Permit { spender: Address::ZERO, ..next.clone() };
    let refused = Revert::from("ERC20: approve to the zero address");
    w.reverts(8, token, w.permit(&to_nobody, w.sign(7, &to_nobody)), refused);
    assert_eq!(w.view(IDmlToken::noncesCall { owner: a7 }), U256::from(1u8), "refusals use no nonce");
    w.ok(6, token, w.permit(&next, w.sign(7, &next)));
    assert_eq!(w.view(IDmlToken::allowanceCall { owner: a7, spender: a8 }), dml(25));

    // ---- checkpoints over time ----
    // Account 1's votes changed when it delegated, sent 10 DML and was
    // delegated account 4's votes; four more transfers, seconds apart.
    let mut changes = Vec::new();
    for step in 1..=4u64 {
        let transfer = IDmlToken::transferCall { to: a8, amount: dml(step) };
        w.send(1, token, &transfer.abi_encode(), 20 + step, "transfer");
        let time = w.pair.time;
        changes.push((time, w.votes(1)));
    }
    let count = w.view(IDmlToken::numCheckpointsCall { account: a1 });
    assert_eq!(count, 7, "one checkpoint per second in which account 1's votes changed");
    let mut previous_key = 0;
    for pos in 0..count {
        let checkpoint: Checkpoint208 = w.view(IDmlToken::checkpointsCall { account: a1, pos });
        let key = checkpoint._key.to::<u64>();
        assert!(key > previous_key && key >= delegated_at, "checkpoints are in time order");
        previous_key = key;
        if pos == count - 1 {
            assert_eq!(U256::from(checkpoint._value), changes[3].1);
        }
    }
    w.reverts(1, token, IDmlToken::checkpointsCall { account: a1, pos: count }, Panic { code: U256::from(0x32) });
    assert_eq!(w.past_votes(1, delegated_at - 1), U256::ZERO, "before delegating");
    assert_eq!(w.past_votes(1, delegated_at), allocation);
    for pair in changes.windows(2) {
        let ((_, before), (time, after)) = (pair[0], pair[1]);
        assert_eq!(w.past_votes(1, time - 1), before);
        assert_eq!(w.past_votes(1, time), after);
    }
    let clock = w.next_time();
    let future = IDmlToken::ERC5805FutureLookup { timepoint: at(clock), clock: U48::from(clock) };
    w.reverts(1, token, IDmlToken::getPastVotesCall { account: a1, timepoint: at(clock) }, future);
    let before = w.pair.time;
    assert_eq!(w.view(IDmlToken::getPastTotalSupplyCall { timepoint: at(before) }), supply);

    // ---- the pause guardian pauses; only the owner unpauses ----
    let engine = Contract::Engine;
    let a9 = w.address(9);
    w.ok(0, engine, IEngine::transferPauserCall { to_: a9 });
    w.reverts(8, engine, IEngine::setPausedCall { paused_: true }, Revert::from("not pauser"));
    let (_, result) = w.ok(9, engine, IEngine::setPausedCall { paused_: true });
    assert_eq!(topics(&result), [IEngine::PausedChanged::SIGNATURE_HASH]);
    assert!(w.ok(1, engine, IEngine::pausedCall {}).0);
    let unpause = IEngine::setPausedCall { paused_: false };
    w.reverts(9, engine, unpause.clone(), Revert::from("only the owner may unpause"));
    // While paused, the token's own functions go on as on the dev chain.
    w.call(2, token, &IDmlToken::delegateCall { delegatee: a2 });
    w.call(2, token, &IDmlToken::transferCall { to: a3, amount: dml(1) });
    w.ok(0, engine, unpause.clone());
    w.ok(0, engine, IEngine::setPausedCall { paused_: true });
    w.reverts(9, engine, unpause.clone(), Revert::from("only the owner may unpause"));
    w.ok(0, engine, unpause);
    assert!(!w.ok(1, engine, IEngine::pausedCall {}).0);

    w.pair.assert_same_storage("after the scripted votes and permits");
}
