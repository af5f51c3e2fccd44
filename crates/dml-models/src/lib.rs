//! Models for DML: templates, input hydration, and the runners that turn a
//! task's input into output bytes.
//!
//! * [`template`] — the model template (the JSON whose CID `registerModel`
//!   stores): name, version, runner, input schema (JSON Schema), output type and
//!   an example; hydration turns a task's input plus defaults plus the task seed
//!   into the exact input a runner gets, and rejects anything outside the schema.
//! * [`cog`] — a client for the Cog HTTP prediction API with timeouts, retries
//!   and a canonical byte encoding of outputs.
//! * [`builtin`] — deterministic pure-Rust models (`all-MiniLM-L6-v2`
//!   embeddings, `textgenrnn` text generation) whose output bytes are the same on
//!   every machine and thread count.
//!
//! This crate does not talk to a chain or store content; the solver does that.
//!
//! ```no_run
//! use dml_models::{builtin::{default_weights_dir, BuiltinModel}, template::builtin_templates};
//! let template = &builtin_templates()[1];
//! let input = template.template.hydrate(br#"{"prompt": "Hello"}"#, 42).unwrap();
//! let model = BuiltinModel::load("textgenrnn", &default_weights_dir(), 2).unwrap();
//! let bytes = model.run(&input).unwrap();
//! println!("{}", String::from_utf8_lossy(&bytes));
//! ```

pub mod builtin;
pub mod canonical;
pub mod cog;
pub mod template;
