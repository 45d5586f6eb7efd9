//! Authentication: the digests both sides compute, the host's nonces, and the comparison
//! that takes the same time whatever the digest.

use crate::netmidi::packet::{DIGEST_BYTES, NONCE_BYTES};
use sha2::{Digest, Sha256};

/// Fills a buffer with unpredictable bytes. The state machines take it as a value, so tests
/// can make nonces repeatable.
pub type Entropy = Box<dyn FnMut(&mut [u8]) + Send>;

/// The operating system's random source.
pub fn os_entropy() -> Entropy {
    Box::new(|buf: &mut [u8]| {
        // Without a random source a host cannot make nonces at all; that is not recoverable.
        getrandom::fill(buf).expect("the operating system's random source is unavailable");
    })
}

/// SHA-256(nonce ‖ secret): the answer to a shared-secret challenge.
pub fn shared_secret_digest(nonce: &[u8; NONCE_BYTES], secret: &str) -> [u8; DIGEST_BYTES] {
    let mut h = Sha256::new();
    h.update(nonce);
    h.update(secret.as_bytes());
    h.finalize().into()
}

/// SHA-256(nonce ‖ user ‖ password): the answer to a user challenge.
pub fn user_digest(nonce: &[u8; NONCE_BYTES], user: &str, password: &str) -> [u8; DIGEST_BYTES] {
    let mut h = Sha256::new();
    h.update(nonce);
    h.update(user.as_bytes());
    h.update(password.as_bytes());
    h.finalize().into()
}

/// Equal digests, compared without an early exit.
pub(super) fn digests_match(a: &[u8; DIGEST_BYTES], b: &[u8; DIGEST_BYTES]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A nonce of printable letters and digits (amidi2net sends printable nonces; some peers
/// may treat it as text), drawn without bias from the entropy source.
pub(super) fn new_nonce(entropy: &mut Entropy) -> [u8; NONCE_BYTES] {
    const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut nonce = [0u8; NONCE_BYTES];
    let mut filled = 0;
    let mut pool = [0u8; 32];
    while filled < NONCE_BYTES {
        entropy(&mut pool);
        // 248 = 4 × 62: bytes above it would favour the first letters.
        for &b in pool.iter().filter(|&&b| b < 248) {
            if filled == NONCE_BYTES {
                break;
            }
            nonce[filled] = ALPHABET[usize::from(b % 62)];
            filled += 1;
        }
    }
    nonce
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_sha256_of_the_concatenation() {
        let nonce = *b"0123456789abcdef";
        // Computed independently: printf '0123456789abcdefsecret' | sha256sum
        let want = "c5310e3d1e5823ef77ce3a5804988a72fc60c307a0c8959f3461e202e4a8d814";
        let got: String = shared_secret_digest(&nonce, "secret")
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(got, want);
        assert_eq!(
            user_digest(&nonce, "us", "er"),
            shared_secret_digest(&nonce, "user"),
            "user ‖ password is one concatenation"
        );
    }

    #[test]
    fn nonces_are_printable_and_differ() {
        let mut n = 0u8;
        let mut entropy: Entropy = Box::new(move |buf: &mut [u8]| {
            for b in buf {
                n = n.wrapping_add(97);
                *b = n;
            }
        });
        let a = new_nonce(&mut entropy);
        let b = new_nonce(&mut entropy);
        assert!(a.iter().all(u8::is_ascii_alphanumeric));
        assert_ne!(a, b);
        assert!(digests_match(&[3; 32], &[3; 32]));
        assert!(!digests_match(&[3; 32], &[4; 32]));
    }
}
