//! The reflections commands (being built).

use crate::engine::{Engine, Incoming, Outgoing};

use super::CommandError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReflectionCommand {}

impl ReflectionCommand {
    /// The command named `name` (a canonical name from `commands/`), if it is one of these.
    pub fn parse(_name: &str, _args: &str) -> Option<ReflectionCommand> {
        None
    }

    pub fn name(&self) -> &'static str {
        match *self {}
    }

    pub async fn apply(
        &self,
        _engine: &Engine,
        _incoming: &Incoming,
    ) -> Result<Vec<Outgoing>, CommandError> {
        match *self {}
    }
}
