//! The web UI over real HTTP: a [`WebUi`] on 127.0.0.1:0, a worker played by the test, and
//! the requests a browser or a tool sends.

use std::sync::Arc;
use std::time::Duration;

use icloud_auth::ExposeSecret;
use reqwest::StatusCode;
use serde_json::Value;

use super::exchange::Status;
use super::*;

const PASSWORD: &str = "s3cret-Pa55word";

/// Where a test UI listens: 127.0.0.1 on `port`.
fn local(port: u16) -> Listen {
    Listen {
        host: "127.0.0.1".to_owned(),
        port,
        ..Listen::default()
    }
}

/// A web UI and a client that remembers every body it received.
struct Ui {
    web: WebUi,
    http: reqwest::Client,
    bodies: Vec<String>,
}

impl Ui {
    async fn start() -> Ui {
        let overview = vec!["Directory: /photos".to_owned(), "Size: original".to_owned()];
        Ui {
            web: WebUi::start(local(0), overview).await.unwrap(),
            http: reqwest::Client::new(),
            bodies: Vec::new(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.web.addr())
    }

    fn x(&self) -> Arc<Exchange> {
        self.web.exchange().clone()
    }

    async fn keep(&mut self, response: reqwest::Response) -> (StatusCode, String) {
        let code = response.status();
        let body = response.text().await.unwrap();
        self.bodies.push(body.clone());
        (code, body)
    }

    async fn get(&mut self, path: &str) -> (StatusCode, String) {
        let response = self.http.get(self.url(path)).send().await.unwrap();
        self.keep(response).await
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
        let response = self
            .http
            .post(self.url(path))
            .form(form)
            .send()
            .await
            .unwrap();
        self.keep(response).await
    }

    async fn json(&mut self) -> Value {
        let response = self
            .http
            .get(self.url("/status"))
            .header("accept", "application/json")
            .send()
            .await
            .unwrap();
        let (code, body) = self.keep(response).await;
        assert_eq!(code, StatusCode::OK);
        serde_json::from_str(&body).unwrap()
    }

    /// Waits until the status is `status` (the worker runs in another task).
    async fn wait_for(&self, status: Status) {
        let x = self.x();
        tokio::time::timeout(Duration::from_secs(5), async {
            while x.status() != status {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await
        .unwrap_or_else(|_| panic!("status stayed {} instead of {status}", x.status()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_transitions_and_refusals() {
    let mut ui = Ui::start().await;
    let (code, page) = ui.get("/").await;
    assert_eq!(code, StatusCode::OK);
    assert!(page.contains("<title>iCloud Photos Downloader</title>"));
    assert!(page.contains("No input is needed"), "{page}");
    assert!(page.contains("<li>Directory: /photos</li>"), "{page}");

    // Nobody asked for a password yet.
    let (code, body) = ui.post("/password", &[("password", PASSWORD)]).await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    assert!(body.contains("Wrong password for iCloud account"), "{body}");

    let worker = tokio::spawn({
        let x = ui.x();
        async move { x.password().await }
    });
    ui.wait_for(Status::NeedPassword).await;
    let (_, status) = ui.get("/status").await;
    assert!(status.contains("Password for iCloud account"), "{status}");
    assert!(
        status.contains("name=\"password\" type=\"password\""),
        "{status}"
    );

    // A code, an empty password, no field, no form: all refused, the status unchanged.
    let (code, body) = ui.post("/code", &[("code", "123456")]).await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    assert!(
        body.contains("Wrong Two-Factor Code for iCloud account"),
        "{body}"
    );
    for form in [&[("password", "")][..], &[("pass", PASSWORD)][..]] {
        let (code, body) = ui.post("/password", form).await;
        assert_eq!(code, StatusCode::BAD_REQUEST, "{form:?}");
        assert!(body.contains("Wrong password for iCloud account"), "{body}");
    }
    let response = ui
        .http
        .post(ui.url("/password"))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(ui.keep(response).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(ui.x().status(), Status::NeedPassword);

    let (code, body) = ui.post("/password", &[("password", PASSWORD)]).await;
    assert_eq!(code, StatusCode::OK);
    assert!(
        body.contains("Password submitted and being checked for iCloud account"),
        "{body}"
    );
    let received = worker.await.unwrap().expect("a password");
    assert_eq!(received.expose_secret(), PASSWORD);
    let (_, status) = ui.get("/status").await;
    assert!(status.contains("Status: CHECKING_PASSWORD"), "{status}");
    let (code, _) = ui.post("/password", &[("password", PASSWORD)]).await;
    assert_eq!(
        code,
        StatusCode::BAD_REQUEST,
        "no second password while checking"
    );

    // Refused by Apple: shown, and asked again.
    assert!(ui.x().set_error("Invalid email/password combination."));
    let (_, status) = ui.get("/status").await;
    assert!(status.contains("No input is needed"), "{status}");
    assert!(
        status.contains("Last error: Invalid email/password combination."),
        "{status}"
    );
    let worker = tokio::spawn({
        let x = ui.x();
        async move { x.password().await }
    });
    ui.wait_for(Status::NeedPassword).await;
    let (_, status) = ui.get("/status").await;
    assert!(
        status.contains("Invalid email/password combination."),
        "{status}"
    );
    assert!(status.contains("Password for iCloud account"), "{status}");
    ui.post("/password", &[("password", PASSWORD)]).await;
    worker.await.unwrap().expect("a password");
    assert!(ui.x().password_accepted());
    assert_eq!(ui.x().status(), Status::NoInputNeeded);
    let (_, status) = ui.get("/status").await;
    assert!(
        !status.contains("Invalid email"),
        "error cleared by the new answer: {status}"
    );
    ui.json().await;

    for body in &ui.bodies {
        assert!(!body.contains(PASSWORD), "the password was echoed: {body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_transitions_with_sms() {
    let mut ui = Ui::start().await;
    let x = ui.x();
    x.set_current_user("jdoe@gmail.com");
    let (code, _) = ui.post("/code", &[("code", "123456")]).await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "no code asked for yet");
    assert!(x.need_mfa(vec!["(***) ***-**81".into(), "(***) ***-**22".into()]));
    assert!(!x.need_mfa(vec![]), "only from NO_INPUT_NEEDED");
    let (_, status) = ui.get("/status").await;
    assert!(
        status.contains("Two-Factor code for jdoe@gmail.com"),
        "{status}"
    );
    assert!(
        status.contains("Send a code by SMS to (***) ***-**81"),
        "{status}"
    );
    assert!(
        status.contains("Send a code by SMS to (***) ***-**22"),
        "{status}"
    );
    assert!(
        !status.contains("name=\"phone\" value=\"0\">\n<button"),
        "{status}"
    );

    let (code, body) = ui.post("/password", &[("password", PASSWORD)]).await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    assert!(body.contains("Wrong password for jdoe@gmail.com"), "{body}");
    for bad in ["12345", "1234567", "abcdef", ""] {
        let (code, body) = ui.post("/code", &[("code", bad)]).await;
        assert_eq!(code, StatusCode::BAD_REQUEST, "{bad:?}");
        assert!(
            body.contains("Wrong Two-Factor Code for jdoe@gmail.com"),
            "{body}"
        );
    }
    for bad in ["2", "x", "-1"] {
        let (code, body) = ui.post("/sms", &[("phone", bad)]).await;
        assert_eq!(code, StatusCode::BAD_REQUEST, "{bad:?}");
        assert!(
            body.contains("Cannot send a code by SMS for jdoe@gmail.com"),
            "{body}"
        );
    }

    // An SMS request reaches the worker, and the form then asks for that code.
    let (code, body) = ui.post("/sms", &[("phone", "1")]).await;
    assert_eq!(code, StatusCode::OK);
    assert!(
        body.contains("Sending a code by SMS to (***) ***-**22"),
        "{body}"
    );
    assert_eq!(x.mfa_input().await, MfaInput::SendSms(1));
    assert_eq!(x.status(), Status::NeedMfa);
    x.sms_sent(1);
    let (_, status) = ui.get("/status").await;
    assert!(
        status.contains("A code was sent by SMS to (***) ***-**22."),
        "{status}"
    );
    assert!(
        status.contains(
            "<input type=\"hidden\" name=\"phone\" value=\"1\">\n<button type=\"submit\">Submit"
        ),
        "{status}"
    );

    let (code, _) = ui
        .post("/code", &[("code", "111111"), ("phone", "7")])
        .await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "no such phone");
    let (code, body) = ui
        .post("/code", &[("code", " 123-456 "), ("phone", "1")])
        .await;
    assert_eq!(code, StatusCode::OK);
    assert!(
        body.contains("Code submitted and being checked for jdoe@gmail.com"),
        "{body}"
    );
    let input = x.mfa_input().await;
    assert_eq!(
        input,
        MfaInput::Code {
            code: "123456".into(),
            phone: Some(1)
        }
    );
    assert_eq!(x.status(), Status::CheckingMfa);
    let (_, status) = ui.get("/status").await;
    assert!(status.contains("Status: CHECKING_MFA"), "{status}");

    // Wrong code: shown with the form again; a device code then works.
    assert!(x.set_error("Failed to verify two-factor authentication code"));
    let (_, status) = ui.get("/status").await;
    assert!(
        status.contains("Failed to verify two-factor authentication code"),
        "{status}"
    );
    assert!(
        status.contains("Two-Factor code for jdoe@gmail.com"),
        "{status}"
    );
    let (code, _) = ui.post("/code", &[("code", "654321")]).await;
    assert_eq!(code, StatusCode::OK);
    let input = x.mfa_input().await;
    assert_eq!(
        input,
        MfaInput::Code {
            code: "654321".into(),
            phone: None
        }
    );
    assert!(x.mfa_accepted());
    let (_, status) = ui.get("/status").await;
    assert!(status.contains("No input is needed"), "{status}");
    assert!(status.contains("Account: jdoe@gmail.com"), "{status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_status() {
    let mut ui = Ui::start().await;
    let x = ui.x();
    let v = ui.json().await;
    assert_eq!(v["status"], "no_input_needed");
    assert_eq!(v["user"], Value::Null);
    assert_eq!(v["error"], Value::Null);
    assert_eq!(v["sms_sent_to"], Value::Null);
    assert_eq!(v["overview"][1], "Size: original");
    x.start_progress(Some(300));
    for _ in 0..12 {
        x.advance_progress();
    }
    x.set_waiting(Some(Duration::from_secs(90)));
    let v = ui.json().await;
    assert_eq!(v["progress"]["done"], 12);
    assert_eq!(v["progress"]["total"], 300);
    assert!(v["progress"]["next_run_in_seconds"].as_u64().unwrap() <= 90);
    let (_, status) = ui.get("/status").await;
    assert!(status.contains("Progress: 12 of 300 (4%)"), "{status}");
    assert!(
        status.contains("Next run in <span data-countdown="),
        "{status}"
    );

    x.set_current_user("jdoe@gmail.com");
    x.need_mfa(vec!["(***) ***-**81".into()]);
    x.request_sms(0).unwrap();
    x.mfa_input().await;
    x.sms_sent(0);
    x.mfa_notice("Failed to send two-factor authentication code");
    let v = ui.json().await;
    assert_eq!(v["status"], "need_mfa");
    assert_eq!(v["user"], "jdoe@gmail.com");
    assert_eq!(v["phones"][0], "(***) ***-**81");
    assert_eq!(v["sms_sent_to"], 0);
    assert_eq!(v["error"], "Failed to send two-factor authentication code");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_and_cancel() {
    let mut ui = Ui::start().await;
    let x = ui.x();
    let resumed = tokio::spawn({
        let x = x.clone();
        async move { x.resumed().await }
    });
    let cancelled = tokio::spawn({
        let x = x.clone();
        async move { x.cancelled().await }
    });
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert!(!resumed.is_finished() && !cancelled.is_finished());
    assert_eq!(ui.post("/resume", &[]).await, (StatusCode::OK, "Ok".into()));
    tokio::time::timeout(Duration::from_secs(5), resumed)
        .await
        .unwrap()
        .unwrap();
    assert!(!cancelled.is_finished(), "resume is not cancel");
    let (code, body) = ui.post("/cancel", &[]).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(body, "Ok");
    tokio::time::timeout(Duration::from_secs(5), cancelled)
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_poll_answers_on_change() {
    let mut ui = Ui::start().await;
    let version = ui.json().await["version"].as_u64().unwrap();
    let url = ui.url(&format!("/status?after={version}"));
    let poll = tokio::spawn({
        let http = ui.http.clone();
        async move { http.get(url).send().await.unwrap().text().await.unwrap() }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!poll.is_finished(), "nothing changed yet");
    ui.x().need_mfa(vec![]);
    let fragment = tokio::time::timeout(Duration::from_secs(5), poll)
        .await
        .unwrap()
        .unwrap();
    assert!(
        fragment.contains("Two-Factor code for iCloud account"),
        "{fragment}"
    );
    // A stale version answers at once.
    let (_, fragment) = ui.get(&format!("/status?after={version}")).await;
    assert!(fragment.contains("data-status=\"need_mfa\""), "{fragment}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_without_javascript_get_the_page() {
    let mut ui = Ui::start().await;
    let response = ui
        .http
        .post(ui.url("/cancel"))
        .header("accept", "text/html,application/xhtml+xml")
        .header("origin", format!("http://{}", ui.web.addr()))
        .form(&[("x", "")])
        .send()
        .await
        .unwrap();
    let (code, body) = ui.keep(response).await;
    assert_eq!(code, StatusCode::OK);
    assert!(
        body.contains("<title>iCloud Photos Downloader</title>"),
        "{body}"
    );
    assert!(body.contains("<p class=\"message ok\">Ok</p>"), "{body}");
    assert!(body.contains("No input is needed"), "{body}");
    // A page on another site cannot answer.
    let response = ui
        .http
        .post(ui.url("/cancel"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn static_files_and_headers() {
    let ui = Ui::start().await;
    for (path, kind) in [
        ("/static/style.css", "text/css"),
        ("/static/app.js", "text/javascript"),
        ("/", "text/html"),
    ] {
        let response = ui.http.get(ui.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let headers = response.headers();
        let content_type = headers["content-type"].to_str().unwrap();
        assert!(content_type.starts_with(kind), "{path}: {content_type}");
        assert!(
            headers["content-security-policy"]
                .to_str()
                .unwrap()
                .starts_with("default-src 'self'")
        );
    }
    let page = ui
        .http
        .get(ui.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "nothing from elsewhere"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_stops_the_server() {
    let ui = Ui::start().await;
    let addr = ui.web.addr();
    let version = ui.x().snapshot().version;
    let poll = tokio::spawn({
        let http = ui.http.clone();
        let url = ui.url(&format!("/status?after={version}"));
        async move { http.get(url).send().await }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    drop(ui);
    tokio::time::timeout(Duration::from_secs(5), poll)
        .await
        .expect("the long poll ends with the server")
        .unwrap()
        .ok();
    let refused = tokio::time::timeout(Duration::from_secs(5), async {
        while tokio::net::TcpStream::connect(addr).await.is_ok() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert!(refused.is_ok(), "{addr} still accepts connections");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bind_failure_names_the_address() {
    let ui = Ui::start().await;
    let port = ui.web.addr().port();
    let err = WebUi::start(local(port), vec![]).await.unwrap_err();
    assert!(
        err.to_string().contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_given_token_is_asked_for_even_on_loopback_and_kept_in_a_cookie() {
    let token = "a-given-token-0123456789";
    let listen = Listen {
        token: Some(SecretString::from(token)),
        allowed_hosts: vec!["proxy.example".to_owned()],
        ..local(0)
    };
    let web = WebUi::start(listen, vec![]).await.unwrap();
    let http = reqwest::Client::new();
    let url = |path: &str| format!("http://{}{path}", web.addr());
    let status = |r: reqwest::Response| r.status();

    let bare = http.get(url("/status")).send().await.unwrap();
    assert_eq!(bare.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        bare.headers()["www-authenticate"],
        "Bearer realm=\"icloudpd\""
    );
    let first = http
        .get(url(&format!("/?token={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    let cookie = first.headers()["set-cookie"].to_str().unwrap().to_owned();
    let port = web.addr().port();
    assert_eq!(
        cookie,
        format!("icloudpd-webui-{port}={token}; Path=/; HttpOnly; SameSite=Strict")
    );
    let pair = cookie.split(';').next().unwrap().to_owned();
    let kept = http
        .get(url("/status"))
        .header("cookie", &pair)
        .send()
        .await;
    assert_eq!(status(kept.unwrap()), StatusCode::OK);
    let bearer = http.get(url("/status")).bearer_auth(token).send().await;
    assert_eq!(status(bearer.unwrap()), StatusCode::OK);
    // A name given with --webui-allowed-host, and one that is not.
    let proxied = http
        .get(url("/status"))
        .header("host", "proxy.example")
        .bearer_auth(token)
        .send()
        .await;
    assert_eq!(status(proxied.unwrap()), StatusCode::OK);
    let foreign = http
        .get(url("/status"))
        .header("host", "evil.example")
        .bearer_auth(token)
        .send()
        .await;
    assert_eq!(status(foreign.unwrap()), StatusCode::FORBIDDEN);
}
