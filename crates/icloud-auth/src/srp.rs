//! SRP-6a client as Apple's web sign-in uses it (spec §6): RFC 5054 2048-bit group, SHA-256,
//! no username in `x`, padded `A` and `S`, PBKDF2-derived password key (`s2k` / `s2k_fo`).
//!
//! Pure math, no I/O. The caller base64-encodes [`SrpClient::public_key`] for `signin/init` and
//! the two proofs of [`SrpProof`] for `signin/complete`.

use std::fmt;

use num_bigint::BigUint;
use num_traits::Zero;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Byte length of the group modulus; `pad()` pads to this length.
const N_LEN: usize = 256;

/// RFC 5054 2048-bit group modulus, big-endian hex.
const N_HEX: &str = concat!(
    "AC6BDB41324A9A9BF166DE5E1389582FAF72B6651987EE07FC3192943DB56050",
    "A37329CBB4A099ED8193E0757767A13DD52312AB4B03310DCD7F48A9DA04FD50",
    "E8083969EDB767B0CF6095179A163AB3661A05FBD5FAAAE82918A9962F0B93B8",
    "55F97993EC975EEAA80D740ADBF4FF747359D041D5C33EA71D281E446B14773B",
    "CA97B43A23FB801676BD207A436C6481F1D2B9078717461A5B9D32E688F87748",
    "544523B524B0D57D5EA77A2775D2ECFA032CFBDBF52FB3786160279004E57AE6",
    "AF874E7303CE53299CCC041C7BC308D82A5698F3A8D0C38271AE35F8E9DBFBB6",
    "94B5C803D89F7AE435DE236D525F54759B65E372FCD68EF20FA7111F9E4AFF73",
);

/// The modulus as bytes, decoded at compile time.
const N_BYTES: [u8; N_LEN] = decode_hex(N_HEX);

/// Generator of the group.
const G: u32 = 2;

/// Highest PBKDF2 iteration count accepted from the server (Apple sends about 20 000).
const MAX_ITERATIONS: u32 = 1_000_000;

const fn decode_hex(hex: &str) -> [u8; N_LEN] {
    const fn nibble(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => panic!("invalid hex digit in SRP modulus"),
        }
    }
    let bytes = hex.as_bytes();
    assert!(bytes.len() == 2 * N_LEN, "SRP modulus must be 256 bytes");
    let mut out = [0u8; N_LEN];
    let mut i = 0;
    while i < N_LEN {
        out[i] = (nibble(bytes[2 * i]) << 4) | nibble(bytes[2 * i + 1]);
        i += 1;
    }
    out
}

/// Password-key derivation announced by `signin/init` (`protocol`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SrpProtocol {
    /// PBKDF2 over the 32 raw bytes of SHA-256(password).
    S2k,
    /// PBKDF2 over the 64 lowercase hex digits of SHA-256(password).
    S2kFo,
}

impl SrpProtocol {
    /// Returns the protocol for its wire name (`s2k` or `s2k_fo`), `None` for anything else.
    pub(crate) fn from_wire(s: &str) -> Option<Self> {
        match s {
            "s2k" => Some(SrpProtocol::S2k),
            "s2k_fo" => Some(SrpProtocol::S2kFo),
            _ => None,
        }
    }
}

/// Why the server's SRP parameters cannot be used. The exchange must be abandoned.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SrpError {
    /// `B` is zero modulo `N` or longer than the modulus.
    #[error("invalid server public key")]
    InvalidServerKey,
    /// The scrambling parameter `u` hashed to zero.
    #[error("srp scrambling parameter is zero")]
    ZeroScrambler,
    /// The PBKDF2 iteration count is zero or implausibly large.
    #[error("unsupported pbkdf2 iteration count {0}")]
    InvalidIterations(u32),
    /// The server sent an empty salt.
    #[error("empty srp salt")]
    EmptySalt,
}

/// The client's proofs for `signin/complete`.
pub(crate) struct SrpProof {
    /// `M1`, the client's proof of the session key (`m1`).
    pub(crate) m1: [u8; 32],
    /// `M2 = H(A | M1 | K)`, the expected server proof (`m2`; Apple wants it sent too).
    pub(crate) m2: [u8; 32],
    /// The session key `K = H(pad(S))`, which the escrow step sends back (`k`).
    pub(crate) key: [u8; 32],
}

impl fmt::Debug for SrpProof {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SrpProof").finish_non_exhaustive()
    }
}

/// One client side of an SRP exchange: a private ephemeral `a` and its public `A`.
pub(crate) struct SrpClient {
    a: BigUint,
    a_pub: Vec<u8>,
}

impl fmt::Debug for SrpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SrpClient").finish_non_exhaustive()
    }
}

impl SrpClient {
    /// Returns a client with a fresh private key of 32 random bytes from the OS.
    pub(crate) fn new() -> Self {
        let mut a = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut a);
        Self::from_private_key(&a)
    }

    /// Returns a client with the given private key (big-endian), for test vectors.
    pub(crate) fn from_private_key(a: &[u8]) -> Self {
        let a = BigUint::from_bytes_be(a);
        let a_pub = pad(&BigUint::from(G).modpow(&a, &modulus()));
        SrpClient { a, a_pub }
    }

    /// Returns `pad(A)`, exactly 256 bytes, as sent (base64) in `signin/init`.
    pub(crate) fn public_key(&self) -> &[u8] {
        &self.a_pub
    }

    /// Returns the proofs for the server's challenge (`salt`, `iteration`, `b` of `signin/init`).
    ///
    /// `account_name` is lowercased for `H(I)` (empty for the escrow step); `server_b` is the
    /// decoded `b` as received.
    pub(crate) fn respond(
        &self,
        account_name: &str,
        password: &[u8],
        protocol: SrpProtocol,
        salt: &[u8],
        iterations: u32,
        server_b: &[u8],
    ) -> Result<SrpProof, SrpError> {
        if salt.is_empty() {
            return Err(SrpError::EmptySalt);
        }
        if iterations == 0 || iterations > MAX_ITERATIONS {
            return Err(SrpError::InvalidIterations(iterations));
        }
        let n = modulus();
        let b_pub = BigUint::from_bytes_be(server_b);
        if (&b_pub % &n).is_zero() || b_pub.bits() > 8 * N_LEN as u64 {
            return Err(SrpError::InvalidServerKey);
        }
        let u = scrambler(&self.a_pub, &b_pub);
        if u.is_zero() {
            return Err(SrpError::ZeroScrambler);
        }
        let x = private_x(salt, &password_key(password, protocol, salt, iterations));
        let s = self.premaster(&b_pub, &u, &x);
        let key = sha256(&[&pad(&s)]);
        Ok(proofs(account_name, salt, &self.a_pub, &b_pub, &key))
    }

    /// Returns `S = (B − k·g^x)^(a + u·x) mod N`.
    fn premaster(&self, b_pub: &BigUint, u: &BigUint, x: &BigUint) -> BigUint {
        let n = modulus();
        let v = BigUint::from(G).modpow(x, &n);
        let kv = (multiplier() * v) % &n;
        let base = ((b_pub % &n) + &n - kv) % &n;
        base.modpow(&(&self.a + u * x), &n)
    }
}

/// Returns `M1` and `M2` for the session key `key`.
fn proofs(
    account_name: &str,
    salt: &[u8],
    a_pub: &[u8],
    b_pub: &BigUint,
    key: &[u8; 32],
) -> SrpProof {
    let h_n = sha256(&[&N_BYTES]);
    let h_g = sha256(&[&pad(&BigUint::from(G))]);
    let mut h_ng = [0u8; 32];
    for (out, (n, g)) in h_ng.iter_mut().zip(h_n.iter().zip(h_g.iter())) {
        *out = n ^ g;
    }
    let h_i = sha256(&[account_name.to_lowercase().as_bytes()]);
    let m1 = sha256(&[&h_ng, &h_i, salt, a_pub, &b_pub.to_bytes_be(), key]);
    let m2 = sha256(&[a_pub, &m1, key]);
    SrpProof { m1, m2, key: *key }
}

/// Returns `p = PBKDF2-HMAC-SHA256(pin, salt, iterations, 32)` with `pin` per `protocol`.
fn password_key(password: &[u8], protocol: SrpProtocol, salt: &[u8], iterations: u32) -> [u8; 32] {
    let digest = sha256(&[password]);
    let hex;
    let pin: &[u8] = match protocol {
        SrpProtocol::S2k => &digest,
        SrpProtocol::S2kFo => {
            hex = lower_hex(&digest);
            hex.as_bytes()
        }
    };
    let mut p = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<Sha256>(pin, salt, iterations, &mut p);
    p
}

/// Returns `x = H(salt | H(":" | p))` (no username).
fn private_x(salt: &[u8], p: &[u8; 32]) -> BigUint {
    let inner = sha256(&[b":", p]);
    BigUint::from_bytes_be(&sha256(&[salt, &inner]))
}

/// Returns `u = H(pad(A) | pad(B))`.
fn scrambler(a_pub: &[u8], b_pub: &BigUint) -> BigUint {
    BigUint::from_bytes_be(&sha256(&[a_pub, &pad(b_pub)]))
}

/// Returns `k = H(N | pad(g))`.
fn multiplier() -> BigUint {
    BigUint::from_bytes_be(&sha256(&[&N_BYTES, &pad(&BigUint::from(G))]))
}

fn modulus() -> BigUint {
    BigUint::from_bytes_be(&N_BYTES)
}

/// Returns `x` big-endian, left-padded with zeros to 256 bytes (values are always below `N`).
fn pad(x: &BigUint) -> Vec<u8> {
    let bytes = x.to_bytes_be();
    let mut out = vec![0u8; N_LEN.saturating_sub(bytes.len())];
    out.extend_from_slice(&bytes);
    out
}

fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for part in parts {
        h.update(part);
    }
    h.finalize().into()
}

fn lower_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    s
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]
mod tests;
