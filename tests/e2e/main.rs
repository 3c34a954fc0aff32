//! End-to-end tests: the libraries composed exactly as an embedder would, against `icloud-fake`.

mod apple_hosts;
mod photos;
mod sign_in;

#[test]
fn every_test_module_is_included() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e");
    let main = std::fs::read_to_string(dir.join("main.rs")).unwrap();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if let Some(stem) = name.strip_suffix(".rs")
            && stem != "main"
        {
            assert!(
                main.contains(&format!("mod {stem};")),
                "tests/e2e/{name} is not in main.rs"
            );
        }
    }
}
