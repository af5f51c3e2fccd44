//! The `debug_` namespace and the calls that trace execution.

use serde_json::Value;

use super::{Params, RpcError};
use crate::shared::Shared;

/// The methods of the `debug_` namespace.
#[derive(Clone, Debug, PartialEq)]
pub enum DebugRequest {}

impl DebugRequest {
    /// Parses a method of this namespace; `None` if it is not one.
    pub fn parse(_method: &str, _p: &Params) -> Result<Option<Self>, RpcError> {
        Ok(None)
    }
}

/// Serves one `debug_` method.
pub fn serve(_shared: &Shared, request: DebugRequest) -> Result<Value, RpcError> {
    match request {}
}
