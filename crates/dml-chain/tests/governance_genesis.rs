//! The governance a new chain starts with: OpenZeppelin's timelock and our
//! Governor, deployed by creation transactions at genesis, own the engine and
//! its treasury; nobody else holds a role; the settings are the genesis
//! configuration's; models come with their reward rates.

use alloy_primitives::{Address, Bytes, U256};
use alloy_rpc_types_eth::TransactionRequest;
use alloy_sol_types::{SolCall, SolEvent};
use dml_chain::{Chain, GenesisConfig, GenesisModel, GovernanceAddresses, GENESIS_DEPLOYER};
use dml_governance::{GovernorParams, IGovernor, ITimelockController};
use dml_primitives::{IDmlToken, IEngine, ONE_DML};

fn view<C: SolCall>(chain: &Chain, to: Address, call: C) -> C::Return {
    let request = TransactionRequest::default().to(to).input(Bytes::from(call.abi_encode()).into());
    let output = chain.call(&request, chain.head_number()).expect("the view succeeds").output;
    C::abi_decode_returns(&output).expect("return data decodes")
}

fn dev(chain: &Chain, index: usize) -> Address {
    chain.dev_signers()[index].address()
}

#[test]
fn the_timelock_owns_the_engine_and_the_treasury_and_nobody_else_holds_a_role() {
    let chain = Chain::open(&GenesisConfig::default(), None).unwrap();
    let gov = GovernanceAddresses::at_genesis();
    let engine = chain.contracts().engine;
    let token = chain.contracts().token;
    for address in [gov.governor, gov.timelock] {
        assert!(!chain.state().code_at(&address).is_empty(), "{address} has code");
    }
    assert_eq!(view(&chain, engine, IEngine::ownerCall {}), gov.timelock);
    assert_eq!(view(&chain, engine, IEngine::treasuryCall {}), gov.timelock);
    assert_eq!(view(&chain, engine, IEngine::pauserCall {}), dev(&chain, 0), "dev account 0 is the guardian");

    let proposer = view(&chain, gov.timelock, ITimelockController::PROPOSER_ROLECall {});
    let canceller = view(&chain, gov.timelock, ITimelockController::CANCELLER_ROLECall {});
    let executor = view(&chain, gov.timelock, ITimelockController::EXECUTOR_ROLECall {});
    let admin = view(&chain, gov.timelock, ITimelockController::DEFAULT_ADMIN_ROLECall {});
    let has = |role, account| view(&chain, gov.timelock, ITimelockController::hasRoleCall { role, account });
    assert!(has(proposer, gov.governor) && has(canceller, gov.governor));
    assert!(has(executor, Address::ZERO), "anyone may execute a passed, queued proposal");
    assert!(has(admin, gov.timelock), "the timelock administers itself");
    for account in [GENESIS_DEPLOYER, dev(&chain, 0), dev(&chain, 1)] {
        for role in [proposer, canceller, executor, admin] {
            assert!(!has(role, account), "{account} holds a timelock role");
        }
    }
    assert!(!has(admin, gov.governor), "the governor cannot grant roles by itself");

    let defaults = GovernorParams::default();
    assert_eq!(view(&chain, gov.timelock, ITimelockController::getMinDelayCall {}), U256::from(172_800));
    assert_eq!(view(&chain, gov.governor, IGovernor::nameCall {}), "DML Governor");
    assert_eq!(view(&chain, gov.governor, IGovernor::tokenCall {}), token);
    assert_eq!(view(&chain, gov.governor, IGovernor::timelockCall {}), gov.timelock);
    assert_eq!(view(&chain, gov.governor, IGovernor::votingDelayCall {}), U256::from(86_400));
    assert_eq!(view(&chain, gov.governor, IGovernor::votingPeriodCall {}), U256::from(604_800));
    assert_eq!(view(&chain, gov.governor, IGovernor::proposalThresholdCall {}), defaults.proposal_threshold);
    assert_eq!(view(&chain, gov.governor, IGovernor::quorumNumerator_0Call {}), U256::from(4));
    assert_eq!(view(&chain, gov.governor, IGovernor::CLOCK_MODECall {}), "mode=timestamp");
    let clock = view(&chain, gov.governor, IGovernor::clockCall {});
    assert_eq!(clock, view(&chain, token, IDmlToken::clockCall {}), "the governor counts in the token's seconds");
}

#[test]
fn genesis_settings_and_models_come_from_the_configuration() {
    let mut config = GenesisConfig::default();
    config.governance.voting_delay = 5;
    config.governance.voting_period = 30;
    config.governance.timelock_delay = 15;
    config.governance.proposal_threshold = ONE_DML * U256::from(100);
    config.models.push(GenesisModel {
        addr: None,
        fee: U256::ZERO,
        rate: ONE_DML,
        template: r#"{"name":"a genesis model"}"#.into(),
    });
    let chain = Chain::open(&config, None).unwrap();
    let gov = GovernanceAddresses::at_genesis();
    assert_eq!(view(&chain, gov.governor, IGovernor::votingDelayCall {}), U256::from(5));
    assert_eq!(view(&chain, gov.governor, IGovernor::votingPeriodCall {}), U256::from(30));
    assert_eq!(view(&chain, gov.timelock, ITimelockController::getMinDelayCall {}), U256::from(15));
    let engine = chain.contracts().engine;
    let author = dev(&chain, 0);
    let cid = view(
        &chain,
        engine,
        IEngine::generateIPFSCIDCall { content_: config.models[0].template.clone().into_bytes().into() },
    );
    let model = dml_primitives::Model { fee: U256::ZERO, addr: author, rate: U256::ZERO, cid };
    let id = view(&chain, engine, IEngine::hashModelCall { o_: model, sender_: author });
    assert_eq!(view(&chain, engine, IEngine::modelsCall { model: id }).rate, ONE_DML);
    // Its registration event is block 0's, where event scanners find it.
    let genesis = chain.block(0).unwrap();
    let registered =
        genesis.genesis_logs.iter().find(|log| log.topics()[0] == IEngine::ModelRegistered::SIGNATURE_HASH);
    assert_eq!(registered.map(|log| log.topics()[1]), Some(id));
    assert!(genesis.header.logs_bloom.contains_input(alloy_primitives::BloomInput::Raw(engine.as_slice())));

    // Settings the Governor could not hold are refused before anything runs.
    config.governance.voting_period = 0;
    let error = Chain::open(&config, None).err().expect("refused").to_string();
    assert!(error.contains("governance"), "{error}");
}
