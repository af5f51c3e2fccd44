//! The calls a proposal makes, in both directions: from the command line to
//! calldata (`dml gov propose`) and from calldata back to a signature and
//! arguments a person can check (`dml gov show`).
//!
//! On the command line an action is a group of flags that starts with
//! `--target`; the `--call`, `--args`, `--value` and `--calldata` that follow
//! belong to that target until the next `--target`. clap sees four repeated
//! flags; [`ActionSpecs`] regroups them by their positions on the command
//! line, so no flag is matched to the wrong action. Signatures are parsed
//! and arguments coerced with `alloy-dyn-abi`, so any Solidity type works.
//!
//! Decoding names a selector only when it is a function of the engine, the
//! token, the timelock or the governor (their `sol!` interfaces); anything
//! else is shown as raw calldata.

use alloy_dyn_abi::{DynSolType, DynSolValue, JsonAbiExt, Specifier};
use alloy_json_abi::Function;
use alloy_primitives::{hex, Address, Bytes, U256};
use anyhow::{anyhow, bail, Context};
use clap::{Arg, ArgAction, ArgMatches, Args, Command, FromArgMatches};
use dml_governance::{IGovernor, ITimelockController};
use dml_primitives::{IDmlToken, IEngine};

use crate::client::parse_amount;

// ---------------------------------------------------------------------------
// The contracts a proposal may name
// ---------------------------------------------------------------------------

/// A contract `dml gov` knows by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KnownContract {
    /// The engine (`IEngine`).
    Engine,
    /// The DML token (`IDmlToken`).
    Token,
    /// The timelock that executes proposals and owns the engine (`ITimelockController`).
    Timelock,
    /// The governor (`IGovernor`).
    Governor,
}

impl KnownContract {
    /// Every known contract, in the order names are tried.
    pub const ALL: [KnownContract; 4] = [Self::Engine, Self::Token, Self::Timelock, Self::Governor];

    /// The name a target may be given by.
    pub fn name(self) -> &'static str {
        match self {
            Self::Engine => "engine",
            Self::Token => "token",
            Self::Timelock => "timelock",
            Self::Governor => "governor",
        }
    }

    /// The signature of this contract's function with `selector`, if it has one.
    fn signature_by_selector(self, selector: [u8; 4]) -> Option<&'static str> {
        match self {
            Self::Engine => IEngine::IEngineCalls::signature_by_selector(selector),
            Self::Token => IDmlToken::IDmlTokenCalls::signature_by_selector(selector),
            Self::Timelock => ITimelockController::ITimelockControllerCalls::signature_by_selector(selector),
            Self::Governor => IGovernor::IGovernorCalls::signature_by_selector(selector),
        }
    }
}

/// The addresses of the known contracts on the connected chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownContracts {
    /// The engine.
    pub engine: Address,
    /// The DML token.
    pub token: Address,
    /// The timelock (read from `governor.timelock()`).
    pub timelock: Address,
    /// The governor.
    pub governor: Address,
}

impl KnownContracts {
    /// The address of `contract`.
    pub fn address_of(&self, contract: KnownContract) -> Address {
        match contract {
            KnownContract::Engine => self.engine,
            KnownContract::Token => self.token,
            KnownContract::Timelock => self.timelock,
            KnownContract::Governor => self.governor,
        }
    }

    /// Which known contract lives at `address`, if any.
    pub fn at(&self, address: Address) -> Option<KnownContract> {
        KnownContract::ALL.into_iter().find(|contract| self.address_of(*contract) == address)
    }

    /// An address, or one of the names `engine`, `token`, `timelock`, `governor`.
    pub fn resolve(&self, name_or_address: &str) -> anyhow::Result<Address> {
        let text = name_or_address.trim();
        if let Some(contract) = KnownContract::ALL.into_iter().find(|c| c.name().eq_ignore_ascii_case(text)) {
            return Ok(self.address_of(contract));
        }
        text.parse::<Address>().map_err(|_| {
            anyhow!("`{name_or_address}` is neither an address (0x and 40 hex digits) nor engine, token, timelock or governor")
        })
    }
}

// ---------------------------------------------------------------------------
// Actions as typed on the command line
// ---------------------------------------------------------------------------

/// One action as given on the command line, before names are resolved and
/// arguments encoded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActionSpec {
    /// `--target`: an address or a known contract's name.
    pub target: String,
    /// `--call`: a Solidity function signature.
    pub call: Option<String>,
    /// `--args`: the call's arguments, comma-separated.
    pub args: Option<String>,
    /// `--value`: ETH sent with the call, in base units.
    pub value: U256,
    /// `--calldata`: raw calldata, instead of `--call`/`--args`.
    pub calldata: Option<String>,
}

/// The actions of `dml gov propose`, in command-line order (see the module docs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActionSpecs(pub Vec<ActionSpec>);

/// The flags of an action, by clap id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ActionFlag {
    Target,
    Call,
    Args,
    Value,
    Calldata,
}

impl ActionFlag {
    const ALL: [ActionFlag; 5] = [Self::Target, Self::Call, Self::Args, Self::Value, Self::Calldata];

    fn id(self) -> &'static str {
        match self {
            Self::Target => "target",
            Self::Call => "call",
            Self::Args => "args",
            Self::Value => "value",
            Self::Calldata => "calldata",
        }
    }

    fn arg(self) -> Arg {
        let arg = Arg::new(self.id()).long(self.id()).action(ArgAction::Append).help_heading("Actions");
        match self {
            Self::Target => arg.required(true).value_name("ADDRESS|NAME").help(
                "Start an action calling this contract: an address, or engine, token, timelock or governor. \
                 Repeat for each action; the flags below belong to the --target before them",
            ),
            Self::Call => arg
                .value_name("SIGNATURE")
                .help("The function the action calls, as a Solidity signature: 'setSolutionFeePercentage(uint256)'"),
            Self::Args => arg.value_name("ARGS").allow_hyphen_values(true).help(
                "The call's arguments in the signature's order, separated by commas: integers in decimal or 0x hex \
                 (a unit may follow: 1.5ether = 1.5e18), addresses (or engine, token, timelock, governor), bytes \
                 as 0x hex, bool as true/false, arrays as [a,b], tuples as (a,b), strings in double quotes when they \
                 hold a comma",
            ),
            Self::Value => arg
                .value_name("ETH")
                .allow_negative_numbers(true)
                .help("ETH the timelock sends with the call, as an exact decimal like 0.5 [default: 0]"),
            Self::Calldata => arg.value_name("HEX").help(
                "Raw calldata (0x hex) for the action, instead of --call and --args; with neither, the action only \
                 sends its --value",
            ),
        }
    }

    fn flag(self) -> String {
        format!("--{}", self.id())
    }
}

impl Args for ActionSpecs {
    fn augment_args(command: Command) -> Command {
        ActionFlag::ALL.into_iter().fold(command, |command, flag| command.arg(flag.arg()))
    }

    fn augment_args_for_update(command: Command) -> Command {
        Self::augment_args(command)
    }
}

impl FromArgMatches for ActionSpecs {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let mut given = Vec::new();
        for flag in ActionFlag::ALL {
            let (Some(indices), Some(values)) = (matches.indices_of(flag.id()), matches.get_many::<String>(flag.id()))
            else {
                continue;
            };
            given.extend(indices.zip(values).map(|(index, value)| (index, flag, value.clone())));
        }
        given.sort_by_key(|(index, _, _)| *index);
        let flags = given.into_iter().map(|(_, flag, value)| (flag, value));
        group_actions(flags)
            .map(ActionSpecs)
            .map_err(|message| clap::Error::raw(clap::error::ErrorKind::ArgumentConflict, format!("{message}\n")))
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

/// Groups action flags, in command-line order, into actions: each `--target`
/// opens one, and every other flag belongs to the last one opened.
fn group_actions(flags: impl IntoIterator<Item = (ActionFlag, String)>) -> Result<Vec<ActionSpec>, String> {
    let mut actions: Vec<ActionSpec> = Vec::new();
    // Which flags the current action has been given, to refuse a repeat.
    let mut seen: Vec<ActionFlag> = Vec::new();
    for (flag, value) in flags {
        if flag == ActionFlag::Target {
            actions.push(ActionSpec { target: value, ..ActionSpec::default() });
            seen = vec![ActionFlag::Target];
            continue;
        }
        let number = actions.len();
        let Some(action) = actions.last_mut() else {
            return Err(format!(
                "{} `{value}` comes before any --target: each action starts with --target",
                flag.flag()
            ));
        };
        if seen.contains(&flag) {
            return Err(format!("action {number} (--target {}) has {} twice", action.target, flag.flag()));
        }
        seen.push(flag);
        match flag {
            ActionFlag::Target => unreachable!("handled above"),
            ActionFlag::Call => action.call = Some(value),
            ActionFlag::Args => action.args = Some(value),
            ActionFlag::Calldata => action.calldata = Some(value),
            ActionFlag::Value => {
                action.value = parse_amount(&value)
                    .map_err(|error| format!("--value of action {number} (--target {}): {error}", action.target))?;
            }
        }
    }
    for (index, action) in actions.iter().enumerate() {
        let number = index + 1;
        if action.calldata.is_some() && (action.call.is_some() || action.args.is_some()) {
            return Err(format!(
                "action {number} (--target {}) has --calldata and --call/--args: give one or the other",
                action.target
            ));
        }
        if action.args.is_some() && action.call.is_none() {
            return Err(format!("action {number} (--target {}) has --args but no --call", action.target));
        }
    }
    Ok(actions)
}

// ---------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------

/// A proposal's call, ready for `propose`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    /// The contract called.
    pub target: Address,
    /// ETH sent with the call, in wei.
    pub value: U256,
    /// The calldata.
    pub calldata: Bytes,
}

/// Resolves the targets and encodes the calls of `specs`.
pub fn build_actions(specs: &[ActionSpec], known: &KnownContracts) -> anyhow::Result<Vec<Action>> {
    specs
        .iter()
        .enumerate()
        .map(|(index, spec)| {
            let what = || format!("action {} (--target {})", index + 1, spec.target);
            let target = known.resolve(&spec.target).with_context(what)?;
            let calldata = match (&spec.call, &spec.calldata) {
                (Some(signature), _) => encode_call(signature, spec.args.as_deref(), known).with_context(what)?,
                (None, Some(raw)) => hex::decode(raw.trim())
                    .map_err(|error| anyhow!("--calldata `{raw}` is not hex: {error}"))
                    .with_context(what)?,
                (None, None) => Vec::new(),
            };
            Ok(Action { target, value: spec.value, calldata: Bytes::from(calldata) })
        })
        .collect()
}

/// Encodes a call of `signature` with the comma-separated `args`: the
/// selector followed by the ABI-encoded arguments.
pub fn encode_call(signature: &str, args: Option<&str>, known: &KnownContracts) -> anyhow::Result<Vec<u8>> {
    let function = Function::parse(signature.trim()).map_err(|error| {
        let reason = parser_reason(&error.to_string()).to_owned();
        anyhow!("`{signature}` is not a function signature like `transfer(address,uint256)`: {reason}")
    })?;
    let canonical = function.signature();
    let types: Vec<DynSolType> = function
        .inputs
        .iter()
        .map(|param| param.resolve())
        .collect::<Result<_, _>>()
        .map_err(|error| anyhow!("`{signature}` has a parameter type that is not a Solidity type: {error}"))?;
    let texts = match args {
        Some(text) => split_arguments(text)?,
        None => Vec::new(),
    };
    if texts.len() != types.len() {
        bail!(
            "{canonical} takes {} argument{}; --args gives {}",
            types.len(),
            if types.len() == 1 { "" } else { "s" },
            texts.len()
        );
    }
    let mut values = Vec::with_capacity(types.len());
    for (index, (ty, text)) in types.iter().zip(&texts).enumerate() {
        let value = match (ty, known.resolve(text)) {
            // A contract's name stands for its address.
            (DynSolType::Address, Ok(address)) => DynSolValue::Address(address),
            _ => ty.coerce_str(text).map_err(|error| {
                anyhow!(
                    "argument {} of {canonical} (`{text}`) is not a valid {}: {}",
                    index + 1,
                    ty.sol_type_name(),
                    parser_reason(&error.to_string())
                )
            })?,
        };
        values.push(value);
    }
    function.abi_encode_input(&values).map_err(|error| anyhow!("cannot encode {canonical}: {error}"))
}

/// Splits an argument list at the commas that are not inside brackets,
/// parentheses or double quotes. An empty list has no arguments.
fn split_arguments(text: &str) -> anyhow::Result<Vec<&str>> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let mut parts = Vec::new();
    let (mut depth, mut quoted, mut start) = (0usize, false, 0usize);
    for (index, c) in text.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '[' | '(' if !quoted => depth += 1,
            ']' | ')' if !quoted => {
                depth =
                    depth.checked_sub(1).ok_or_else(|| anyhow!("--args `{text}` closes a bracket it never opened"))?;
            }
            ',' if !quoted && depth == 0 => {
                parts.push(text[start..index].trim());
                start = index + 1;
            }
            _ => {}
        }
    }
    if quoted {
        bail!("--args `{text}` has an unclosed double quote");
    }
    if depth != 0 {
        bail!("--args `{text}` has an unclosed bracket");
    }
    parts.push(text[start..].trim());
    Ok(parts)
}

/// The reason in a parser error: its last line. alloy's parser errors repeat
/// the input with a caret under the fault before it.
fn parser_reason(text: &str) -> &str {
    text.lines().map(str::trim).rfind(|line| !line.is_empty()).unwrap_or(text)
}

// ---------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------

/// A call as `dml gov show` explains it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedCall {
    /// The function's signature, when the selector is a known contract's function.
    pub signature: Option<&'static str>,
    /// The arguments, formatted, when the signature is known and they decode.
    pub arguments: Option<Vec<String>>,
}

/// Names the function `calldata` calls and decodes its arguments. The
/// target's own interface is tried first (selectors such as `version()` exist
/// on several), then the other known contracts'.
pub fn decode_call(calldata: &[u8], target: Option<KnownContract>) -> DecodedCall {
    let Some(selector) = calldata.get(..4).and_then(|s| <[u8; 4]>::try_from(s).ok()) else {
        return DecodedCall { signature: None, arguments: None };
    };
    let order = target.into_iter().chain(KnownContract::ALL.into_iter().filter(|c| Some(*c) != target));
    let signature = order.into_iter().find_map(|contract| contract.signature_by_selector(selector));
    let arguments = signature.and_then(|signature| {
        let function = Function::parse(signature).ok()?;
        let values = function.abi_decode_input(&calldata[4..]).ok()?;
        Some(values.iter().map(format_value).collect())
    });
    DecodedCall { signature, arguments }
}

/// A decoded value as Solidity tooling prints it: integers in decimal,
/// addresses checksummed, bytes in hex, strings quoted.
pub fn format_value(value: &DynSolValue) -> String {
    let list = |values: &[DynSolValue], open: char, close: char| {
        let inner: Vec<String> = values.iter().map(format_value).collect();
        format!("{open}{}{close}", inner.join(", "))
    };
    #[allow(unreachable_patterns)] // `CustomStruct` exists only with alloy-dyn-abi's `eip712` feature
    match value {
        DynSolValue::Bool(b) => b.to_string(),
        DynSolValue::Int(i, _) => i.to_string(),
        DynSolValue::Uint(u, _) => u.to_string(),
        DynSolValue::FixedBytes(word, size) => hex::encode_prefixed(&word[..*size]),
        DynSolValue::Address(address) => address.to_checksum(None),
        DynSolValue::Function(function) => hex::encode_prefixed(function.as_slice()),
        DynSolValue::Bytes(bytes) => hex::encode_prefixed(bytes),
        DynSolValue::String(text) => format!("{text:?}"),
        DynSolValue::Array(values) | DynSolValue::FixedArray(values) => list(values, '[', ']'),
        DynSolValue::Tuple(values) => list(values, '(', ')'),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{address, b256};
    use alloy_sol_types::SolCall;
    use clap::Parser;

    const KNOWN: KnownContracts = KnownContracts {
        engine: address!("00000000000000000000000000000000000e0001"),
        token: address!("00000000000000000000000000000000000e0002"),
        timelock: address!("00000000000000000000000000000000000e0003"),
        governor: address!("00000000000000000000000000000000000e0004"),
    };

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        actions: ActionSpecs,
        #[arg(long)]
        description: Option<String>,
    }

    fn parse(args: &[&str]) -> Result<Vec<ActionSpec>, String> {
        Cli::try_parse_from(std::iter::once("propose").chain(args.iter().copied()))
            .map(|cli| cli.actions.0)
            .map_err(|error| error.to_string())
    }

    #[test]
    fn flags_belong_to_the_target_before_them() {
        let actions = parse(&[
            "--target",
            "engine",
            "--call",
            "withdrawAccruedFees()",
            "--description",
            "pay",
            "--target",
            "token",
            "--args",
            "0x00000000000000000000000000000000000000aa,5",
            "--call",
            "transfer(address,uint256)",
            "--target",
            "0x00000000000000000000000000000000000000bb",
            "--value",
            "1.5",
        ])
        .unwrap();
        assert_eq!(actions.len(), 3);
        assert_eq!(
            actions[0],
            ActionSpec { target: "engine".into(), call: Some("withdrawAccruedFees()".into()), ..ActionSpec::default() }
        );
        assert_eq!(actions[1].call.as_deref(), Some("transfer(address,uint256)"));
        assert_eq!(actions[1].args.as_deref(), Some("0x00000000000000000000000000000000000000aa,5"));
        assert_eq!(actions[1].value, U256::ZERO);
        assert_eq!(actions[2].call, None);
        assert_eq!(actions[2].value, U256::from(15u64) * U256::from(10u64).pow(U256::from(17u64)));
    }

    #[test]
    fn misplaced_or_conflicting_action_flags_are_refused() {
        let refused = |args: &[&str], expected: &str| {
            let error = parse(args).unwrap_err();
            assert!(error.contains(expected), "{args:?}: {error}");
        };
        refused(&["--call", "f()", "--target", "engine"], "--call `f()` comes before any --target");
        refused(
            &["--target", "engine", "--call", "f()", "--call", "g()"],
            "action 1 (--target engine) has --call twice",
        );
        refused(&["--target", "engine", "--args", "1"], "has --args but no --call");
        refused(&["--target", "engine", "--call", "f()", "--calldata", "0x"], "--calldata and --call/--args");
        refused(
            &["--target", "engine", "--value", "-1"],
            "--value of action 1 (--target engine): amount `-1` is negative",
        );
        refused(&["--description", "x"], "--target");
    }

    #[test]
    fn calls_encode_like_the_sol_bindings() {
        let model = b256!("1111111111111111111111111111111111111111111111111111111111111111");
        let encoded =
            encode_call("setSolutionMineableRate(bytes32,uint256)", Some(&format!("{model}, 1ether")), &KNOWN).unwrap();
        let expected =
            IEngine::setSolutionMineableRateCall { model_: model, rate_: U256::from(10u64).pow(U256::from(18u64)) };
        assert_eq!(encoded, expected.abi_encode());
        // A contract's name stands for its address; named parameters are fine.
        let transfer =
            encode_call("function transfer(address to, uint256 amount)", Some("timelock,0x10"), &KNOWN).unwrap();
        assert_eq!(transfer, IDmlToken::transferCall { to: KNOWN.timelock, amount: U256::from(16u64) }.abi_encode());
        assert_eq!(
            encode_call("withdrawAccruedFees()", None, &KNOWN).unwrap(),
            IEngine::withdrawAccruedFeesCall {}.abi_encode()
        );
        // Arrays and strings with commas stay whole.
        let batch = encode_call("f(uint256[],string,bool)", Some(r#"[1, 2, 3], "a, b", true"#), &KNOWN).unwrap();
        let function = Function::parse("f(uint256[],string,bool)").unwrap();
        let decoded = function.abi_decode_input(&batch[4..]).unwrap();
        assert_eq!(decoded.iter().map(format_value).collect::<Vec<_>>(), ["[1, 2, 3]", "\"a, b\"", "true"]);
    }

    #[test]
    fn bad_signatures_and_arguments_say_what_is_wrong() {
        let error =
            |signature: &str, args: Option<&str>| format!("{:#}", encode_call(signature, args, &KNOWN).unwrap_err());
        assert_eq!(
            error("setFee", None),
            "`setFee` is not a function signature like `transfer(address,uint256)`: expected `(`"
        );
        assert_eq!(
            error("f(uint7)", Some("1")),
            "`f(uint7)` has a parameter type that is not a Solidity type: invalid size for type: uint7"
        );
        assert_eq!(
            error("setSolutionFeePercentage(uint256)", Some("1,2")),
            "setSolutionFeePercentage(uint256) takes 1 argument; --args gives 2"
        );
        assert_eq!(
            error("withdrawAccruedFees()", Some("1")),
            "withdrawAccruedFees() takes 0 arguments; --args gives 1"
        );
        assert_eq!(
            error("setSolutionFeePercentage(uint256)", Some("lots")),
            "argument 1 of setSolutionFeePercentage(uint256) (`lots`) is not a valid uint256: expected at least one digit"
        );
        assert_eq!(
            error("transfer(address,uint256)", Some("0x1234,1")),
            "argument 1 of transfer(address,uint256) (`0x1234`) is not a valid address: invalid string length"
        );
        assert_eq!(
            error("f(uint8)", Some("256")),
            "argument 1 of f(uint8) (`256`) is not a valid uint8: number too large to fit in target type"
        );
        assert!(error("f(string)", Some("\"open")).contains("unclosed double quote"));
        assert!(error("f(uint256[])", Some("[1,2")).contains("unclosed bracket"));
        assert!(error("f(uint256[])", Some("1]")).contains("closes a bracket it never opened"));
    }

    #[test]
    fn targets_resolve_by_name_or_address() {
        let specs = vec![
            ActionSpec {
                target: "Engine".into(),
                call: Some("setPaused(bool)".into()),
                args: Some("false".into()),
                ..ActionSpec::default()
            },
            ActionSpec {
                target: "0x00000000000000000000000000000000000000bb".into(),
                calldata: Some("0xdeadbeef".into()),
                ..ActionSpec::default()
            },
        ];
        let actions = build_actions(&specs, &KNOWN).unwrap();
        assert_eq!(actions[0].target, KNOWN.engine);
        assert_eq!(actions[0].calldata.as_ref(), IEngine::setPausedCall { paused_: false }.abi_encode().as_slice());
        assert_eq!(actions[1].target, address!("00000000000000000000000000000000000000bb"));
        assert_eq!(actions[1].calldata.as_ref(), [0xde, 0xad, 0xbe, 0xef]);
        let unknown = ActionSpec { target: "treasury".into(), ..ActionSpec::default() };
        let error = format!("{:#}", build_actions(&[unknown], &KNOWN).unwrap_err());
        assert!(error.contains("action 1 (--target treasury)") && error.contains("neither an address"), "{error}");
        assert_eq!(KNOWN.at(KNOWN.timelock), Some(KnownContract::Timelock));
        assert_eq!(KNOWN.at(Address::ZERO), None);
    }

    #[test]
    fn known_selectors_decode_and_others_stay_raw() {
        let call = IEngine::setSolutionFeePercentageCall { amount_: U256::from(5u64) }.abi_encode();
        let decoded = decode_call(&call, Some(KnownContract::Engine));
        assert_eq!(decoded.signature, Some("setSolutionFeePercentage(uint256)"));
        assert_eq!(decoded.arguments, Some(vec!["5".to_string()]));
        let transfer = IDmlToken::transferCall { to: KNOWN.engine, amount: U256::from(7u64) }.abi_encode();
        let decoded = decode_call(&transfer, None);
        assert_eq!(decoded.signature, Some("transfer(address,uint256)"));
        assert_eq!(decoded.arguments, Some(vec![KNOWN.engine.to_checksum(None), "7".to_string()]));
        let delay = ITimelockController::updateDelayCall { newDelay: U256::from(60u64) }.abi_encode();
        assert_eq!(decode_call(&delay, Some(KnownContract::Engine)).signature, Some("updateDelay(uint256)"));
        assert_eq!(decode_call(&[0xde, 0xad, 0xbe, 0xef], None), DecodedCall { signature: None, arguments: None });
        assert_eq!(decode_call(&[], None), DecodedCall { signature: None, arguments: None });
        // A known selector with arguments that do not decode keeps its name.
        let truncated = &call[..10];
        assert_eq!(decode_call(truncated, None).arguments, None);
    }
}
