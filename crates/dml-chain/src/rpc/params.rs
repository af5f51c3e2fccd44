//! Positional JSON-RPC parameters, read into typed values with errors that
//! name the parameter.

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::RpcError;

/// The positional parameters of one call.
pub struct Params {
    values: Vec<Value>,
}

impl Params {
    /// Reads `params` (absent, `null` or an array).
    pub fn new(params: Option<&Value>) -> Result<Self, RpcError> {
        match params {
            None | Some(Value::Null) => Ok(Self { values: Vec::new() }),
            Some(Value::Array(values)) => Ok(Self { values: values.clone() }),
            Some(_) => Err(RpcError::invalid_params("params must be an array")),
        }
    }

    /// The parameter at `index`, which must be present.
    pub fn required<T: DeserializeOwned>(&self, index: usize, name: &str) -> Result<T, RpcError> {
        let value = self.values.get(index).ok_or_else(|| RpcError::invalid_params(format!("missing {name}")))?;
        serde_json::from_value(value.clone()).map_err(|error| RpcError::invalid_params(format!("{name}: {error}")))
    }

    /// The parameter at `index`, if present and not `null`.
    pub fn optional<T: DeserializeOwned>(&self, index: usize, name: &str) -> Result<Option<T>, RpcError> {
        match self.values.get(index) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => serde_json::from_value(value.clone())
                .map(Some)
                .map_err(|error| RpcError::invalid_params(format!("{name}: {error}"))),
        }
    }

    /// The raw parameter at `index`.
    pub fn raw(&self, index: usize) -> Option<&Value> {
        self.values.get(index)
    }

    /// Refuses more than `count` parameters.
    pub fn at_most(&self, count: usize) -> Result<(), RpcError> {
        if self.values.len() > count {
            return Err(RpcError::invalid_params(format!(
                "expected at most {count} params, got {}",
                self.values.len()
            )));
        }
        Ok(())
    }

    /// A number given as a JSON number or a hex/decimal string.
    pub fn quantity(&self, index: usize, name: &str) -> Result<Option<u128>, RpcError> {
        match self.values.get(index) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => parse_quantity(value, name).map(Some),
        }
    }

    /// A quantity that must be present and fit `T`.
    pub fn required_quantity<T: TryFrom<u128>>(&self, index: usize, name: &str) -> Result<T, RpcError> {
        let value = self.quantity(index, name)?.ok_or_else(|| RpcError::invalid_params(format!("missing {name}")))?;
        T::try_from(value).map_err(|_| RpcError::invalid_params(format!("{name} out of range")))
    }

    /// A quantity that may be absent and must fit `T`.
    pub fn optional_quantity<T: TryFrom<u128>>(&self, index: usize, name: &str) -> Result<Option<T>, RpcError> {
        self.quantity(index, name)?
            .map(|value| T::try_from(value).map_err(|_| RpcError::invalid_params(format!("{name} out of range"))))
            .transpose()
    }

    /// A signed number (`evm_increaseTime` takes negative ones too).
    pub fn signed_quantity(&self, index: usize, name: &str) -> Result<Option<i128>, RpcError> {
        match self.values.get(index) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(number)) => number
                .as_i64()
                .map(|n| Some(i128::from(n)))
                .ok_or_else(|| RpcError::invalid_params(format!("{name}: not an integer"))),
            Some(Value::String(text)) if text.starts_with('-') => {
                text.parse().map(Some).map_err(|_| RpcError::invalid_params(format!("{name}: not a quantity: {text}")))
            }
            Some(value) => parse_quantity(value, name).and_then(|n| {
                i128::try_from(n).map(Some).map_err(|_| RpcError::invalid_params(format!("{name} out of range")))
            }),
        }
    }
}

/// A JSON number, a `0x` hex string or a decimal string.
pub fn parse_quantity(value: &Value, name: &str) -> Result<u128, RpcError> {
    match value {
        Value::Number(number) => {
            number.as_u64().map(u128::from).ok_or_else(|| RpcError::invalid_params(format!("{name}: not an integer")))
        }
        Value::String(text) => {
            let parsed = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
                Some("") => Ok(0),
                Some(hex) => u128::from_str_radix(hex, 16),
                None => text.parse(),
            };
            parsed.map_err(|_| RpcError::invalid_params(format!("{name}: not a quantity: {text}")))
        }
        _ => Err(RpcError::invalid_params(format!("{name}: not a quantity"))),
    }
}
