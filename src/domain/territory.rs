//! Territories as INEI ubigeo codes: `18` department (Moquegua), `1801` province (Mariscal
//! Nieto), `180101` district (Moquegua). A district rolls up to its province and department.

use std::fmt;

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

/// A valid ubigeo code: 2, 4 or 6 digits, no level coded `00`.
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
        Ok(Ubigeo(code.to_string()))
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
    fn malformed_codes_are_refused() {
        for bad in ["", "1", "123", "18010a", "1801011", "00", "1800", "180100"] {
            let e = Ubigeo::parse("territory", bad).unwrap_err();
            assert_eq!((e.field.as_str(), e.rule), ("territory", "ubigeo"), "{bad}");
        }
    }
}
