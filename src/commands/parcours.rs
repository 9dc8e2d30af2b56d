//! `!parcours`: with no argument, the adoption paths of the kit and their steps.

use crate::engine::{reply, Engine, Incoming, Outgoing};
use crate::kit::render_parcours_list;

use super::CommandError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParcoursCommand {
    List,
}

impl ParcoursCommand {
    pub fn parse(_args: &str) -> ParcoursCommand {
        ParcoursCommand::List
    }

    pub async fn apply(
        &self,
        engine: &Engine,
        incoming: &Incoming,
    ) -> Result<Vec<Outgoing>, CommandError> {
        match self {
            ParcoursCommand::List => Ok(vec![reply(incoming, render_parcours_list(engine.kit()))]),
        }
    }
}
