//! The committed bytecode is deployable: within EIP-170, built with the
//! settings the README records, and hex that parses (an unlinked library
//! reference would not). (That it is
//! what the pinned compiler makes of the sources is `build-contracts.sh
//! --check`'s job, run by CI.)

use dml_governance::{
    governor_creation_code, ref_votes_token_creation_code, timelock_creation_code, GovernanceContract,
    MAX_DEPLOYED_CODE_BYTES,
};

#[test]
fn every_deployed_bytecode_fits_eip_170() {
    for contract in GovernanceContract::ALL {
        let artifact = contract.artifact();
        let size = artifact.deployed_bytecode.len();
        assert!(size > 0, "{} has no runtime code", contract.name());
        assert!(
            size <= MAX_DEPLOYED_CODE_BYTES,
            "{} is {size} bytes deployed, over EIP-170's {MAX_DEPLOYED_CODE_BYTES}",
            contract.name()
        );
    }
    assert_eq!(MAX_DEPLOYED_CODE_BYTES, 0x6000);
}

#[test]
fn artifacts_record_the_pinned_compiler_and_settings() {
    for contract in GovernanceContract::ALL {
        let artifact = contract.artifact();
        assert_eq!(artifact.contract_name, contract.name());
        assert!(artifact.compiler.version.starts_with("0.8.30+commit."), "{}", artifact.compiler.version);
        assert_eq!(artifact.settings["evmVersion"], "cancun");
        assert_eq!(artifact.settings["optimizer"]["enabled"], true);
        assert_eq!(artifact.settings["optimizer"]["runs"], 200);
        assert_eq!(artifact.settings["viaIR"], false);
        // The creation code carries the runtime code (immutables still zero) to return it.
        let runtime = &artifact.deployed_bytecode[..];
        assert!(artifact.bytecode.windows(runtime.len()).any(|window| window == runtime), "{}", contract.name());
    }
    assert_eq!(
        GovernanceContract::Timelock.artifact().source_name,
        "@openzeppelin/contracts/governance/TimelockController.sol"
    );
}

#[test]
fn creation_code_accessors_return_the_artifacts() {
    assert_eq!(governor_creation_code(), &GovernanceContract::Governor.artifact().bytecode[..]);
    assert_eq!(timelock_creation_code(), &GovernanceContract::Timelock.artifact().bytecode[..]);
    assert_eq!(ref_votes_token_creation_code(), &GovernanceContract::RefVotesToken.artifact().bytecode[..]);
}
