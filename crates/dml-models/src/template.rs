//! Model templates and input hydration.
//!
//! A template is the JSON document whose CID (`ipfs add` CIDv0 of its exact
//! bytes) `registerModel` stores. Its fields:
//!
//! ```json
//! {
//!   "name": "textgenrnn", "version": 1, "description": "…",
//!   "runner": {"type": "builtin", "model": "textgenrnn"},
//!   "input": {"type": "object", "additionalProperties": false, "required": [],
//!             "properties": {"temperature": {"type": "number", "default": 0.5, "minimum": 0, "maximum": 2}}},
//!   "output": {"type": "text", "media_type": "text/plain; charset=utf-8"},
//!   "example": {"temperature": 0.7}
//! }
//! ```
//!
//! `runner` is a built-in model (`{"type": "builtin", "model": NAME}`) or a Cog
//! container pinned by digest (`{"type": "cog", "image": "registry/name@sha256:…"}`).
//! `input` is a JSON Schema (validated with the `jsonschema` crate) restricted to
//! an object of named fields of type `string`, `integer`, `number` or `boolean`,
//! with `default`, `minimum`/`maximum`, `enum`, `minLength`/`maxLength` and so on.
//! `seed` is never a field: hydration injects the task's seed under that name.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::builtin::BUILTIN_MODEL_NAMES;

/// Largest task input the engine accepts, in bytes.
pub const MAX_INPUT_BYTES: usize = 64 * 1024;
/// Seeds are `uint256(taskid) % SEED_MODULUS`, so every seed is below it (≈ 2^53).
pub const SEED_MODULUS: u64 = 0x1F_FFFF_FFFF_FFF0;
/// The input name under which the task seed is passed to a runner.
pub const SEED_FIELD: &str = "seed";

/// How a model is run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum Runner {
    /// A built-in deterministic model of this crate.
    Builtin {
        /// One of [`BUILTIN_MODEL_NAMES`].
        model: String,
    },
    /// A container that speaks the Cog HTTP API, pinned by digest.
    Cog {
        /// Image reference with digest, e.g. `r8.im/owner/model@sha256:<64 hex>`.
        image: String,
    },
}

/// What the output bytes are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputKind {
    /// UTF-8 text: the output is a string (or a list of strings, concatenated).
    Text,
    /// A JSON value, encoded by [`crate::canonical::canonical_json`].
    Json,
    /// One file: its bytes.
    File,
}

/// The template's `output` field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputSpec {
    /// How the output is encoded to bytes.
    #[serde(rename = "type")]
    pub kind: OutputKind,
    /// The media type of those bytes, for gateways and clients.
    pub media_type: String,
}

/// A model template.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelTemplate {
    /// Model name.
    pub name: String,
    /// Template version (a new version is a new template and a new CID).
    pub version: u32,
    /// Free-form description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// How the model is run.
    pub runner: Runner,
    /// JSON Schema of the input object.
    pub input: Value,
    /// Output type.
    pub output: OutputSpec,
    /// An input that passes the schema (without `seed`).
    pub example: Map<String, Value>,
}

/// A template that is not well formed.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// Not JSON, or missing/unknown/mistyped top-level fields.
    #[error("template is not valid JSON of the template format: {0}")]
    Format(String),
    /// The `input` schema is outside the supported subset.
    #[error("template input schema: {0}")]
    Schema(String),
    /// The runner is not usable.
    #[error("template runner: {0}")]
    Runner(String),
    /// The example input does not pass the schema.
    #[error("template example does not pass its own schema: {0}")]
    Example(InputError),
}

/// Why a task input cannot be run: the message a solver reports.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum InputError {
    /// Larger than the engine's input limit.
    #[error("input is {size} bytes, more than the {MAX_INPUT_BYTES}-byte limit")]
    TooLarge {
        /// Input size in bytes.
        size: usize,
    },
    /// Not parseable as JSON.
    #[error("input is not JSON: {0}")]
    NotJson(String),
    /// JSON, but not an object.
    #[error("input must be a JSON object, got {0}")]
    NotAnObject(String),
    /// The input sets `seed`, which only the task may set.
    #[error("input must not contain `seed`: the seed comes from the task id")]
    SeedInInput,
    /// A field the schema does not define.
    #[error("unknown input field `{field}` (the model takes: {known})")]
    UnknownField {
        /// The offending field.
        field: String,
        /// The fields the schema defines, comma-separated.
        known: String,
    },
    /// Schema violations (type, range, enum, required, …), one message each.
    #[error("input does not match the model's schema: {}", .0.join("; "))]
    Invalid(Vec<String>),
    /// The seed is not below [`SEED_MODULUS`].
    #[error("seed {0} is not below {SEED_MODULUS}")]
    SeedOutOfRange(u64),
}

/// The field schemas of a template's input.
fn properties(schema: &Value) -> Option<&Map<String, Value>> {
    schema.get("properties").and_then(Value::as_object)
}

impl ModelTemplate {
    /// Parses and checks a template: format, schema subset, runner, defaults and example.
    pub fn from_json(bytes: &[u8]) -> Result<Self, TemplateError> {
        let template: ModelTemplate =
            serde_json::from_slice(bytes).map_err(|e| TemplateError::Format(e.to_string()))?;
        template.check()?;
        Ok(template)
    }

    fn check(&self) -> Result<(), TemplateError> {
        if self.name.trim().is_empty() {
            return Err(TemplateError::Format("`name` is empty".into()));
        }
        match &self.runner {
            Runner::Builtin { model } => {
                if !BUILTIN_MODEL_NAMES.contains(&model.as_str()) {
                    return Err(TemplateError::Runner(format!(
                        "unknown built-in model `{model}` (known: {})",
                        BUILTIN_MODEL_NAMES.join(", ")
                    )));
                }
            }
            Runner::Cog { image } => check_image_reference(image)?,
        }
        let schema_error = |m: String| TemplateError::Schema(m);
        if self.input.get("type").and_then(Value::as_str) != Some("object") {
            return Err(schema_error("`input.type` must be \"object\"".into()));
        }
        if self.input.get("additionalProperties") != Some(&Value::Bool(false)) {
            return Err(schema_error("`input.additionalProperties` must be false".into()));
        }
        let fields =
            properties(&self.input).ok_or_else(|| schema_error("`input.properties` must be an object".into()))?;
        for (name, field) in fields {
            if name == SEED_FIELD {
                return Err(schema_error("`seed` is injected from the task; do not declare it".into()));
            }
            let kind = field.get("type").and_then(Value::as_str);
            if !matches!(kind, Some("string" | "integer" | "number" | "boolean")) {
                return Err(schema_error(format!("field `{name}` must have type string, integer, number or boolean")));
            }
        }
        if let Some(required) = self.input.get("required") {
            let names = required.as_array().ok_or_else(|| schema_error("`input.required` must be an array".into()))?;
            for required_name in names {
                let known = required_name.as_str().is_some_and(|n| fields.contains_key(n));
                if !known {
                    return Err(schema_error(format!("required field {required_name} is not a property")));
                }
            }
        }
        jsonschema::validator_for(&self.input).map_err(|e| schema_error(format!("not a valid JSON Schema: {e}")))?;
        for (name, field) in fields {
            if let Some(default) = field.get("default") {
                let single = Value::Object(Map::from_iter([(name.clone(), default.clone())]));
                let field_only = jsonschema::validator_for(&serde_json::json!({
                    "type": "object",
                    "properties": { name.clone(): field.clone() }
                }))
                .map_err(|e| schema_error(e.to_string()))?;
                let first_error = field_only.iter_errors(&single).next().map(|e| e.to_string());
                if let Some(error) = first_error {
                    return Err(schema_error(format!("default of `{name}` is invalid: {error}")));
                }
            }
        }
        self.hydrate_value(Value::Object(self.example.clone()), 0).map_err(TemplateError::Example)?;
        Ok(())
    }

    /// The exact input the runner gets for a task: `input_json` (the task's
    /// input bytes) plus the schema's defaults, validated, with `seed` injected.
    pub fn hydrate(&self, input_json: &[u8], seed: u64) -> Result<Map<String, Value>, InputError> {
        if input_json.len() > MAX_INPUT_BYTES {
            return Err(InputError::TooLarge { size: input_json.len() });
        }
        let value: Value = serde_json::from_slice(input_json).map_err(|e| InputError::NotJson(e.to_string()))?;
        self.hydrate_value(value, seed)
    }

    /// [`hydrate`](Self::hydrate) for an already-parsed input value.
    pub fn hydrate_value(&self, input: Value, seed: u64) -> Result<Map<String, Value>, InputError> {
        let mut input = match input {
            Value::Object(map) => map,
            other => return Err(InputError::NotAnObject(json_kind(&other).into())),
        };
        if seed >= SEED_MODULUS {
            return Err(InputError::SeedOutOfRange(seed));
        }
        if input.contains_key(SEED_FIELD) {
            return Err(InputError::SeedInInput);
        }
        let empty = Map::new();
        let fields = properties(&self.input).unwrap_or(&empty);
        let mut unknown: Vec<&String> = input.keys().filter(|k| !fields.contains_key(*k)).collect();
        unknown.sort();
        if let Some(field) = unknown.first() {
            let mut known: Vec<&str> = fields.keys().map(String::as_str).collect();
            known.sort_unstable();
            return Err(InputError::UnknownField { field: (*field).clone(), known: known.join(", ") });
        }
        for (name, field) in fields {
            if let (false, Some(default)) = (input.contains_key(name), field.get("default")) {
                input.insert(name.clone(), default.clone());
            }
        }
        let validator = jsonschema::validator_for(&self.input)
            .map_err(|e| InputError::Invalid(vec![format!("template schema is invalid: {e}")]))?;
        let instance = Value::Object(input);
        let errors: Vec<String> = validator
            .iter_errors(&instance)
            .map(|e| {
                let path = e.instance_path().to_string();
                if path.is_empty() {
                    e.to_string()
                } else {
                    format!("{path}: {e}")
                }
            })
            .collect();
        if !errors.is_empty() {
            return Err(InputError::Invalid(errors));
        }
        let Value::Object(mut input) = instance else { unreachable!("built as an object above") };
        // JSON Schema counts 2.0 as an integer; runners get it as 2.
        for (name, field) in fields {
            if field.get("type").and_then(Value::as_str) == Some("integer") {
                if let Some(Value::Number(n)) = input.get(name) {
                    if n.as_i64().is_none() && n.as_u64().is_none() {
                        if let Some(f) = n.as_f64() {
                            input.insert(name.clone(), Value::from(f as i64));
                        }
                    }
                }
            }
        }
        input.insert(SEED_FIELD.into(), Value::from(seed));
        Ok(input)
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn check_image_reference(image: &str) -> Result<(), TemplateError> {
    let Some((name, digest)) = image.split_once("@sha256:") else {
        return Err(TemplateError::Runner(format!(
            "cog image `{image}` must be pinned by digest (NAME@sha256:<64 hex digits>)"
        )));
    };
    let hex_ok = digest.len() == 64 && digest.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if name.is_empty() || !hex_ok {
        return Err(TemplateError::Runner(format!(
            "cog image `{image}` must be NAME@sha256:<64 lowercase hex digits>"
        )));
    }
    Ok(())
}

/// A template shipped with this crate, with its exact bytes.
#[derive(Clone, Debug)]
pub struct BuiltinTemplate {
    /// The parsed template.
    pub template: ModelTemplate,
    /// The exact bytes whose CID is registered.
    pub bytes: &'static [u8],
}

impl BuiltinTemplate {
    /// The template's CID: what `ipfs add` prints for its bytes (CIDv0, `Qm…`).
    pub fn cid(&self) -> String {
        template_cid(self.bytes)
    }
}

/// CIDv0 of template bytes, as `ipfs add` prints it.
pub fn template_cid(bytes: &[u8]) -> String {
    dml_content::cid_v0(bytes).to_string()
}

const BUILTIN_TEMPLATE_FILES: [&[u8]; 3] = [
    include_bytes!("templates/all-MiniLM-L6-v2.json"),
    include_bytes!("templates/textgenrnn.json"),
    include_bytes!("templates/fashion-diffusion.json"),
];

/// The templates of the built-in models, in [`BUILTIN_MODEL_NAMES`] order.
pub fn builtin_templates() -> Vec<BuiltinTemplate> {
    BUILTIN_TEMPLATE_FILES
        .iter()
        .map(|bytes| BuiltinTemplate {
            template: ModelTemplate::from_json(bytes).expect("shipped templates are valid"),
            bytes,
        })
        .collect()
}

/// The built-in template named `name`.
pub fn builtin_template(name: &str) -> Option<BuiltinTemplate> {
    builtin_templates().into_iter().find(|t| t.template.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn textgen() -> ModelTemplate {
        builtin_template("textgenrnn").unwrap().template
    }

    #[test]
    fn builtin_templates_parse_and_have_ipfs_cids() {
        let templates = builtin_templates();
        assert_eq!(templates.len(), BUILTIN_MODEL_NAMES.len());
        for (t, name) in templates.iter().zip(BUILTIN_MODEL_NAMES) {
            assert_eq!(t.template.name, name);
            assert_eq!(t.template.runner, Runner::Builtin { model: name.into() });
            let cid = t.cid();
            assert!(cid.starts_with("Qm") && cid.len() == 46, "{cid}");
            assert_eq!(cid, template_cid(t.bytes));
        }
    }

    #[test]
    fn hydration_fills_defaults_and_injects_the_seed() {
        let input = textgen().hydrate(br#"{"prompt": "Hi"}"#, 1234).unwrap();
        assert_eq!(Value::Object(input), json!({"prompt": "Hi", "temperature": 0.5, "max_length": 100, "seed": 1234}));
        // 80.0 is an integer to JSON Schema; the runner gets 80.
        let input = textgen().hydrate(br#"{"max_length": 80.0}"#, 0).unwrap();
        assert_eq!(input["max_length"], json!(80));
        assert!(input["max_length"].is_u64());
        let input = textgen().hydrate(b"{}", SEED_MODULUS - 1).unwrap();
        assert_eq!(input["seed"], json!(SEED_MODULUS - 1));
    }

    #[test]
    fn inputs_outside_the_schema_are_clear_errors() {
        let t = textgen();
        let err = |bytes: &[u8]| t.hydrate(bytes, 1).unwrap_err();
        assert!(matches!(err(b"not json"), InputError::NotJson(_)));
        assert_eq!(err(b"[1]"), InputError::NotAnObject("an array".into()));
        assert_eq!(err(br#"{"seed": 5}"#), InputError::SeedInInput);
        assert_eq!(
            err(br#"{"promt": "typo"}"#),
            InputError::UnknownField { field: "promt".into(), known: "max_length, prompt, temperature".into() }
        );
        let message = |bytes: &[u8]| match err(bytes) {
            InputError::Invalid(errors) => errors.join("; "),
            other => panic!("expected Invalid, got {other}"),
        };
        assert!(message(br#"{"temperature": 3}"#).contains("/temperature"));
        assert!(message(br#"{"temperature": 3}"#).contains("maximum"));
        assert!(message(br#"{"max_length": 0}"#).contains("/max_length"));
        assert!(message(br#"{"max_length": 1.5}"#).contains("integer"));
        assert!(message(br#"{"prompt": 5}"#).contains("string"));
        let too_long = format!(r#"{{"prompt": "{}"}}"#, "a".repeat(2000));
        assert!(message(too_long.as_bytes()).contains("/prompt"));
        let huge = format!(r#"{{"prompt": "{}"}}"#, "a".repeat(MAX_INPUT_BYTES));
        assert!(matches!(err(huge.as_bytes()), InputError::TooLarge { .. }));
        assert_eq!(t.hydrate(b"{}", SEED_MODULUS).unwrap_err(), InputError::SeedOutOfRange(SEED_MODULUS));

        let embed = builtin_template("all-MiniLM-L6-v2").unwrap().template;
        let missing = embed.hydrate(b"{}", 1).unwrap_err();
        assert!(missing.to_string().contains("text"), "{missing}");
    }

    #[test]
    fn enums_are_enforced() {
        let template = ModelTemplate::from_json(
            json!({
                "name": "enum-test", "version": 1,
                "runner": {"type": "cog", "image": format!("r8.im/a/b@sha256:{}", "0".repeat(64))},
                "input": {"type": "object", "additionalProperties": false,
                          "properties": {"style": {"type": "string", "enum": ["a", "b"], "default": "a"}}},
                "output": {"type": "file", "media_type": "image/png"},
                "example": {}
            })
            .to_string()
            .as_bytes(),
        )
        .unwrap();
        assert_eq!(template.hydrate(b"{}", 3).unwrap()["style"], json!("a"));
        assert!(template.hydrate(br#"{"style": "c"}"#, 3).is_err());
    }

    #[test]
    fn malformed_templates_are_rejected_with_the_reason() {
        let base = || -> Value { serde_json::from_slice(builtin_template("textgenrnn").unwrap().bytes).unwrap() };
        let parse = |v: Value| ModelTemplate::from_json(v.to_string().as_bytes()).unwrap_err().to_string();

        let mut t = base();
        t["runner"] = json!({"type": "cog", "image": "r8.im/owner/model:latest"});
        assert!(parse(t).contains("digest"));
        let mut t = base();
        t["runner"] = json!({"type": "builtin", "model": "gpt-9"});
        assert!(parse(t).contains("unknown built-in model"));
        let mut t = base();
        t["input"]["properties"]["seed"] = json!({"type": "integer"});
        assert!(parse(t).contains("seed"));
        let mut t = base();
        t["input"]["properties"]["temperature"]["default"] = json!(7);
        assert!(parse(t).contains("default of `temperature`"));
        let mut t = base();
        t["example"] = json!({"temperature": -1});
        assert!(parse(t).contains("example"));
        let mut t = base();
        t["input"]["additionalProperties"] = json!(true);
        assert!(parse(t).contains("additionalProperties"));
        let mut t = base();
        t["input"]["properties"]["tags"] = json!({"type": "array"});
        assert!(parse(t).contains("tags"));
        let mut t = base();
        t["surprise"] = json!(1);
        assert!(parse(t).contains("surprise"));
        assert!(ModelTemplate::from_json(b"{").is_err());
    }
}
