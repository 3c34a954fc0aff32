use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

use super::*;

const USER: &str = "jdoe@gmail.com";
const PASSWORD: &[u8] = b"password1";
const SALT_HEX: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f90";
const ITERATIONS: u32 = 20064;
const A_PRIV: &str = "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20";
const A_B64: &str = "YwrN/10zRGLZKingt/puIAIPMzMpL206ZA8cenatnTF1McV5eZUuVzbIjbEY0GDcBTmoErmwrztAAjgKnyiuSnxFqJZULeBfvPdqTn4HObmlXV1serpPHhtYcpp5vAhNX/UT6uwzzpePW62H5Xm1qV/HcxmOIml7Lq2rnrlPhM3PH+lP8J+I1MpG6Wi7pEP/cRZ1cfGf6wUoab0o19q/ljt/45mh9w5+CNAOGjd47R3dwzJd0J4F0x53TR/SlcSr+8YTRGIyAE1nywPWoDTSzmygpUSg/1tDS0tCZ/psbXKsu9ou/B7x0f4201OCsImr5VaGKuw1sp09DN81mpz+0w==";

fn hex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2), "odd hex length");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex digit"))
        .collect()
}

fn b64(s: &str) -> Vec<u8> {
    B64.decode(s).expect("base64")
}

fn int(s: &str) -> BigUint {
    BigUint::from_bytes_be(&hex(s))
}

/// Expected intermediate and final values of one vector of spec §6.4.
struct Vector {
    protocol: SrpProtocol,
    p: &'static str,
    x: &'static str,
    v: &'static str,
    b_b64: &'static str,
    u: &'static str,
    s: &'static str,
    k: &'static str,
    m1: &'static str,
    m2: &'static str,
}

fn check(vector: &Vector) {
    let salt = hex(SALT_HEX);
    let client = SrpClient::from_private_key(&hex(A_PRIV));
    assert_eq!(B64.encode(client.public_key()), A_B64);

    let p = password_key(PASSWORD, vector.protocol, &salt, ITERATIONS);
    assert_eq!(p.to_vec(), hex(vector.p));
    let x = private_x(&salt, &p);
    assert_eq!(x, int(vector.x));
    assert_eq!(BigUint::from(G).modpow(&x, &modulus()), int(vector.v));

    let b_bytes = b64(vector.b_b64);
    let b_pub = BigUint::from_bytes_be(&b_bytes);
    let u = scrambler(client.public_key(), &b_pub);
    assert_eq!(u, int(vector.u));
    let s = client.premaster(&b_pub, &u, &x);
    assert_eq!(pad(&s), hex(vector.s));
    assert_eq!(sha256(&[&pad(&s)]).to_vec(), hex(vector.k));

    let proof = client
        .respond(USER, PASSWORD, vector.protocol, &salt, ITERATIONS, &b_bytes)
        .expect("valid challenge");
    assert_eq!(proof.m1.to_vec(), hex(vector.m1));
    assert_eq!(proof.m2.to_vec(), hex(vector.m2));
}

#[test]
fn group_constants() {
    assert_eq!(N_BYTES[0], 0xAC);
    assert_eq!(N_BYTES[N_LEN - 1], 0x73);
    assert_eq!(
        multiplier(),
        int("05b9e8ef059c6b32ea59fc1d322d37f04aa30bae5aa9003b8321e21ddb04e300")
    );
    assert_eq!(
        sha256(&[PASSWORD]).to_vec(),
        hex("0b14d501a594442a01c6859541bcb3e8164d183d32937b851835442f69d5c94e")
    );
    assert_eq!(B64.encode(hex(SALT_HEX)), "obLD1OX2BxgpOktcbX6PkA==");
}

#[test]
fn vector_1_s2k() {
    check(&Vector {
        protocol: SrpProtocol::S2k,
        p: "47d5638f28e9f4a3bf0f8ed942ccc1fdef66e5072938fd30119491213064df21",
        x: "d3ab091b704b8156c082da6d35a27f601aeec43823a18211a79e9735f32cc450",
        v: "53d8a058332afd8665a84bf1ac2c465f9ebbadb36018e139689bac92a4ce9574958bb8993fbbbdfbead8b7951373571090238e45560c517b524f47db6587f1ac1c7e6e83a162fefdfe7c39c60161a7d43a544e72beedd07df41ede6831cf8e2cae92ca7fec4ead0374289677732014cbb76dfdfcbda76d83f994bdb8c0cb07fa52754c7166f0b4885dff0203e9942c0f2fc49abda40ff076ada9dbee1a19e057a10dc5e9cbf03668a128815c4cf21af14b6a6c21beaa3ed744f64c4f80ff9bc1412440f362a1ebdc11f5ae27113fba2c8b787be1391b77d66563062a7ebee8745df965c700c50db878b208a096ea200e3429238dd04d8f5b6d248b8e51da72d3",
        b_b64: "FUYIiaFAtPqLCb5PCZccDXtjCqj4DTKyj04xrISJS6V6LezwJl30zBznQMtuhsBwtjSyfVPgMRwV6Pr65SvhxvMFUInyj40zZPMc6arLgTtqqS0WHeV1EAdqi0m+j7h9dhTK3ggdadAbB7H1wG2xa9eeUWjDNv2EoK8L5UH96i3/KO26v3hIou5SPsCjZVJuBQPE6fB0Z2inSZDxdNgoFvuc/eRHttDevxyaUUSRdxnV1ktuZ5E+bY8kLS2b4oembgHzmCG4yej86jWim9bOpbdZDOB1S737+Rbv0oCOMB+QRpnnhLPtIze2LkrPpQ0VUkfhMM9H1amY9SgYTvOZLA==",
        u: "17e4ba304a35592aa3851c7da85b44685cf225a7c2299dbdc68c7aca361a12a9",
        s: "80d1c985f15cd57b97fdde14bb6ffdf5325f657492f77e243d63000ce585c0a6c28c631c3247fcce8a547d89806fc5527c66859e3bf0298cbf408a9fdfdbcca4e00829d27cfe152bb3f7e9cca18e1e06e79c5cc8a139cd480281ec0f736ebc4b77c0c0e32ac666a789ffa272582c7cd3153a55a404ea3a80f7e0982199522afaa01c62dab7b9c6cac19653b71c632f715f1c4cc682fad54bb4e5ced73dee7a20e7ea2bef76478858bf455fc94478341eea266ad836fd56ea34dfc3f7c1b7ea28af1317c078918e1a1abd40be649b9af2ac119b3afc716c6eb22353b6d284cf33cf3329924edc4e987eaf17dac45b531e36497064b511b2ba80d850753b045f54",
        k: "753b6292b356b851b7edebed9e9e1ac096ce974602e09ec2a9d80a99fe40bbc5",
        m1: "362d595a45bb4784b9e5a6c2c27736b1dff87911abd42708438ad18e7a22cdda",
        m2: "67c3e497357ed677cb5a7166970fd7b73146134949de15fef95d392e24cebb1b",
    });
}

#[test]
fn vector_1_wire_encoding() {
    let client = SrpClient::from_private_key(&hex(A_PRIV));
    let b = b64(
        "FUYIiaFAtPqLCb5PCZccDXtjCqj4DTKyj04xrISJS6V6LezwJl30zBznQMtuhsBwtjSyfVPgMRwV6Pr65SvhxvMFUInyj40zZPMc6arLgTtqqS0WHeV1EAdqi0m+j7h9dhTK3ggdadAbB7H1wG2xa9eeUWjDNv2EoK8L5UH96i3/KO26v3hIou5SPsCjZVJuBQPE6fB0Z2inSZDxdNgoFvuc/eRHttDevxyaUUSRdxnV1ktuZ5E+bY8kLS2b4oembgHzmCG4yej86jWim9bOpbdZDOB1S737+Rbv0oCOMB+QRpnnhLPtIze2LkrPpQ0VUkfhMM9H1amY9SgYTvOZLA==",
    );
    let salt = b64("obLD1OX2BxgpOktcbX6PkA==");
    // The account name is lowercased for H(I), so the case it was typed in does not matter.
    let proof = client
        .respond(
            "JDoe@Gmail.com",
            PASSWORD,
            SrpProtocol::S2k,
            &salt,
            ITERATIONS,
            &b,
        )
        .expect("valid challenge");
    assert_eq!(
        B64.encode(proof.m1),
        "Ni1ZWkW7R4S55abCwnc2sd/4eRGr1CcIQ4rRjnoizdo="
    );
    assert_eq!(
        B64.encode(proof.m2),
        "Z8PklzV+1nfLWnFmlw/XtzFGE0lJ3hX++V05LiTOuxs="
    );
}

#[test]
fn vector_2_s2k_fo() {
    check(&Vector {
        protocol: SrpProtocol::S2kFo,
        p: "fa6f296708894a83a61e24d2b7a95c5936886c55a781b36c951eea5024418ae2",
        x: "608fa222fe3fba738238d5fb167cab31bd97dd88e223dfe502de64fecb952891",
        v: "839380d735e4ee0ce15c22cf83ab2a502cd9fc907da4da08990471323b3004a9247e3896e41995e55b0404c87e2b86f0e65548530045d8e4443f513d7c2288dbb5aa50d906b37427992f4eef513eb2cff9d746c76f3a0a3062d85e3c517ff722f17be79d1dc659160e3fb855058e163e8d8053e7251e10bb181745276697ad026194d53ddc605ad10b599288be686605089de61587902c673d29e796ca7691f0a678e6ab8861fd18ccfd95502d9acd42000f48640eb0a72eb24b5bd6c4c4bb0c9fcc1b73dd5b59726250b99d35c19ddd88e012f1fd224f9caf6f53cd982cfc061f6f5e30016022c8a5acf53244b10ed3edff68c80e40daf83eef847ad3faac25",
        b_b64: "MUmuIqHCEL8YZppoNubQs2aC/2pwdHnQ9QG1dTTRaRW0G88zmsXovTt3cvtwNfY+lN9QCeAqe0w4JVUCXxQHc2Entz4SUrKiuQXgjDfflMZrLa1jL50487lWVDca8/AIY88NoibXdB0lpkyjD4RJl6sktiei6HetwNabTVboGqKcSewp6uzsWQUU8Izf4zpZVTDffpgKNzJ47K3dc+7w3k2RipxhHcp1348QmdV4PILmux+VnYlG3BK6svWZmPjdH9nf8FNs74Drnl3cIBv7iF7yEb8jehFtlb/rgUrKPzNuBZ7+x1EAlyaklYwHmGeGuf/QHfRRa5xfjbgVTwKY9w==",
        u: "5441a12942fe6937affc1764aea8499cd60f8744feab84c4d88cd7cd95d0df46",
        s: "7e448df0a8294c57394467ab274398ee34b8def3842d5ba3a9e93b62ac20f6eb2f81e07f0c0bdd3ab83288ecfa5e92789c35224ae63506088f459b69b9b2528c4ef05063044b1e6feb0018bc0dabc96b0a4c418fb8aa5337e4564c323b9e4a000d8db64926767aadd3d8cf5ce93e5707d29fc8ca00945674d0d0a33dfb394cd61b9d4de0b5c15f0dce13d1dd0f32a2d5bdef53e0b4ab12c8620e3f0c4b8ee2aac0635ec8d003ae2a67ff3e9cce064a5268f0017a2ea3230c8f1b617d8d4dc4027c03e210a45fc692e7ac9310a77d49bc679681159c1443f98780f31c1860d5049efcf31c364adcc10c8b1a352794f6864d6ff06724f5be080e7affe908b4207c",
        k: "f9a13ac4fd7e57cd72277ecd6321e4d11a19ad5f5f6ebb2cb9adb031c2d51e16",
        m1: "5eb35cef9aadd4aca7f7ac438be4c34bc0ba3f18b24f02880067075f6f32c904",
        m2: "0a8d21873b4c762e50c226d076e77f33f733b401e6c17b5cbf85d3f6d86c2158",
    });
}

#[test]
fn vector_3_padding_edge_case() {
    let client = SrpClient::from_private_key(&hex(
        "c1c7df4999bd47e34e5b219cf07e04aa24fa5f59948dc869b772bbb7ba74b1be",
    ));
    let a = client.public_key();
    assert_eq!(a.len(), 256);
    assert_eq!(a[0], 0);
    assert_eq!(a[1..5], [0xfa, 0xf2, 0xb5, 0x92]);
    assert_eq!(
        B64.encode(a),
        "APrytZJDBx0sDDiFoXQ43QITikMhBZDdXbAF1KJ4rbQyjnzxAAE8AzxMN4wyWBQWclODJQ1eL35gn1UUWCgnWOFcYJm+hc1JEXOrgVVu6CnenUYn7ubFiJRNWWjCcl3H36cYnz/9hHmFICSf6KRrQjMQEeoclt64rHCPadVFl6cDDe+DsMVdbuVMMjK6so/sBKEVuJkNYrmL2qQM84OPV4qlUhwraI32JvLrZ9+TuNkrEf2bAl4bw28sTVljJyf2Dk4ggy2kpqoI4X+IodxZAEyfu6y/QM0hzqdrkmg7y5KWDkugbmkPcY08fHZCi6cTOScSxySMhtVnIkkGyk/4CQ=="
    );
    let b = b64(
        "BOs3H3kv6JxCt7qs/QHeqT+KkvNarDMXAnqOicxYBaH+SBqDbmT1GsIdl7nBQ8c7jo95n35BTEe7/j5APNsqwasI3rdmRtJ1I9wqIy4Ar8cL6vVLY3aOuCrOtB+W9nCvDQWzUigLlzfGMQz8wpeLA4C3wfQRvwf2DI8MOMC5RMiJ5IN4yoq0oQRAOl3x+gE6tkjK+bF9Xp0i3gVvM5ziXZ8KNCF4LSaIL0hB1SAYX5/Lh+fK6KNdYlCRdO4NgyjhOuifQaydklThMR1C/Rll/mkGEzgQu7N5dN7N4zHqWTgW4+lhwxdp7x6dAyQuZEKZoYnUwoJgkTTkVNPIbOLQpA==",
    );
    let b_pub = BigUint::from_bytes_be(&b);
    let u = scrambler(a, &b_pub);
    assert_eq!(
        u,
        int("4b2f7d5514dea668693fa9b84602acad9a89de967cdbd05d8cf47bd6ea5f70b9")
    );

    let salt = hex(SALT_HEX);
    let x = private_x(
        &salt,
        &password_key(PASSWORD, SrpProtocol::S2k, &salt, ITERATIONS),
    );
    let s = client.premaster(&b_pub, &u, &x);
    assert_eq!(s.to_bytes_be().len(), 255, "S has a leading zero byte");
    assert_eq!(
        sha256(&[&pad(&s)]).to_vec(),
        hex("62b1e984ca3a8455f212dec3339eaaa3fd8e5b7072012492eb659df9890cfaea")
    );

    let proof = client
        .respond(USER, PASSWORD, SrpProtocol::S2k, &salt, ITERATIONS, &b)
        .expect("valid challenge");
    assert_eq!(
        proof.m1.to_vec(),
        hex("dc1464dc1e3ed1356213a8bc3c0be9ed0f3b23ae3c73ab95edfce07368e99dae")
    );
    assert_eq!(
        proof.m2.to_vec(),
        hex("6b88c9a164de8a7dd7950dfb0313088a41ef55b97973651a3f77cb402ab63f55")
    );
}

#[test]
fn round_trip_with_server_side_computation() {
    let mut rng = rand::thread_rng();
    for protocol in [SrpProtocol::S2k, SrpProtocol::S2kFo] {
        let mut salt = [0u8; 16];
        let mut b = [0u8; 32];
        rng.fill_bytes(&mut salt);
        rng.fill_bytes(&mut b);
        let password = b"correct horse battery staple";
        let iterations = 1000;
        let client = SrpClient::new();
        let n = modulus();
        let g = BigUint::from(G);

        // Server: verifier and public key.
        let x = private_x(&salt, &password_key(password, protocol, &salt, iterations));
        let v = g.modpow(&x, &n);
        let b = BigUint::from_bytes_be(&b);
        let b_pub = (multiplier() * &v + g.modpow(&b, &n)) % &n;

        let proof = client
            .respond(
                USER,
                password,
                protocol,
                &salt,
                iterations,
                &b_pub.to_bytes_be(),
            )
            .expect("valid challenge");

        // Server: session key from A, and the proof it expects.
        let a_pub = BigUint::from_bytes_be(client.public_key());
        let u = scrambler(client.public_key(), &b_pub);
        let s_server = (a_pub * v.modpow(&u, &n)).modpow(&b, &n);
        let k_server = sha256(&[&pad(&s_server)]);
        let expected = proofs(USER, &salt, client.public_key(), &b_pub, &k_server);
        assert_eq!(proof.m1, expected.m1);
        assert_eq!(proof.m2, expected.m2);

        // A wrong password gives a different proof.
        let wrong = client
            .respond(
                USER,
                b"wrong",
                protocol,
                &salt,
                iterations,
                &b_pub.to_bytes_be(),
            )
            .expect("valid challenge");
        assert_ne!(wrong.m1, expected.m1);
    }
}

#[test]
fn rejects_bad_parameters() {
    let client = SrpClient::from_private_key(&hex(A_PRIV));
    let salt = hex(SALT_HEX);
    let respond = |salt: &[u8], iterations, b: &[u8]| {
        client.respond(USER, PASSWORD, SrpProtocol::S2k, salt, iterations, b)
    };
    let b_ok = [7u8; 256];
    assert!(matches!(
        respond(&salt, ITERATIONS, &[0]),
        Err(SrpError::InvalidServerKey)
    ));
    assert!(matches!(
        respond(&salt, ITERATIONS, &[]),
        Err(SrpError::InvalidServerKey)
    ));
    assert!(matches!(
        respond(&salt, ITERATIONS, &N_BYTES),
        Err(SrpError::InvalidServerKey)
    ));
    let two_n = (modulus() * 2u32).to_bytes_be();
    assert!(matches!(
        respond(&salt, ITERATIONS, &two_n),
        Err(SrpError::InvalidServerKey)
    ));
    assert!(matches!(
        respond(&salt, 0, &b_ok),
        Err(SrpError::InvalidIterations(0))
    ));
    assert!(matches!(
        respond(&salt, 1_000_001, &b_ok),
        Err(SrpError::InvalidIterations(1_000_001))
    ));
    assert!(matches!(
        respond(&[], ITERATIONS, &b_ok),
        Err(SrpError::EmptySalt)
    ));
    assert!(respond(&salt, 1, &b_ok).is_ok());
}

#[test]
fn protocol_wire_names() {
    assert_eq!(SrpProtocol::from_wire("s2k"), Some(SrpProtocol::S2k));
    assert_eq!(SrpProtocol::from_wire("s2k_fo"), Some(SrpProtocol::S2kFo));
    assert_eq!(SrpProtocol::from_wire("S2K"), None);
    assert_eq!(SrpProtocol::from_wire(""), None);
}

#[test]
fn debug_hides_secrets() {
    let client = SrpClient::from_private_key(&[0xAB; 32]);
    let text = format!("{client:?}");
    assert_eq!(text, "SrpClient { .. }");
    let proof = SrpProof {
        m1: [0xCD; 32],
        m2: [0xEF; 32],
        key: [0x12; 32],
    };
    assert_eq!(format!("{proof:?}"), "SrpProof { .. }");
    assert_eq!(lower_hex(&[0x0b, 0xa0, 0xff]), "0ba0ff");
}
