//! Server side of Apple's SRP-6a variant (spec §6): verifier, server key, and proof checks.
//!
//! This is written independently of the client in `icloud-auth` on purpose: the fake is an oracle,
//! so a shared bug cannot make both sides agree on a wrong answer.

use num_bigint::BigUint;
use num_traits::Zero;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The RFC 5054 2048-bit group modulus, hex.
const N_HEX: &str = concat!(
    "AC6BDB41324A9A9BF166DE5E1389582FAF72B6651987EE07FC3192943DB56050",
    "A37329CBB4A099ED8193E0757767A13DD52312AB4B03310DCD7F48A9DA04FD50",
    "E8083969EDB767B0CF6095179A163AB3661A05FBD5FAAAE82918A9962F0B93B8",
    "55F97993EC975EEAA80D740ADBF4FF747359D041D5C33EA71D281E446B14773B",
    "CA97B43A23FB801676BD207A436C6481F1D2B9078717461A5B9D32E688F87748",
    "544523B524B0D57D5EA77A2775D2ECFA032CFBDBF52FB37861602790",
    "04E57AE6AF874E7303CE53299CCC041C7BC308D82A5698F3A8D0C38271AE35F8",
    "E9DBFBB694B5C803D89F7AE435DE236D525F54759B65E372FCD68EF20FA7111F",
    "9E4AFF73",
);

/// Byte length of the group modulus.
const N_LEN: usize = 256;

/// Password-key derivation protocol announced by `signin/init` (spec §6.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Protocol {
    /// PBKDF2 over the 32 raw bytes of SHA-256(password).
    S2k,
    /// PBKDF2 over the 64-character lowercase hex of SHA-256(password).
    S2kFo,
}

impl Protocol {
    /// Returns the wire name (`s2k` / `s2k_fo`).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Protocol::S2k => "s2k",
            Protocol::S2kFo => "s2k_fo",
        }
    }
}

/// The group: modulus `N`, generator `g` and multiplier `k`.
#[derive(Debug)]
pub(crate) struct Group {
    n: BigUint,
    g: BigUint,
    k: BigUint,
}

impl Group {
    /// Returns the 2048-bit group with `g = 2` and `k = H(N | pad(g))`.
    pub(crate) fn rfc5054_2048() -> Self {
        let n = BigUint::parse_bytes(N_HEX.as_bytes(), 16).unwrap_or_default();
        let g = BigUint::from(2u32);
        let k = BigUint::from_bytes_be(&hash(&[&n.to_bytes_be(), &pad(&g)]));
        Group { n, g, k }
    }
}

/// Left-pads `x` with zero bytes to the modulus length (256 bytes).
pub(crate) fn pad(x: &BigUint) -> Vec<u8> {
    let bytes = x.to_bytes_be();
    let mut out = vec![0u8; N_LEN.saturating_sub(bytes.len())];
    out.extend_from_slice(&bytes);
    out
}

/// SHA-256 over the concatenation of `parts`.
fn hash(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// Derives the 32-byte password key `p` (spec §6.2).
pub(crate) fn password_key(
    password: &str,
    salt: &[u8],
    iterations: u32,
    protocol: Protocol,
) -> [u8; 32] {
    let digest: [u8; 32] = Sha256::digest(password.as_bytes()).into();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    let pin: &[u8] = match protocol {
        Protocol::S2k => &digest,
        Protocol::S2kFo => hex.as_bytes(),
    };
    let mut out = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<Sha256>(pin, salt, iterations, &mut out);
    out
}

/// Computes the verifier `v = g^x mod N` with `x = H(salt | H(":" | p))` (no username in `x`).
pub(crate) fn verifier(group: &Group, salt: &[u8], key: &[u8; 32]) -> BigUint {
    let inner = hash(&[b":", key]);
    let x = BigUint::from_bytes_be(&hash(&[salt, &inner]));
    group.g.modpow(&x, &group.n)
}

/// Returns `n` random bytes.
pub(crate) fn random_bytes(n: usize) -> Vec<u8> {
    let mut out = vec![0u8; n];
    rand::thread_rng().fill_bytes(&mut out);
    out
}

/// Returns a random 16-byte salt whose first byte is not zero (spec §6.3 caution).
pub(crate) fn random_salt() -> Vec<u8> {
    let mut salt = random_bytes(16);
    if salt[0] == 0 {
        salt[0] = 1;
    }
    salt
}

/// The server's ephemeral values for one sign-in attempt.
#[derive(Clone, Debug)]
pub(crate) struct ServerEphemeral {
    /// Private `b`.
    pub(crate) b: BigUint,
    /// Public `B = (k·v + g^b) mod N`.
    pub(crate) public: BigUint,
}

/// Computes `B` for a given private `b` and verifier `v`.
pub(crate) fn server_public(group: &Group, v: &BigUint, b: &BigUint) -> BigUint {
    (&group.k * v + group.g.modpow(b, &group.n)) % &group.n
}

/// Draws a fresh `b` and computes `B`, re-drawing until `B` needs the full 256 bytes, so that
/// a client's handling of `B` never depends on a leading zero byte.
pub(crate) fn new_ephemeral(group: &Group, v: &BigUint) -> ServerEphemeral {
    loop {
        let b = BigUint::from_bytes_be(&random_bytes(32));
        let public = server_public(group, v, &b);
        if public.to_bytes_be().len() == N_LEN {
            return ServerEphemeral { b, public };
        }
    }
}

/// Everything the server knows when checking a client's proof.
#[derive(Debug)]
pub(crate) struct ProofInput<'a> {
    /// Account names to try in `H(I)` (lower-cased and as sent).
    pub(crate) names: &'a [&'a str],
    /// Salt bytes exactly as issued.
    pub(crate) salt: &'a [u8],
    /// Client public value `A`.
    pub(crate) a_pub: &'a BigUint,
    /// Server ephemeral.
    pub(crate) server: &'a ServerEphemeral,
    /// Verifier `v`.
    pub(crate) v: &'a BigUint,
}

/// Computes the shared secret `S = (A · v^u)^b mod N`, or `None` for an illegal `A` or `u`.
fn shared_secret(group: &Group, inp: &ProofInput<'_>) -> Option<BigUint> {
    let a_pub = inp.a_pub;
    if (a_pub % &group.n).is_zero() {
        return None;
    }
    let u = BigUint::from_bytes_be(&hash(&[&pad(a_pub), &pad(&inp.server.public)]));
    if u.is_zero() {
        return None;
    }
    Some((a_pub * inp.v.modpow(&u, &group.n)).modpow(&inp.server.b, &group.n))
}

/// Checks the client's `M1` in constant time against every accepted variant (padded and
/// pysrp-minimal encodings of `A`/`S`, each account-name spelling). Returns the matching `M2`.
pub(crate) fn check_proof(group: &Group, inp: &ProofInput<'_>, m1: &[u8]) -> Option<[u8; 32]> {
    check_proof_key(group, inp, m1).map(|(m2, _)| m2)
}

/// Like [`check_proof`], also returning the session key `K` the proof was made with (escrow
/// clients send it back as `k`).
pub(crate) fn check_proof_key(
    group: &Group,
    inp: &ProofInput<'_>,
    m1: &[u8],
) -> Option<([u8; 32], [u8; 32])> {
    let s = shared_secret(group, inp)?;
    let hn = hash(&[&group.n.to_bytes_be()]);
    let hg = hash(&[&pad(&group.g)]);
    let mut xor = [0u8; 32];
    for (i, x) in xor.iter_mut().enumerate() {
        *x = hn[i] ^ hg[i];
    }
    let b_bytes = inp.server.public.to_bytes_be();
    let mut found = None;
    for padded in [true, false] {
        let enc = |x: &BigUint| if padded { pad(x) } else { x.to_bytes_be() };
        let a_enc = enc(inp.a_pub);
        let k = hash(&[&enc(&s)]);
        for name in inp.names {
            let hi = hash(&[name.as_bytes()]);
            let want = hash(&[&xor, &hi, inp.salt, &a_enc, &b_bytes, &k]);
            if bool::from(want.as_slice().ct_eq(m1)) && found.is_none() {
                found = Some((hash(&[&a_enc, &want, &k]), k));
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;

    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap_or(0))
            .collect()
    }

    fn to_hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    const SALT: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f90";
    const A_PRIV: &str = "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20";
    const B_PRIV: &str = "2122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f40";

    /// Password key and verifier per protocol, computed once (PBKDF2 is slow in debug builds).
    fn key_and_verifier(protocol: Protocol) -> &'static ([u8; 32], BigUint) {
        static S2K: OnceLock<([u8; 32], BigUint)> = OnceLock::new();
        static S2K_FO: OnceLock<([u8; 32], BigUint)> = OnceLock::new();
        let cell = if protocol == Protocol::S2k {
            &S2K
        } else {
            &S2K_FO
        };
        cell.get_or_init(|| {
            let salt = hex(SALT);
            let key = password_key("password1", &salt, 20064, protocol);
            let v = verifier(&Group::rfc5054_2048(), &salt, &key);
            (key, v)
        })
    }

    /// One spec §6.4 vector run through the server procedure.
    struct Vector {
        salt: Vec<u8>,
        key: Vec<u8>,
        server: ServerEphemeral,
        v: BigUint,
        a_pub: BigUint,
    }

    impl Vector {
        fn run(protocol: Protocol, a_priv: &str, b_priv: &str) -> Vector {
            let group = Group::rfc5054_2048();
            let (key, v) = key_and_verifier(protocol).clone();
            let b = BigUint::from_bytes_be(&hex(b_priv));
            let public = server_public(&group, &v, &b);
            let a_pub = group
                .g
                .modpow(&BigUint::from_bytes_be(&hex(a_priv)), &group.n);
            Vector {
                salt: hex(SALT),
                key: key.to_vec(),
                server: ServerEphemeral { b, public },
                v,
                a_pub,
            }
        }

        /// Checks the client proof `m1` for any of `names`; returns M2 in hex if accepted.
        fn m2(&self, names: &[&str], m1: &[u8]) -> Option<String> {
            let inp = ProofInput {
                names,
                salt: &self.salt,
                a_pub: &self.a_pub,
                server: &self.server,
                v: &self.v,
            };
            check_proof(&Group::rfc5054_2048(), &inp, m1).map(|m| to_hex(&m))
        }
    }

    #[test]
    fn k_matches_spec() {
        let group = Group::rfc5054_2048();
        assert_eq!(group.n.to_bytes_be().len(), N_LEN);
        assert_eq!(
            to_hex(&group.k.to_bytes_be()),
            "05b9e8ef059c6b32ea59fc1d322d37f04aa30bae5aa9003b8321e21ddb04e300"
        );
    }

    #[test]
    fn vector_1_s2k() {
        let vec = Vector::run(Protocol::S2k, A_PRIV, B_PRIV);
        assert_eq!(
            to_hex(&vec.key),
            "47d5638f28e9f4a3bf0f8ed942ccc1fdef66e5072938fd30119491213064df21"
        );
        let v = to_hex(&vec.v.to_bytes_be());
        assert!(v.starts_with("53d8a058332afd8665a84bf1ac2c465f"));
        assert!(v.ends_with("8b8e51da72d3"));
        let b = to_hex(&vec.server.public.to_bytes_be());
        assert!(b.starts_with("15460889a140b4fa8b09be4f0997"));
        assert!(b.ends_with("f528184ef3992c"));
        let m1 = hex("362d595a45bb4784b9e5a6c2c27736b1dff87911abd42708438ad18e7a22cdda");
        assert_eq!(
            vec.m2(&["jdoe@gmail.com"], &m1).as_deref(),
            Some("67c3e497357ed677cb5a7166970fd7b73146134949de15fef95d392e24cebb1b")
        );
        let mut bad = m1.clone();
        bad[0] ^= 1;
        assert!(vec.m2(&["jdoe@gmail.com"], &bad).is_none());
    }

    #[test]
    fn vector_2_s2k_fo() {
        let vec = Vector::run(Protocol::S2kFo, A_PRIV, B_PRIV);
        assert_eq!(
            to_hex(&vec.key),
            "fa6f296708894a83a61e24d2b7a95c5936886c55a781b36c951eea5024418ae2"
        );
        assert!(to_hex(&vec.server.public.to_bytes_be()).starts_with("3149ae22a1c210bf"));
        let m1 = hex("5eb35cef9aadd4aca7f7ac438be4c34bc0ba3f18b24f02880067075f6f32c904");
        assert_eq!(
            vec.m2(&["jdoe@gmail.com"], &m1).as_deref(),
            Some("0a8d21873b4c762e50c226d076e77f33f733b401e6c17b5cbf85d3f6d86c2158")
        );
    }

    #[test]
    fn vector_3_accepts_padded_and_minimal() {
        let a = "c1c7df4999bd47e34e5b219cf07e04aa24fa5f59948dc869b772bbb7ba74b1be";
        let b = "0157f7ad415ce9e07707fddf06a47cb188aa5ab553483f94b248aa0fda89b3bc";
        let vec = Vector::run(Protocol::S2k, a, b);
        assert_eq!(vec.a_pub.to_bytes_be().len(), 255);
        let padded = hex("dc1464dc1e3ed1356213a8bc3c0be9ed0f3b23ae3c73ab95edfce07368e99dae");
        let minimal = hex("030b42472e3c9690985ca2cb523b551a4686f227817d4b1b58b39863a4da34b8");
        assert_eq!(
            vec.m2(&["jdoe@gmail.com"], &padded).as_deref(),
            Some("6b88c9a164de8a7dd7950dfb0313088a41ef55b97973651a3f77cb402ab63f55")
        );
        assert_eq!(
            vec.m2(&["jdoe@gmail.com"], &minimal).as_deref(),
            Some("f553e84d2d4d5825e93421611d219c89e47c0a4860f141fc7e10bb73e025356a")
        );
    }

    #[test]
    fn name_case_variants_are_accepted() {
        let vec = Vector::run(Protocol::S2k, A_PRIV, B_PRIV);
        let m1 = hex("362d595a45bb4784b9e5a6c2c27736b1dff87911abd42708438ad18e7a22cdda");
        assert!(vec.m2(&["JDoe@Gmail.com"], &m1).is_none());
        assert!(vec.m2(&["jdoe@gmail.com", "JDoe@Gmail.com"], &m1).is_some());
    }

    #[test]
    fn salts_never_start_with_zero() {
        for _ in 0..200 {
            assert_ne!(random_salt()[0], 0);
        }
    }
}
