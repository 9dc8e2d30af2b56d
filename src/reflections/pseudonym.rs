//! Export pseudonyms: `p-` and ten hex digits of HMAC-SHA256(tenant key, user id). Stable per
//! (Mission Locale, person), so a yearly report can follow "the same author" without naming
//! them; not reversible without the tenant's random key, which lives only in the store
//! (`db::secret`), so an exported file alone does not identify anyone.

use sha2::{Digest, Sha256};

/// HMAC-SHA256 (RFC 2104), from the `sha2` the crate already has.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut k = [0u8; BLOCK];
    if key.len() > BLOCK {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut ipad = [0x36u8; BLOCK];
    let mut opad = [0x5cu8; BLOCK];
    for i in 0..BLOCK {
        ipad[i] ^= k[i];
        opad[i] ^= k[i];
    }
    let inner = Sha256::new()
        .chain_update(ipad)
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(opad)
        .chain_update(inner)
        .finalize()
        .into()
}

/// The pseudonym of `user` under the tenant key `key`.
pub fn pseudonym(key: &[u8], user: &str) -> String {
    let mac = hmac_sha256(key, user.as_bytes());
    let hex: String = mac[..5].iter().map(|b| format!("{b:02x}")).collect();
    format!("p-{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test cases 2 and 6 of RFC 4231 (a short key, and a key longer than a block).
        assert_eq!(
            hex(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            hex(&hmac_sha256(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn pseudonyms_are_stable_per_key_and_user() {
        let a = pseudonym(b"key-a", "@alice:example.org");
        assert_eq!(a, pseudonym(b"key-a", "@alice:example.org"));
        assert_ne!(a, pseudonym(b"key-b", "@alice:example.org"));
        assert_ne!(a, pseudonym(b"key-a", "@bob:example.org"));
        assert_eq!(a.len(), 12);
        assert!(!a.contains("alice"));
    }
}
