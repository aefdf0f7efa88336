//! The API's endpoints answered in-process (the router itself, no socket): tokens and roles, parameters
//! named in 400s, the 503 when every place is taken, and the document against the routes.

use super::*;
use crate::auth::Role;
use crate::project::Project;
use crate::tag::{Quality, Timestamp, Value};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use tower::ServiceExt;

struct Fixture {
    _dir: tempfile::TempDir,
    shared: Arc<Shared>,
    viewer: String,
    supervisor: String,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let project = Project::demo().unwrap();
    let mut snap = crate::hub::Snapshot::empty(project.site.tags.clone(), Vec::new());
    let id = project.site.tags.id_of("ct01/weight").unwrap();
    snap.tags[id.index()].value = Some(Value::F64(12_345.5));
    snap.tags[id.index()].quality = Quality::Good;
    snap.tags[id.index()].receive_ts = Timestamp::now();
    let key = Arc::new(crate::records::SiteKey::random());
    let tokens = dir.path().join("api-tokens.db");
    let store = tokens::TokenStore::open(&tokens, key.clone()).unwrap();
    let viewer = store.add("erp", Role::Viewer, Timestamp(1)).unwrap();
    let supervisor = store.add("boss", Role::Supervisor, Timestamp(1)).unwrap();
    let audit = dir.path().join("audit.db");
    let sources = Sources {
        site: project.site.name.clone(),
        snapshot: Arc::new(ArcSwap::from_pointee(snap)),
        alarms: Arc::new(ArcSwap::from_pointee(crate::alarm::AlarmView::default())),
        history: None,
        journal: None,
        audit: Some(audit),
        jobs: None,
        production: None,
        tokens,
        key,
    };
    let mut cfg = crate::project::site::ApiConfig::new("127.0.0.1:0".parse().unwrap());
    cfg.max_concurrent = 2;
    let shared = Arc::new(Shared::new(sources, &cfg, store.table().unwrap().0));
    Fixture {
        _dir: dir,
        shared,
        viewer,
        supervisor,
    }
}

fn ask(f: &Fixture, method: &str, uri: &str, token: Option<&str>) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let resp = router(f.shared.clone())
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = axum::body::to_bytes(resp.into_body(), 64 << 20).await.unwrap().to_vec();
        (status, headers, body)
    })
}

fn json(body: &[u8]) -> serde_json::Value {
    serde_json::from_slice(body).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(body)))
}

#[test]
fn a_request_without_a_known_token_is_refused_and_the_document_is_public() {
    let f = fixture();
    let (s, h, _) = ask(&f, "GET", "/api/v1/tags", None);
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(h.get("www-authenticate").unwrap(), "Bearer");
    let (s, _, _) = ask(&f, "GET", "/api/v1/tags", Some("wct_0000"));
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _, _) = ask(&f, "GET", "/api/v1/tags", Some(&format!("{} ", f.viewer)));
    assert_eq!(s, StatusCode::OK, "surrounding spaces are not part of the token");
    let (s, _, body) = ask(&f, "GET", "/openapi.json", None);
    assert_eq!(s, StatusCode::OK);
    assert_eq!(json(&body)["openapi"], "3.1.0");
    let (s, _, body) = ask(&f, "GET", "/api/v1/health", None);
    assert_eq!(s, StatusCode::OK);
    assert_eq!(json(&body)["status"], "ok");
    assert_eq!(f.shared.stats.unauthorized.load(Ordering::Relaxed), 2);
}

#[test]
fn current_values_carry_quality_and_time() {
    let f = fixture();
    let (s, _, body) = ask(&f, "GET", "/api/v1/tags?prefix=ct01/", Some(&f.viewer));
    assert_eq!(s, StatusCode::OK);
    let v = json(&body);
    let tags = v["tags"].as_array().unwrap();
    assert!(tags.iter().all(|t| t["name"].as_str().unwrap().starts_with("ct01/")));
    let w = tags.iter().find(|t| t["name"] == "ct01/weight").unwrap();
    assert_eq!(w["value"], 12_345.5);
    assert_eq!(w["quality"], "GOOD");
    assert_eq!(w["unit"], "lbf");
    let other = tags.iter().find(|t| t["name"] == "ct01/depth").unwrap();
    assert_eq!(other["quality"], "NO DATA");
    assert!(other["value"].is_null() && other["receive_time"].is_null());
    let (s, _, body) = ask(&f, "GET", "/api/v1/tags/ct01/weight", Some(&f.viewer));
    assert_eq!(s, StatusCode::OK);
    assert_eq!(json(&body)["name"], "ct01/weight");
    let (s, _, body) = ask(&f, "GET", "/api/v1/tags?names=ct01/weight,ct01/depth", Some(&f.viewer));
    assert_eq!(s, StatusCode::OK);
    assert_eq!(json(&body)["count"], 2);
}

#[test]
fn bad_parameters_are_answered_400_with_the_parameter_named() {
    let f = fixture();
    for (uri, parameter) in [
        ("/api/v1/tags?limit=5", "limit"),
        ("/api/v1/tags?names=ct01/weight,nope", "names"),
        ("/api/v1/history/ct01/weight?from=yesterday", "from"),
        ("/api/v1/history/ct01/weight?from=now&to=-1h", "to"),
        ("/api/v1/history/ct01/weight?resolution=5m", "resolution"),
        ("/api/v1/history/ct01/weight?limit=0", "limit"),
        ("/api/v1/history/ct01/weight?limit=99999999", "limit"),
        ("/api/v1/alarms/journal?after=-1", "after"),
        ("/api/v1/jobs?status=running", "status"),
        ("/api/v1/well-tests/abc", "id"),
        ("/api/v1/alarms/active?x=1", "x"),
    ] {
        let (s, _, body) = ask(&f, "GET", uri, Some(&f.viewer));
        assert_eq!(s, StatusCode::BAD_REQUEST, "{uri}");
        let v = json(&body);
        assert_eq!(v["parameter"], parameter, "{uri}: {v}");
        assert!(!v["error"].as_str().unwrap().is_empty());
    }
    let (s, _, body) = ask(&f, "GET", "/api/v1/tags/nope/nothing", Some(&f.viewer));
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(json(&body)["error"].as_str().unwrap().contains("nope/nothing"));
}

#[test]
fn the_audit_trail_needs_a_supervisor_or_an_admin() {
    let f = fixture();
    {
        let trail = crate::auth::audit::AuditTrail {
            path: f.shared.sources.audit.clone().unwrap(),
            key: f.shared.sources.key.clone(),
            external: None,
        };
        let mut conn = crate::auth::audit::open(&trail).unwrap();
        crate::auth::audit::append(
            &mut conn,
            &trail,
            &crate::auth::audit::AuditEntry::system(Timestamp(5), "API token added", "erp", "role viewer"),
        )
        .unwrap();
    }
    let (s, _, body) = ask(&f, "GET", "/api/v1/audit", Some(&f.viewer));
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(json(&body)["error"].as_str().unwrap().contains("erp"));
    let (s, _, body) = ask(&f, "GET", "/api/v1/audit?limit=10", Some(&f.supervisor));
    assert_eq!(s, StatusCode::OK);
    let v = json(&body);
    assert_eq!(v["records"][0]["action"], "API token added");
    assert_eq!(v["next_after"], 1);
}

#[test]
fn when_every_place_is_taken_the_next_request_is_told_503_at_once() {
    let f = fixture();
    let held = f.shared.busy.clone().try_acquire_many_owned(2).unwrap();
    let (s, h, body) = ask(&f, "GET", "/api/v1/tags", Some(&f.viewer));
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(h.get("retry-after").unwrap(), "1");
    assert!(json(&body)["error"].as_str().unwrap().contains("try again"));
    drop(held);
    assert_eq!(ask(&f, "GET", "/api/v1/tags", Some(&f.viewer)).0, StatusCode::OK);
    assert_eq!(f.shared.stats.busy.load(Ordering::Relaxed), 1);
}

#[test]
fn nothing_but_get_and_no_unknown_path_is_served() {
    let f = fixture();
    assert_eq!(
        ask(&f, "POST", "/api/v1/tags", Some(&f.viewer)).0,
        StatusCode::METHOD_NOT_ALLOWED
    );
    assert_eq!(
        ask(&f, "DELETE", "/api/v1/jobs/J-1", Some(&f.viewer)).0,
        StatusCode::METHOD_NOT_ALLOWED
    );
    let (s, _, body) = ask(&f, "GET", "/api/v2/tags", Some(&f.viewer));
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(json(&body)["error"].as_str().unwrap().contains("openapi.json"));
    // What this console does not keep is said, not an empty success.
    let (s, _, body) = ask(&f, "GET", "/api/v1/history/ct01/weight", Some(&f.viewer));
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(json(&body)["error"].as_str().unwrap().contains("no history"));
}

#[test]
fn every_documented_path_is_served() {
    let f = fixture();
    let doc = openapi::document().0;
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 13);
    for (path, item) in paths {
        let uri = path
            .replace("{name}", "ct01/weight")
            .replace("{tag}", "ct01/weight")
            .replace("{number}", "J-1")
            .replace("{id}", "1");
        let public = item["get"]["security"].as_array().is_some_and(Vec::is_empty);
        let (s, _, body) = ask(&f, "GET", &uri, Some(&f.supervisor));
        let text = String::from_utf8_lossy(&body);
        assert!(!text.contains("no endpoint"), "{path} is documented but not routed");
        assert!(s.is_success() || s == StatusCode::NOT_FOUND, "{path}: {s} {text}");
        if !public {
            assert_eq!(ask(&f, "GET", &uri, None).0, StatusCode::UNAUTHORIZED, "{path}");
        }
        let documented = item["get"]["responses"].as_object().unwrap();
        assert!(
            documented.contains_key(s.as_str()),
            "{path} answered {s}, which its document does not list"
        );
    }
}

#[test]
fn one_address_holds_a_quarter_of_the_connections_at_most_and_a_flood_of_refusals_is_not_all_logged() {
    use std::io::{Read, Write};
    let f = fixture();
    let mut cfg = crate::project::site::ApiConfig::new("127.0.0.1:0".parse().unwrap());
    cfg.max_connections = 8;
    let server = ApiServer::start(&cfg, f.shared.sources.clone()).unwrap();
    let addr = server.local_addr();
    // Two of this address's places held by idle connections (8 / 4 = 2)…
    let held: Vec<std::net::TcpStream> = (0..2).map(|_| std::net::TcpStream::connect(addr).unwrap()).collect();
    std::thread::sleep(std::time::Duration::from_millis(200));
    // …so the third is closed at once, unanswered.
    let mut third = std::net::TcpStream::connect(addr).unwrap();
    third.set_read_timeout(Some(std::time::Duration::from_secs(5))).unwrap();
    let _ = third.write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n");
    let mut answer = Vec::new();
    let _ = third.read_to_end(&mut answer);
    assert!(answer.is_empty(), "{}", String::from_utf8_lossy(&answer));
    drop(held);
    std::thread::sleep(std::time::Duration::from_millis(200));
    let mut again = std::net::TcpStream::connect(addr).unwrap();
    again.set_read_timeout(Some(std::time::Duration::from_secs(5))).unwrap();
    again
        .write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    again.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    server.stop();

    let budget = LogBudget::default();
    let admitted = (0..1_000).filter(|_| budget.admit().is_some()).count();
    assert!((10..=20).contains(&admitted), "{admitted} of 1,000 logged");
    std::thread::sleep(std::time::Duration::from_millis(1_100));
    let said = budget.admit().unwrap();
    assert!(
        said > 0 && said <= (1_000 - admitted) as u64,
        "the next line says how many were not: {said}"
    );
}
