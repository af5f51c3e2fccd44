//! The contracts that request inference match their bindings and fit on chain:
//! every function, event and error declared with `sol!` exists in the
//! artifact's JSON ABI with the same selector or topic (computed from the
//! JSON, independently of `sol!`), the same return types and the same indexed
//! parameters; everything the compiled contracts expose is declared; and each
//! deployed bytecode is within EIP-170, built with the pinned settings.

use std::collections::BTreeSet;

use alloy_json_abi::JsonAbi;
use alloy_sol_types::{SolCall, SolError, SolEvent, SolType, TopicList};
use dml_governance::{
    competition_creation_code, image_nft_creation_code, task_chain_creation_code, test_task_receiver_creation_code,
    IDmlCompetition as C, IDmlImageNFT as N, IDmlTaskChain as T, ITestTaskReceiver as R, RequesterContract,
    MAX_DEPLOYED_CODE_BYTES,
};

fn abi(contract: RequesterContract) -> JsonAbi {
    serde_json::from_value(contract.artifact().abi.clone()).expect("artifact ABI parses")
}

/// The declared call has a function in `abi` with its selector, signature and return types.
fn check_call<Call: SolCall>(abi: &JsonAbi) {
    let function = abi
        .functions()
        .find(|function| function.selector() == Call::SELECTOR)
        .unwrap_or_else(|| panic!("{} is declared but not in the compiled ABI", Call::SIGNATURE));
    let declared = format!("{}{}", Call::SIGNATURE, <Call::ReturnTuple<'_> as SolType>::SOL_NAME);
    assert_eq!(function.signature_with_outputs(), declared);
}

/// The declared event has an event in `abi` with its topic and indexed parameters.
fn check_event<Event: SolEvent>(abi: &JsonAbi) {
    let event = abi
        .events()
        .find(|event| event.selector() == Event::SIGNATURE_HASH)
        .unwrap_or_else(|| panic!("{} is declared but not in the compiled ABI", Event::SIGNATURE));
    assert_eq!(event.signature(), Event::SIGNATURE);
    assert!(!event.anonymous && !Event::ANONYMOUS);
    let indexed = event.inputs.iter().filter(|input| input.indexed).count();
    assert_eq!(<Event::TopicList as TopicList>::COUNT, 1 + indexed, "indexed parameters of {}", Event::SIGNATURE);
}

/// The declared error has an error in `abi` with its selector.
fn check_error<Error: SolError>(abi: &JsonAbi) {
    let error = abi
        .errors()
        .find(|error| error.selector() == Error::SELECTOR)
        .unwrap_or_else(|| panic!("{} is declared but not in the compiled ABI", Error::SIGNATURE));
    assert_eq!(error.signature(), Error::SIGNATURE);
}

macro_rules! check_all {
    ($check:ident, $abi:expr, $($item:ty),+ $(,)?) => {{
        let abi = $abi;
        let mut count = 0usize;
        $( $check::<$item>(abi); count += 1; )+
        count
    }};
}

fn set(signatures: &[&str]) -> BTreeSet<String> {
    signatures.iter().map(|signature| signature.to_string()).collect()
}

/// What one binding declares, by signature and selector.
struct Declared {
    name: &'static str,
    functions: &'static [&'static str],
    function_selectors: &'static [[u8; 4]],
    events: &'static [&'static str],
    errors: &'static [&'static str],
    error_selectors: &'static [[u8; 4]],
}

macro_rules! declared {
    ($name:literal, $calls:ty, $events:ty, $errors:ty) => {
        Declared {
            name: $name,
            functions: <$calls>::SIGNATURES,
            function_selectors: <$calls>::SELECTORS,
            events: <$events>::SIGNATURES,
            errors: <$errors>::SIGNATURES,
            error_selectors: <$errors>::SELECTORS,
        }
    };
}

/// Everything compiled is declared (functions, events and errors), and the
/// compiled selectors are the declared ones.
fn check_complete(abi: &JsonAbi, declared: Declared) {
    let name = declared.name;
    let functions: BTreeSet<String> = abi.functions().map(|function| function.signature()).collect();
    assert_eq!(set(declared.functions), functions, "functions of {name}");
    let events: BTreeSet<String> = abi.events().map(|event| event.signature()).collect();
    assert_eq!(set(declared.events), events, "events of {name}");
    let errors: BTreeSet<String> = abi.errors().map(|error| error.signature()).collect();
    assert_eq!(set(declared.errors), errors, "errors of {name}");
    for function in abi.functions() {
        assert!(declared.function_selectors.contains(&function.selector().0), "{}", function.signature());
    }
    for error in abi.errors() {
        assert!(declared.error_selectors.contains(&error.selector().0), "{}", error.signature());
    }
}

#[test]
fn image_nft_binding_matches_the_artifact() {
    let abi = &abi(RequesterContract::ImageNft);
    let calls = check_all!(
        check_call,
        abi,
        N::mintCall,
        N::resubmitCall,
        N::retryCall,
        N::onTaskSolvedCall,
        N::MAX_PROMPT_BYTESCall,
        N::engineCall,
        N::tokenCall,
        N::modelCall,
        N::taskFeeCall,
        N::callbackFeeCall,
        N::callbackGasLimitCall,
        N::gatewayBaseCall,
        N::totalMintedCall,
        N::isOwnTaskCall,
        N::tokenTaskCall,
        N::tokenOfTaskCall,
        N::solutionCidCall,
        N::promptCall,
        N::isFulfilledCall,
        N::tokenMetadataCall,
        N::tokenURICall,
        N::supportsInterfaceCall,
        N::nameCall,
        N::symbolCall,
        N::balanceOfCall,
        N::ownerOfCall,
        N::getApprovedCall,
        N::isApprovedForAllCall,
        N::approveCall,
        N::setApprovalForAllCall,
        N::transferFromCall,
        N::safeTransferFrom_0Call,
        N::safeTransferFrom_1Call,
    );
    assert_eq!(calls, N::IDmlImageNFTCalls::SELECTORS.len(), "every declared function is checked");
    let events = check_all!(
        check_event,
        abi,
        N::MintRequested,
        N::MintFulfilled,
        N::MintResubmitted,
        N::MetadataUpdate,
        N::BatchMetadataUpdate,
        N::Transfer,
        N::Approval,
        N::ApprovalForAll,
    );
    assert_eq!(events, N::IDmlImageNFTEvents::SELECTORS.len());
    let errors = check_all!(
        check_error,
        abi,
        N::InvalidPromptLength,
        N::PromptNotUtf8,
        N::InvalidCallbackGasLimit,
        N::AlreadyFulfilled,
        N::TaskNotCancelled,
        N::NotEngine,
        N::UnknownTask,
        N::ZeroEngine,
        N::SafeERC20FailedOperation,
        N::StringsInsufficientHexLength,
        N::ERC721InvalidOwner,
        N::ERC721NonexistentToken,
        N::ERC721IncorrectOwner,
        N::ERC721InvalidSender,
        N::ERC721InvalidReceiver,
        N::ERC721InsufficientApproval,
        N::ERC721InvalidApprover,
        N::ERC721InvalidOperator,
    );
    assert_eq!(errors, N::IDmlImageNFTErrors::SELECTORS.len());
    check_complete(abi, declared!("DmlImageNFT", N::IDmlImageNFTCalls, N::IDmlImageNFTEvents, N::IDmlImageNFTErrors));
    assert_eq!(N::safeTransferFrom_0Call::SIGNATURE, "safeTransferFrom(address,address,uint256)");
    assert_eq!(N::safeTransferFrom_1Call::SIGNATURE, "safeTransferFrom(address,address,uint256,bytes)");
}

#[test]
fn competition_binding_matches_the_artifact() {
    let abi = &abi(RequesterContract::Competition);
    let calls = check_all!(
        check_call,
        abi,
        C::createCall,
        C::enterCall,
        C::pickWinnerCall,
        C::reclaimCall,
        C::engineCall,
        C::tokenCall,
        C::competitionCountCall,
        C::competitionCall,
        C::entriesCall,
        C::isEntryCall,
    );
    assert_eq!(calls, C::IDmlCompetitionCalls::SELECTORS.len());
    let events = check_all!(check_event, abi, C::CompetitionCreated, C::Entered, C::WinnerPicked, C::PrizeReclaimed);
    assert_eq!(events, C::IDmlCompetitionEvents::SELECTORS.len());
    let errors = check_all!(
        check_error,
        abi,
        C::ZeroEngine,
        C::UnknownCompetition,
        C::DeadlineNotInFuture,
        C::EntriesClosed,
        C::UnknownTask,
        C::WrongModel,
        C::NotTaskOwner,
        C::AlreadyEntered,
        C::NotCreator,
        C::JudgingClosed,
        C::NotAnEntry,
        C::SolutionNotFinal,
        C::AlreadySettled,
        C::DeadlineNotPassed,
        C::SafeERC20FailedOperation,
    );
    assert_eq!(errors, C::IDmlCompetitionErrors::SELECTORS.len());
    check_complete(
        abi,
        declared!("DmlCompetition", C::IDmlCompetitionCalls, C::IDmlCompetitionEvents, C::IDmlCompetitionErrors),
    );
}

#[test]
fn task_chain_binding_matches_the_artifact() {
    let abi = &abi(RequesterContract::TaskChain);
    let calls = check_all!(
        check_call,
        abi,
        T::startCall,
        T::advanceCall,
        T::resubmitCall,
        T::stopCall,
        T::retryCall,
        T::onTaskSolvedCall,
        T::MAX_PROMPT_BYTESCall,
        T::MAX_GENERATED_LENGTHCall,
        T::MAX_MARKER_BYTESCall,
        T::FINISHED_MAX_STEPSCall,
        T::FINISHED_MARKERCall,
        T::FINISHED_STOPPEDCall,
        T::FINISHED_UNUSABLE_OUTPUTCall,
        T::engineCall,
        T::tokenCall,
        T::taskFeeCall,
        T::callbackFeeCall,
        T::callbackGasLimitCall,
        T::stepCostCall,
        T::chainCountCall,
        T::isOwnTaskCall,
        T::chainCall,
        T::finishReasonCall,
        T::depositOfCall,
        T::currentPromptCall,
        T::currentInputCall,
        T::chainTasksCall,
        T::stepOfTaskCall,
        T::solutionOfCall,
    );
    assert_eq!(calls, T::IDmlTaskChainCalls::SELECTORS.len());
    let events = check_all!(
        check_event,
        abi,
        T::ChainStarted,
        T::StepSubmitted,
        T::StepSolved,
        T::StepResubmitted,
        T::ChainFinished,
        T::DepositRefunded,
    );
    assert_eq!(events, T::IDmlTaskChainEvents::SELECTORS.len());
    let errors = check_all!(
        check_error,
        abi,
        T::InvalidPromptLength,
        T::PromptNotUtf8,
        T::InvalidMaxSteps,
        T::InvalidMaxLength,
        T::MarkerTooLong,
        T::MarkerInPrompt,
        T::InvalidCallbackGasLimit,
        T::UnknownChain,
        T::ChainAlreadyFinished,
        T::StepNotSolved,
        T::OutputMismatch,
        T::TaskNotCancelled,
        T::NotStarter,
        T::StepPending,
        T::NotEngine,
        T::UnknownTask,
        T::ZeroEngine,
        T::SafeERC20FailedOperation,
    );
    assert_eq!(errors, T::IDmlTaskChainErrors::SELECTORS.len());
    check_complete(
        abi,
        declared!("DmlTaskChain", T::IDmlTaskChainCalls, T::IDmlTaskChainEvents, T::IDmlTaskChainErrors),
    );
}

#[test]
fn test_task_receiver_binding_matches_the_artifact() {
    let abi = &abi(RequesterContract::TestTaskReceiver);
    let calls = check_all!(
        check_call,
        abi,
        R::MODE_RECORDCall,
        R::MODE_REVERTCall,
        R::MODE_BURN_GASCall,
        R::MODE_REENTER_ENGINECall,
        R::MODE_REENTER_TOKENCall,
        R::engineCall,
        R::modeCall,
        R::countCall,
        R::lastTaskCall,
        R::lastCidCall,
        R::lastGasLeftCall,
        R::setModeCall,
        R::onTaskSolvedCall,
        R::submitWithCallbackCall,
        R::retryCall,
    );
    assert_eq!(calls, R::ITestTaskReceiverCalls::SELECTORS.len());
    let events = check_all!(check_event, abi, R::Received, R::Submitted);
    assert_eq!(events, R::ITestTaskReceiverEvents::SELECTORS.len());
    let errors = check_all!(check_error, abi, R::Refused, R::NotEngine, R::UnknownMode);
    assert_eq!(errors, R::ITestTaskReceiverErrors::SELECTORS.len());
    check_complete(
        abi,
        declared!(
            "TestTaskReceiver",
            R::ITestTaskReceiverCalls,
            R::ITestTaskReceiverEvents,
            R::ITestTaskReceiverErrors
        ),
    );
}

#[test]
fn the_callback_is_the_engines_receiver_interface() {
    // What the engine calls (dml-primitives' `IDmlTaskReceiver`) is what every receiver implements.
    let engine_side = dml_primitives::IDmlTaskReceiver::onTaskSolvedCall::SELECTOR;
    assert_eq!(N::onTaskSolvedCall::SELECTOR, engine_side);
    assert_eq!(T::onTaskSolvedCall::SELECTOR, engine_side);
    assert_eq!(R::onTaskSolvedCall::SELECTOR, engine_side);
    assert_eq!(N::onTaskSolvedCall::SIGNATURE, "onTaskSolved(bytes32,bytes)");
}

#[test]
fn every_deployed_bytecode_fits_eip_170() {
    for contract in RequesterContract::ALL {
        let artifact = contract.artifact();
        let size = artifact.deployed_bytecode.len();
        assert!(size > 0, "{} has no runtime code", contract.name());
        assert!(
            size <= MAX_DEPLOYED_CODE_BYTES,
            "{} is {size} bytes deployed, over EIP-170's {MAX_DEPLOYED_CODE_BYTES}",
            contract.name()
        );
    }
}

#[test]
fn artifacts_record_the_pinned_compiler_and_settings() {
    for contract in RequesterContract::ALL {
        let artifact = contract.artifact();
        assert_eq!(artifact.contract_name, contract.name());
        assert!(artifact.source_name.starts_with("contracts/"), "{}", artifact.source_name);
        assert!(artifact.compiler.version.starts_with("0.8.30+commit."), "{}", artifact.compiler.version);
        assert_eq!(artifact.settings["evmVersion"], "cancun");
        assert_eq!(artifact.settings["optimizer"]["enabled"], true);
        assert_eq!(artifact.settings["optimizer"]["runs"], 200);
        assert_eq!(artifact.settings["viaIR"], false);
        let runtime = &artifact.deployed_bytecode[..];
        assert!(artifact.bytecode.windows(runtime.len()).any(|window| window == runtime), "{}", contract.name());
    }
    assert_eq!(image_nft_creation_code(), &RequesterContract::ImageNft.artifact().bytecode[..]);
    assert_eq!(competition_creation_code(), &RequesterContract::Competition.artifact().bytecode[..]);
    assert_eq!(task_chain_creation_code(), &RequesterContract::TaskChain.artifact().bytecode[..]);
    assert_eq!(test_task_receiver_creation_code(), &RequesterContract::TestTaskReceiver.artifact().bytecode[..]);
}
