//! Injected faults.

use icloud_fake::Fault;

use crate::client::Client;
use crate::{ID, PW, fake_with};

#[test]
fn service_unavailable_shape_and_count() {
    let fake = fake_with(|a| a);
    fake.set_fault(Fault::ServiceUnavailable {
        path_suffix: "/signin/init".into(),
        times: Some(1),
    });
    let mut c = Client::new(&fake.base_url());
    let resp = c.idmsa("POST", "/signin/init", Some(serde_json::json!({})));
    assert_eq!(resp.status, 503);
    assert_eq!(resp.header("Content-Type"), Some("text/html;charset=UTF-8"));
    assert_eq!(resp.text(), "Service Temporary Unavailable");
    assert_eq!(c.sign_in(ID, PW).status, 409, "fault used up");
    assert_eq!(fake.count("POST", "/signin/init"), 2);
    assert_eq!(fake.requests()[0].status, 503);
}

#[test]
fn status_faults() {
    let fake = fake_with(|a| a);
    fake.set_fault(Fault::Status {
        path_suffix: "/validate".into(),
        status: 450,
        times: None,
    });
    fake.set_fault(Fault::Status {
        path_suffix: "/accountLogin".into(),
        status: 400,
        times: None,
    });
    let mut c = Client::new(&fake.base_url());
    let v = c.setup("POST", "validate", None);
    assert_eq!(
        (v.status, v.json()["success"].clone()),
        (450, serde_json::json!(false))
    );
    let a = c.setup("POST", "accountLogin", None);
    assert_eq!((a.status, a.text()), (400, "Bad Request".to_owned()));
    fake.clear_faults();
    assert_eq!(c.setup("POST", "validate", None).status, 421);
}
