//! Newtypes for plaintext secrets: zeroized on drop, redacted in `Debug`,
//! no `Display`, no `Serialize`. Reaching the bytes takes an explicit
//! `expose()`, which is easy to grep for.

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::CryptoError;

/// Secret bytes: a decrypted value, a key in transit.
#[derive(Clone)]
pub struct SecretBytes(Zeroizing<Vec<u8>>);

impl SecretBytes {
    pub fn new(v: Vec<u8>) -> Self {
        SecretBytes(Zeroizing::new(v))
    }

    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Converts without copying. The error says only "not UTF-8": the
    /// standard library's error would carry (and print) the bytes.
    pub fn into_secret_string(mut self) -> Result<SecretString, CryptoError> {
        if std::str::from_utf8(&self.0).is_err() {
            return Err(CryptoError::Malformed("not UTF-8"));
        }
        let bytes = std::mem::take(&mut *self.0);
        match String::from_utf8(bytes) {
            Ok(s) => Ok(SecretString::new(s)),
            Err(err) => {
                // Checked above; still, never drop secret bytes unzeroized.
                drop(Zeroizing::new(err.into_bytes()));
                Err(CryptoError::Malformed("not UTF-8"))
            }
        }
    }
}

impl From<Vec<u8>> for SecretBytes {
    fn from(v: Vec<u8>) -> Self {
        SecretBytes::new(v)
    }
}

impl std::fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBytes(<redacted>)")
    }
}

/// A secret string: a parameter value, an access-key secret, a passphrase.
#[derive(Clone)]
pub struct SecretString(Zeroizing<String>);

impl SecretString {
    pub fn new(s: String) -> Self {
        SecretString(Zeroizing::new(s))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Compares in constant time (for equal lengths), so a caller checking a
    /// token or secret does not leak how many leading bytes matched.
    pub fn ct_eq(&self, other: &str) -> bool {
        self.0.as_bytes().ct_eq(other.as_bytes()).into()
    }
}

impl From<String> for SecretString {
    fn from(s: String) -> Self {
        SecretString::new(s)
    }
}

impl From<&str> for SecretString {
    fn from(s: &str) -> Self {
        SecretString::new(s.to_owned())
    }
}

impl std::fmt::Debug for SecretString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretString(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let b = SecretBytes::new(b"hunter2-bytes".to_vec());
        let s = SecretString::from("hunter2-string");
        assert_eq!(format!("{b:?}"), "SecretBytes(<redacted>)");
        assert_eq!(format!("{s:?}"), "SecretString(<redacted>)");
        assert!(!format!("{:?}", (b.clone(), s.clone())).contains("hunter2"));
    }

    #[test]
    fn bytes_convert_to_string_only_when_utf8() {
        let s = SecretBytes::from("héllo".as_bytes().to_vec())
            .into_secret_string()
            .unwrap();
        assert_eq!(s.expose(), "héllo");

        let err = SecretBytes::new(vec![b's', 0xff, b'x'])
            .into_secret_string()
            .unwrap_err();
        assert_eq!(err.to_string(), "not UTF-8");
    }

    #[test]
    fn accessors_report_the_contents() {
        let b = SecretBytes::new(vec![1, 2, 3]);
        assert_eq!(b.expose(), &[1, 2, 3]);
        assert_eq!(b.len(), 3);
        assert!(!b.is_empty());
        assert!(SecretBytes::new(Vec::new()).is_empty());
    }

    #[test]
    fn ct_eq_compares_whole_strings() {
        let s = SecretString::new("abc".into());
        assert!(s.ct_eq("abc"));
        assert!(!s.ct_eq("abd"));
        assert!(!s.ct_eq("ab"));
        assert!(!s.ct_eq("abcd"));
    }
}
