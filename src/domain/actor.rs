//! Actors: the organisations that share a territory's strategy.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

use super::error::{FieldError, bounded_text};

/// The kinds of organisation in DESIGN.md's domain model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    RegionalGovernment,
    LocalGovernment,
    NationalAgency,
    Company,
    Community,
    CivilSociety,
    Academia,
    CoordinatingBody,
}

impl ActorKind {
    pub const ALL: [ActorKind; 8] = [
        ActorKind::RegionalGovernment,
        ActorKind::LocalGovernment,
        ActorKind::NationalAgency,
        ActorKind::Company,
        ActorKind::Community,
        ActorKind::CivilSociety,
        ActorKind::Academia,
        ActorKind::CoordinatingBody,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::RegionalGovernment => "regional_government",
            ActorKind::LocalGovernment => "local_government",
            ActorKind::NationalAgency => "national_agency",
            ActorKind::Company => "company",
            ActorKind::Community => "community",
            ActorKind::CivilSociety => "civil_society",
            ActorKind::Academia => "academia",
            ActorKind::CoordinatingBody => "coordinating_body",
        }
    }

    pub fn parse(field: &str, raw: &str) -> Result<ActorKind, FieldError> {
        raw.parse().map_err(|()| {
            FieldError::new(
                field,
                "unknown_value",
                format!(
                    "unknown actor kind '{raw}'; expected one of: {}",
                    ActorKind::ALL.map(ActorKind::as_str).join(", ")
                ),
            )
        })
    }
}

impl FromStr for ActorKind {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        ActorKind::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or(())
    }
}

impl fmt::Display for ActorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An actor's display name: trimmed, 2 to 200 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct ActorName(String);

impl ActorName {
    pub const MAX_LEN: usize = 200;

    pub fn parse(field: &str, raw: &str) -> Result<ActorName, FieldError> {
        bounded_text(field, raw, 2, Self::MAX_LEN).map(ActorName)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_through_its_name() {
        for kind in ActorKind::ALL {
            assert_eq!(kind.as_str().parse::<ActorKind>(), Ok(kind));
        }
        assert_eq!(
            ActorKind::parse("kind", "mine").unwrap_err().rule,
            "unknown_value"
        );
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            ActorName::parse("name", "  GORE Moquegua ")
                .unwrap()
                .as_str(),
            "GORE Moquegua"
        );
        assert!(ActorName::parse("name", "x").is_err());
        assert!(ActorName::parse("name", &"x".repeat(201)).is_err());
    }
}
