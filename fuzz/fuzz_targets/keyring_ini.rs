//! The plain-text keyring file of Python's keyrings.alt (an INI file as configparser reads and
//! writes it), the input being the file: reading never panics; a file read and written is read
//! the same way, and is stable from its second rewrite on; a password stored in any readable
//! file is read back, and after its removal only `[DEFAULT]` can answer for it.
#![no_main]

use icloud_auth::fuzzing::{ini_load, ini_remove, ini_rewrite, ini_store};
use libfuzzer_sys::fuzz_target;

const SERVICES: [&str; 3] = ["pyicloud://icloud-password", "DEFAULT", "other service"];
const USERS: [&str; 3] = ["jdoe@gmail.com", "Other@Example.com", "zoë"];

fuzz_target!(|data: &[u8]| {
    let Ok(file) = std::str::from_utf8(data) else {
        return;
    };
    let service = SERVICES[data.len() % SERVICES.len()];
    let user = USERS[data.len() / SERVICES.len() % USERS.len()];
    let secret = &data[..data.len().min(80)];

    let Ok(once) = ini_rewrite(file) else {
        return;
    };
    let twice = ini_rewrite(&once).expect("a written file can be read");
    assert_eq!(
        ini_rewrite(&twice).as_ref(),
        Ok(&twice),
        "rewriting is stable"
    );
    assert_eq!(
        ini_load(file, service, user),
        ini_load(&once, service, user)
    );

    let stored = ini_store(file, service, user, secret).expect("a readable file stays readable");
    assert_eq!(
        ini_load(&stored, service, user),
        Ok(Some(secret.to_vec())),
        "{stored:?}"
    );
    let removed = ini_remove(&stored, service, user).expect("readable");
    let removed = removed.expect("the password was there");
    assert_eq!(
        ini_load(&removed, service, user),
        ini_load(&removed, "DEFAULT", user),
        "{removed:?}"
    );
});
