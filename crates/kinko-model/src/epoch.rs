//! Time as AWS's JSON protocols send it.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A point in time on the JSON wire: seconds since the Unix epoch, a number
/// with the milliseconds as its fraction (`1530018761.888`). Held as
/// milliseconds, which is what the store keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Epoch(pub i64);

impl Epoch {
    /// Milliseconds since the Unix epoch.
    pub fn millis(self) -> i64 {
        self.0
    }
}

impl Serialize for Epoch {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // i64 milliseconds fit an f64 exactly for any real date, and the
        // shortest round-trip form prints e.g. 1530018761.888.
        s.serialize_f64(self.0 as f64 / 1000.0)
    }
}

impl<'de> Deserialize<'de> for Epoch {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let seconds = f64::deserialize(d)?;
        if !seconds.is_finite() {
            return Err(serde::de::Error::custom("a time must be a finite number"));
        }
        // Rounding undoes the division above exactly.
        Ok(Epoch((seconds * 1000.0).round() as i64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_with_milliseconds_round_trip() {
        let text = serde_json::to_string(&Epoch(1_530_018_761_888)).unwrap();
        assert_eq!(text, "1530018761.888");
        assert_eq!(
            serde_json::from_str::<Epoch>(&text).unwrap(),
            Epoch(1_530_018_761_888)
        );
        assert_eq!(serde_json::to_string(&Epoch(0)).unwrap(), "0.0");
        assert_eq!(serde_json::from_str::<Epoch>("7").unwrap(), Epoch(7000));
        assert!(serde_json::from_str::<Epoch>("\"yesterday\"").is_err());
    }
}
