//! Running as a service: stop signals, the metrics and health endpoint, the JSON report.

pub mod metrics;
pub mod report_json;
pub mod signals;
