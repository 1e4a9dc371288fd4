//! Who is calling: `Authorization: Bearer KEY`, looked up among the
//! configured keys, gives a [`Caller`] with one role; each handler says
//! which roles it admits.
//!
//! Keys are compared by their SHA-256, and only a short fingerprint of that
//! hash ever reaches logs and the audit log, never the key itself.

use std::collections::HashMap;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use sha2::{Digest, Sha256};

use super::error::ApiError;
use crate::config::{ApiKey, Role};

/// The configured keys, by hash.
#[derive(Debug, Default)]
pub struct Keys {
    by_hash: HashMap<[u8; 32], Role>,
}

fn hash(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

impl Keys {
    pub fn new(keys: &[ApiKey]) -> Self {
        Self {
            by_hash: keys.iter().map(|k| (hash(&k.key), k.role)).collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }

    fn lookup(&self, key: &str) -> Option<(Role, String)> {
        let h = hash(key);
        self.by_hash
            .get(&h)
            .map(|r| (*r, format!("key:{}", hex::encode(&h[..4]))))
    }
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    pub role: Role,
    /// `key:` + 8 hex digits of the key's hash.
    pub fingerprint: String,
}

impl Caller {
    /// Admit admins and the given roles; anyone else gets 403.
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if self.role == Role::Admin || roles.contains(&self.role) {
            return Ok(());
        }
        let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!(
                "the '{}' role may not do this; it needs the {} role",
                self.role.as_str(),
                names.join(" or ")
            ),
        ))
    }
}

impl<S> FromRequestParts<S> for Caller
where
    S: Send + Sync + AsRef<Keys>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let keys: &Keys = state.as_ref();
        let unauthorized =
            |m: &str| ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", m.to_string());
        if keys.is_empty() {
            return Err(unauthorized(
                "no API keys are configured on this server; create one with `caseguard keys add --role admin`",
            ));
        }
        let mut values = parts.headers.get_all(header::AUTHORIZATION).iter();
        let Some(value) = values.next() else {
            return Err(unauthorized(
                "missing API key: send `Authorization: Bearer <key>`",
            ));
        };
        // Two credentials are ambiguous: which one a proxy or the server
        // honours must not decide who the caller is.
        if values.next().is_some() {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "ambiguous_authorization",
                "send one Authorization header, not several",
            ));
        }
        let token =
            value.to_str().ok().and_then(bearer_token).ok_or_else(|| {
                unauthorized("malformed Authorization header: use `Bearer <key>`")
            })?;
        let (role, fingerprint) = keys
            .lookup(token)
            .ok_or_else(|| unauthorized("unknown API key"))?;
        Ok(Caller { role, fingerprint })
    }
}

/// The key of a `Bearer <key>` header value; the scheme name is
/// case-insensitive (RFC 9110 §11.1).
fn bearer_token(v: &str) -> Option<&str> {
    let (scheme, rest) = v.trim_start().split_once(' ')?;
    let token = rest.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// A new random key (256 bits, hex) with a recognisable prefix.
pub fn generate_key() -> String {
    let bytes: [u8; 32] = rand::random();
    format!("cg_{}", hex::encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bearer_scheme_is_case_insensitive_and_needs_a_key() {
        for v in ["Bearer k1", "bearer k1", "BEARER k1", "  BeArEr   k1  "] {
            assert_eq!(bearer_token(v), Some("k1"), "{v}");
        }
        for v in ["Basic k1", "Bearer", "Bearer   ", "Bearerk1", "k1"] {
            assert_eq!(bearer_token(v), None, "{v}");
        }
    }

    #[test]
    fn roles_admit_admins_and_listed_roles_only() {
        let c = |role| Caller {
            role,
            fingerprint: "key:0".into(),
        };
        assert!(c(Role::Admin).require(&[Role::Curator]).is_ok());
        assert!(c(Role::Curator).require(&[Role::Curator]).is_ok());
        let e = c(Role::Handler).require(&[Role::Curator]).unwrap_err();
        assert_eq!(e.status, StatusCode::FORBIDDEN);
        assert!(e.message.contains("curator"), "{}", e.message);
    }

    #[test]
    fn keys_are_found_by_hash_and_fingerprints_do_not_reveal_them() {
        let key = generate_key();
        let keys = Keys::new(&[ApiKey {
            key: key.clone(),
            role: Role::Legal,
        }]);
        let (role, fp) = keys.lookup(&key).unwrap();
        assert_eq!(role, Role::Legal);
        assert!(!fp.contains(&key[3..11]));
        assert!(keys.lookup("cg_other").is_none());
    }
}
