//! The web UI in a real browser: headless Chromium, driven over W3C WebDriver by
//! `chromedriver`, types the password and the two-factor code into the page that
//! `icloudpd --password-provider webui --mfa-provider webui` serves, and the sign-in against
//! the fake completes.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them); without them
//! these tests fail, they never skip.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use icloud_fake::{FakeAccount, FakeICloud};
use serde_json::{Value, json};

use crate::live::{PATIENCE, Running, block_on, client, wait_until};
use crate::{PASSWORD, USER, command, cookie_dir, fake, free_port};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// The key of an element reference in WebDriver answers.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A WebDriver session in headless Chromium; the driver is killed on drop.
struct Browser {
    /// `http://127.0.0.1:PORT/session/ID`.
    session: String,
    driver: Child,
}

impl Browser {
    fn start() -> Browser {
        for tool in [CHROMIUM, CHROMEDRIVER] {
            assert!(
                Path::new(tool).exists(),
                "{tool} is missing: this test needs a real browser; run `apt-get install chromium chromium-driver`"
            );
        }
        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let mut browser = Browser {
            session: format!("http://127.0.0.1:{port}"),
            driver,
        };
        let ready = wait_until(Duration::from_secs(20), || {
            let status = browser.call("GET", "/status", None).ok()?;
            status["ready"].as_bool().filter(|r| *r)
        });
        assert!(ready.is_some(), "chromedriver did not get ready");
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
            },
        }}});
        let created = browser
            .call("POST", "/session", Some(capabilities))
            .unwrap_or_else(|e| panic!("no browser session: {e}"));
        let id = created["sessionId"].as_str().expect("a session id");
        browser.session = format!("{}/session/{id}", browser.session);
        browser
    }

    /// Sends one WebDriver command (`path` relative to the session, or to the driver before
    /// one exists) and returns its `value`, or the error message.
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        let url = format!("{}{path}", self.session);
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        block_on(async {
            let mut request = client().request(method, url).timeout(PATIENCE);
            if let Some(body) = body {
                request = request.json(&body);
            }
            let response = request.send().await.map_err(|e| e.to_string())?;
            let ok = response.status().is_success();
            let answer: Value = response.json().await.map_err(|e| e.to_string())?;
            let value = answer["value"].clone();
            if ok {
                Ok(value)
            } else {
                Err(format!("{}: {}", value["error"], value["message"]))
            }
        })
    }

    fn goto(&self, url: &str) {
        self.call("POST", "/url", Some(json!({ "url": url })))
            .unwrap();
    }

    /// Returns the element `css` selects now, if any.
    fn find(&self, css: &str) -> Option<String> {
        let found = self
            .call(
                "POST",
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .ok()?;
        Some(found[ELEMENT].as_str()?.to_owned())
    }

    /// Returns the element `css` selects once it appears.
    fn wait_for(&self, css: &str) -> String {
        wait_until(PATIENCE, || self.find(css))
            .unwrap_or_else(|| panic!("{css} did not appear; the page says:\n{}", self.page_text()))
    }

    fn text(&self, element: &str) -> Option<String> {
        let text = self
            .call("GET", &format!("/element/{element}/text"), None)
            .ok()?;
        Some(text.as_str()?.to_owned())
    }

    fn page_text(&self) -> String {
        self.find("body")
            .and_then(|body| self.text(&body))
            .unwrap_or_default()
    }

    /// Waits until the page shows `wanted`.
    fn wait_for_text(&self, wanted: &str) {
        let seen = wait_until(PATIENCE, || self.page_text().contains(wanted).then_some(()));
        assert!(
            seen.is_some(),
            "{wanted:?} did not appear; the page says:\n{}",
            self.page_text()
        );
    }

    fn type_into(&self, css: &str, text: &str) {
        let element = self.wait_for(css);
        self.call(
            "POST",
            &format!("/element/{element}/value"),
            Some(json!({ "text": text })),
        )
        .unwrap();
    }

    fn click(&self, css: &str) {
        let element = self.wait_for(css);
        self.call(
            "POST",
            &format!("/element/{element}/click"),
            Some(json!({})),
        )
        .unwrap();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if self.session.contains("/session/") {
            let _ = self.call("DELETE", "", None);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Starts `icloudpd --auth-only` answering only through the web UI, sessions kept in
/// `cookies`; returns it and the web UI's URL.
fn start_icloudpd(fake: &FakeICloud, cookies: &Path) -> (Running, String) {
    let mut cmd = command(Some(fake));
    cmd.args(["-u", USER])
        .args(["--password-provider", "webui", "--mfa-provider", "webui"])
        .args(["--webui-port", "0", "--auth-only"])
        .args(["--cookie-directory", &cookie_dir(cookies)]);
    let mut running = Running::spawn(cmd);
    let url = format!("http://{}/", running.web_addr());
    (running, url)
}

/// Returns the code the fake delivered for the current sign-in.
fn delivered_code(fake: &FakeICloud) -> String {
    wait_until(PATIENCE, || fake.current_code(USER)).expect("the fake delivered a code")
}

#[test]
fn password_and_code_typed_in_a_browser_after_a_wrong_password() {
    let fake = fake([FakeAccount::new(USER, PASSWORD)]);
    let cookies = tempfile::tempdir().unwrap();
    let (icloudpd, url) = start_icloudpd(&fake, cookies.path());
    let browser = Browser::start();
    browser.goto(&url);

    browser.wait_for_text("Password for jdoe@gmail.com");
    browser.type_into("input[name=password]", "not-the-password");
    browser.click("form[action='/password'] button");
    // Refused by the fake: the error, and the form again.
    let error = browser.wait_for("p.error");
    let text = browser.text(&error).unwrap_or_default();
    assert!(
        text.contains("Invalid email/password combination"),
        "{text}"
    );
    browser.wait_for_text("Password for jdoe@gmail.com");
    assert!(
        browser
            .page_text()
            .contains("Invalid email/password combination"),
        "the error stays with the form: {}",
        browser.page_text()
    );

    browser.type_into("input[name=password]", PASSWORD);
    browser.click("form[action='/password'] button");
    browser.wait_for_text("Two-Factor code for jdoe@gmail.com");
    assert!(browser.find("p.error").is_none(), "{}", browser.page_text());
    let code = delivered_code(&fake);
    browser.type_into("input[name=code]", &code);
    browser.click("form[action='/code'] button");

    let (code, output) = icloudpd.finish();
    assert_eq!(code, Some(0), "{output}");
    assert!(
        output.contains("Authentication completed successfully"),
        "{output}"
    );
    assert!(
        !output.contains(PASSWORD),
        "the password reached the log:\n{output}"
    );
    assert!(fake.count("POST", "/signin/complete") >= 2, "two sign-ins");
    assert_eq!(fake.count("POST", "/verify/trusteddevice/securitycode"), 1);
    assert_eq!(fake.count("GET", "/2sv/trust"), 1);
    // The page notices that icloudpd is gone.
    browser.wait_for_text("icloudpd cannot be reached");
}

#[test]
fn sms_code_requested_in_a_browser() {
    let fake = fake([FakeAccount::new(USER, PASSWORD)]);
    let cookies = tempfile::tempdir().unwrap();
    let (icloudpd, url) = start_icloudpd(&fake, cookies.path());
    let browser = Browser::start();
    browser.goto(&url);

    browser.type_into("input[name=password]", PASSWORD);
    browser.click("form[action='/password'] button");
    browser.wait_for_text("Two-Factor code for jdoe@gmail.com");
    // Typing starts, then the SMS is asked for: what was typed stays.
    browser.type_into("input[name=code]", "12");
    browser.click("form[action='/sms'] button");
    browser.wait_for_text("A code was sent by SMS to (***) ***-**81.");
    browser.wait_for("form[action='/code'] input[name=phone][value='0']");
    let typed = browser.wait_for("input[name=code]");
    let value = browser
        .call("GET", &format!("/element/{typed}/property/value"), None)
        .unwrap();
    assert_eq!(value, "12");
    let code = delivered_code(&fake);
    let clear = browser.wait_for("input[name=code]");
    browser
        .call("POST", &format!("/element/{clear}/clear"), Some(json!({})))
        .unwrap();
    browser.type_into(
        "input[name=code]",
        &format!("{}-{}", &code[..3], &code[3..]),
    );
    browser.click("form[action='/code'] button");

    let (code, output) = icloudpd.finish();
    assert_eq!(code, Some(0), "{output}");
    assert!(
        output.contains("Authentication completed successfully"),
        "{output}"
    );
    assert_eq!(fake.count("PUT", "/verify/phone"), 1);
    assert_eq!(fake.count("POST", "/verify/phone/securitycode"), 1);
    assert_eq!(fake.count("GET", "/2sv/trust"), 1);
}

#[test]
fn the_adp_approval_and_the_trust_expiry_are_shown_in_a_browser() {
    let fake = fake([FakeAccount::new(USER, PASSWORD)
        .adp(true)
        .pcs_polls_before_consent(1)
        .library(icloud_fake::FakeLibrary::generated(3, 1))]);
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = command(Some(&fake));
    cmd.args(["-u", USER])
        .args(["--password-provider", "webui", "--mfa-provider", "webui"])
        .args(["--webui-port", "0", "--watch-with-interval", "3600"])
        .args(["--cookie-directory", &cookie_dir(&dir.path().join("c"))])
        .args(["--directory", &cookie_dir(&dir.path().join("photos"))]);
    let mut icloudpd = Running::spawn(cmd);
    let url = format!("http://{}/", icloudpd.web_addr());
    let browser = Browser::start();
    browser.goto(&url);

    browser.type_into("input[name=password]", PASSWORD);
    browser.click("form[action='/password'] button");
    browser.wait_for_text("Two-Factor code for jdoe@gmail.com");
    browser.type_into("input[name=code]", &delivered_code(&fake));
    browser.click("form[action='/code'] button");
    // Apple waits for a device: the page says what to do.
    browser.wait_for_text("approve the request to access your iCloud data on the web");
    // Then the sync runs, and the page shows until when Apple trusts the session.
    browser.wait_for_text("Apple trusts the session of jdoe@gmail.com until ");
    // The fake trusts for 60 days from the code, a few seconds ago (midnight may be between).
    let days: Vec<String> = [0, 60]
        .iter()
        .map(|s| {
            (chrono::Local::now() + chrono::Duration::days(60) - chrono::Duration::seconds(*s))
                .date_naive()
                .to_string()
        })
        .collect();
    let text = browser.page_text();
    assert!(days.iter().any(|d| text.contains(d)), "{days:?} in {text}");
    icloudpd.wait_for("Waiting for 3600 sec...");
    assert!(
        !browser.page_text().contains("approve the request"),
        "the notice goes once the keys came: {}",
        browser.page_text()
    );
}

#[test]
fn a_browser_opens_the_logged_address_of_a_web_ui_on_a_network_address() {
    let fake = fake([FakeAccount::new(USER, PASSWORD)]);
    let cookies = tempfile::tempdir().unwrap();
    let mut cmd = command(Some(&fake));
    cmd.args(["-u", USER])
        .args(["--password-provider", "webui", "--mfa-provider", "webui"])
        .args([
            "--webui-host",
            "0.0.0.0",
            "--webui-port",
            "0",
            "--auth-only",
        ])
        .args(["--cookie-directory", &cookie_dir(cookies.path())]);
    let mut icloudpd = Running::spawn(cmd);
    let url = icloudpd.web_url();
    let token = url.token.clone().expect("the token is logged");
    let browser = Browser::start();

    // Without the token the page says where to find it, and nothing else.
    browser.goto(&format!("http://{}/", url.addr));
    browser.wait_for_text("This page needs its token");
    assert!(browser.find("input[name=password]").is_none());

    // The logged address (here by IP): the forms and the long poll carry the token from then on.
    browser.goto(&format!("http://{}/?token={token}", url.addr));
    browser.type_into("input[name=password]", PASSWORD);
    browser.click("form[action='/password'] button");
    browser.wait_for_text("Two-Factor code for jdoe@gmail.com");
    // A later visit without the token in the address: the cookie is enough.
    browser.goto(&format!("http://{}/", url.addr));
    browser.wait_for_text("Two-Factor code for jdoe@gmail.com");
    browser.type_into("input[name=code]", &delivered_code(&fake));
    browser.click("form[action='/code'] button");

    let (code, output) = icloudpd.finish();
    assert_eq!(code, Some(0), "{output}");
    assert!(
        output.contains("Authentication completed successfully"),
        "{output}"
    );
    assert_eq!(fake.count("GET", "/2sv/trust"), 1);
}
