//! The small enums of the Parameter Store: type, tier, data type.

use super::error::SsmError;

/// Lives in `kinko-model` so the store's records use it too.
pub use kinko_model::ssm::ParameterType;

/// The tier a caller asks for. `IntelligentTiering` resolves to Standard or
/// Advanced at write time; only those two are ever stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    Standard,
    Advanced,
    IntelligentTiering,
}

impl Tier {
    pub const ALL: [&'static str; 3] = ["Standard", "Advanced", "Intelligent-Tiering"];

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "Standard" => Some(Self::Standard),
            "Advanced" => Some(Self::Advanced),
            "Intelligent-Tiering" => Some(Self::IntelligentTiering),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Standard => "Standard",
            Self::Advanced => "Advanced",
            Self::IntelligentTiering => "Intelligent-Tiering",
        }
    }
}

/// `DataType`: what the value is meant to be. Stored as its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataType {
    Text,
    Ec2Image,
    SsmIntegration,
}

impl DataType {
    pub fn parse(s: &str) -> Result<Self, SsmError> {
        match s {
            "text" => Ok(Self::Text),
            "aws:ec2:image" => Ok(Self::Ec2Image),
            "aws:ssm:integration" => Ok(Self::SsmIntegration),
            other => Err(SsmError::Validation(format!(
                "The following data type is not supported: {other} (Data type names are all lowercase.)"
            ))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Ec2Image => "aws:ec2:image",
            Self::SsmIntegration => "aws:ssm:integration",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejections() {
        for t in ParameterType::ALL {
            assert_eq!(ParameterType::parse(t).unwrap().as_str(), t);
        }
        for t in Tier::ALL {
            assert_eq!(Tier::parse(t).unwrap().as_str(), t);
        }
        assert_eq!(ParameterType::parse("string"), None);
        assert_eq!(
            DataType::parse("aws:ec2:image").unwrap(),
            DataType::Ec2Image
        );
        assert_eq!(
            DataType::parse("Text").unwrap_err(),
            SsmError::Validation(
                "The following data type is not supported: Text (Data type names are all lowercase.)".into()
            )
        );
    }
}
