//! The API's OpenAPI 3.1 document, served at `/openapi.json`: every path, its parameters, its answers and
//! their shapes, and the bearer token scheme. Written here beside the endpoints it describes; a test asks
//! every path of it on a running server, so a path that is documented but not served (or answers
//! differently) fails the suite.
//!
//! Owns the document only.

use axum::Json;
use serde_json::{Value as J, json};

fn param(name: &str, place: &str, required: bool, schema: J, description: &str) -> J {
    json!({"name": name, "in": place, "required": required, "schema": schema, "description": description})
}

fn time_param(name: &str, default: &str) -> J {
    param(
        name,
        "query",
        false,
        json!({"type": "string"}),
        &format!(
            "RFC 3339 with its offset (2026-12-05T10:00:00Z), 'now', or an offset from now (-2h, -30m, -7d). Default: {default}."
        ),
    )
}

fn limit_param(default: usize) -> J {
    param(
        "limit",
        "query",
        false,
        json!({"type": "integer", "minimum": 1, "maximum": 100_000}),
        &format!("Most items in this page (default {default}; at most the site's max_page, 10,000 unless set)."),
    )
}

fn after_param(what: &str) -> J {
    param(
        "after",
        "query",
        false,
        json!({"type": "integer", "minimum": 0}),
        &format!("Answer the {what} after this number (the previous page's next_after). Default 0: from the first."),
    )
}

fn ok(schema: &str, description: &str) -> J {
    json!({"description": description, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}})
}

fn failures(codes: &[&str]) -> serde_json::Map<String, J> {
    let mut m = serde_json::Map::new();
    for c in codes {
        let description = match *c {
            "400" => "A parameter is not what it must be: the answer names it.",
            "401" => "No token, or one this site does not know (or revoked).",
            "403" => "The token's role may not read this.",
            "404" => "No such tag, record or endpoint, or this console does not keep it.",
            "503" => "As many requests as the site allows are being answered: try again (Retry-After).",
            _ => "The read failed.",
        };
        m.insert(
            (*c).to_owned(),
            json!({"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}),
        );
    }
    m
}

fn get(summary: &str, params: Vec<J>, answer: J, codes: &[&str], public: bool) -> J {
    let mut responses = failures(codes);
    responses.insert("200".into(), answer);
    let mut op = json!({
        "summary": summary,
        "parameters": params,
        "responses": responses,
    });
    if public {
        op["security"] = json!([]);
    }
    json!({ "get": op })
}

fn schemas() -> J {
    let time = json!({"type": ["string", "null"], "format": "date-time"});
    let value = json!({"description": "number, integer, boolean, text or null (no value)"});
    json!({
        "Error": {"type": "object", "required": ["error"], "properties": {
            "error": {"type": "string"},
            "parameter": {"type": "string", "description": "The query parameter at fault (400)."}
        }},
        "Health": {"type": "object", "properties": {
            "status": {"type": "string"}, "site": {"type": "string"}, "time": time
        }},
        "Tag": {"type": "object", "properties": {
            "name": {"type": "string"},
            "label": {"type": "object", "properties": {"en": {"type": "string"}, "es": {"type": "string"}}},
            "description": {"type": "string"},
            "unit": {"type": "string"},
            "kind": {"type": "string", "enum": ["f64", "i64", "bool", "string"]},
            "writable": {"type": "boolean"},
            "value": value,
            "quality": {"type": "string", "description": "GOOD, UNCERTAIN, NO DATA, COMM FAIL, STALE, SENSOR FAIL, CONFIG ERROR, OUT OF RANGE or MATH ERROR"},
            "source_time": time,
            "receive_time": time,
            "age_s": {"type": ["number", "null"], "description": "Seconds since the console received it."}
        }},
        "TagList": {"type": "object", "properties": {
            "site": {"type": "string"}, "time": time, "count": {"type": "integer"},
            "tags": {"type": "array", "items": {"$ref": "#/components/schemas/Tag"}}
        }},
        "History": {"type": "object", "properties": {
            "tag": {"type": "string"}, "unit": {"type": ["string", "null"]},
            "resolution": {"type": "string", "enum": ["raw", "1m", "1h"]},
            "from": time, "to": time, "count": {"type": "integer"},
            "samples": {"type": "array", "description": "resolution raw: every stored sample", "items": {"type": "object", "properties": {
                "t": time, "value": value, "quality": {"type": "string", "description": "As the tags' quality."}
            }}},
            "buckets": {"type": "array", "description": "resolution 1m or 1h: rollups", "items": {"type": "object", "properties": {
                "t": time, "count": {"type": "integer"}, "min": {"type": ["number", "null"]}, "max": {"type": ["number", "null"]},
                "mean": {"type": ["number", "null"]}, "time_weighted": {"type": ["number", "null"]}
            }}},
            "next": {"type": ["string", "null"], "format": "date-time", "description": "More remain: ask again with from = next."}
        }},
        "ActiveAlarms": {"type": "object", "properties": {
            "time": time,
            "counts": {"type": "object", "properties": {"unacknowledged": {"type": "integer"}, "listed": {"type": "integer"}}},
            "flood": {"type": "boolean"},
            "alarms": {"type": "array", "items": {"type": "object", "properties": {
                "alarm": {"type": "string"}, "tag": {"type": "string"}, "priority": {"type": "string"},
                "state": {"type": "string"}, "since": time, "value": value, "alarm_value": value, "unit": {"type": "string"},
                "message": {"type": "object"}, "area": {"type": "string"}, "asset": {"type": "string"},
                "first_out": {"type": "boolean"}, "shelved": {"type": ["object", "null"]}, "out_of_service": {"type": ["object", "null"]}
            }}}
        }},
        "Journal": {"type": "object", "properties": {
            "count": {"type": "integer"},
            "lines": {"type": "array", "items": {"type": "object", "properties": {
                "id": {"type": "integer"}, "t": time, "kind": {"type": "string"}, "alarm": {"type": ["string", "null"]},
                "tag": {"type": ["string", "null"]}, "priority": {"type": ["string", "null"]}, "state": {"type": "string"},
                "value": {"type": ["string", "null"]}, "user": {"type": ["string", "null"]}, "comment": {"type": "string"},
                "message": {"type": "object"}
            }}},
            "next_after": {"type": "integer"}, "more": {"type": "boolean"}
        }},
        "Audit": {"type": "object", "properties": {
            "count": {"type": "integer"},
            "records": {"type": "array", "items": {"type": "object", "properties": {
                "seq": {"type": "integer"}, "t": time, "user": {"type": "string"}, "role": {"type": "string"},
                "action": {"type": "string"}, "target": {"type": "string"}, "detail": {"type": "string"},
                "allowed": {"type": "boolean"}, "prev_hash": {"type": "string"}, "hash": {"type": "string"}
            }}},
            "next_after": {"type": "integer"}, "more": {"type": "boolean"}
        }},
        "JobList": {"type": "object", "properties": {
            "count": {"type": "integer"}, "jobs": {"type": "array", "items": {"type": "object", "description": "A job's fields, status, ticket state and times."}}
        }},
        "Job": {"type": "object", "properties": {
            "job": {"type": "object"}, "operations": {"type": "array", "items": {"type": "object"}},
            "fluids": {"type": "array", "items": {"type": "object"}}, "bha": {"type": "array", "items": {"type": "object"}},
            "npt": {"type": "array", "items": {"type": "object"}}, "signatures": {"type": "array", "items": {"type": "object"}},
            "ticket_sha256": {"type": ["string", "null"]}
        }},
        "Operations": {"type": "object", "properties": {
            "job": {"type": "string"}, "status": {"type": "string"}, "count": {"type": "integer"},
            "operations": {"type": "array", "items": {"type": "object"}}
        }},
        "WellTestList": {"type": "object", "properties": {
            "count": {"type": "integer"}, "well_tests": {"type": "array", "items": {"$ref": "#/components/schemas/WellTest"}}
        }},
        "WellTest": {"type": "object", "description": "The measured test (rates, ratios, pressures, window) and its decision."}
    })
}

/// The document.
pub fn document() -> Json<J> {
    let name = |n: &str, what: &str| param(n, "path", true, json!({"type": "string"}), what);
    let std = ["400", "401", "503"];
    let rec = ["400", "401", "404", "500", "503"];
    let paths = json!({
        "/api/v1/health": get("Is the API answering (no token needed).", vec![], ok("Health", "Answering."), &["400", "503"], true),
        "/api/v1/tags": get(
            "Every tag with its current value, quality and times.",
            vec![
                param("prefix", "query", false, json!({"type": "string"}), "Only tags whose name starts with this (e.g. ct01/)."),
                param("names", "query", false, json!({"type": "string"}), "Only these tags, comma-separated (an unknown one is a 400)."),
            ],
            ok("TagList", "The tags."),
            &std,
            false,
        ),
        "/api/v1/tags/{name}": get(
            "One tag with its current value (the name may hold '/').",
            vec![name("name", "The tag's name, e.g. ct01/weight.")],
            ok("Tag", "The tag."),
            &["400", "401", "404", "503"],
            false,
        ),
        "/api/v1/history/{tag}": get(
            "A tag's stored history, raw or as 1-minute or 1-hour rollups, a page at a time.",
            vec![
                name("tag", "The tag's name, e.g. ct01/weight."),
                time_param("from", "an hour before to"),
                time_param("to", "now"),
                param("resolution", "query", false, json!({"type": "string", "enum": ["raw", "1m", "1h"]}), "raw (default): every stored sample; 1m or 1h: rollups."),
                limit_param(1_000),
            ],
            ok("History", "One page; next says where the following one starts."),
            &rec,
            false,
        ),
        "/api/v1/alarms/active": get("Every alarm that is not normal, in banner order.", vec![], ok("ActiveAlarms", "The alarms."), &std, false),
        "/api/v1/alarms/journal": get(
            "The alarm journal, oldest first, a page at a time.",
            vec![after_param("lines"), limit_param(1_000)],
            ok("Journal", "One page."),
            &rec,
            false,
        ),
        "/api/v1/jobs": get(
            "CT jobs, newest first.",
            vec![
                param("status", "query", false, json!({"type": "string", "enum": ["DRAFT", "PLANNED", "APPROVED", "IN_PROGRESS", "COMPLETED", "CANCELLED"]}), "Only jobs in this state."),
                limit_param(100),
            ],
            ok("JobList", "The jobs."),
            &rec,
            false,
        ),
        "/api/v1/jobs/{number}": get(
            "One CT job's whole record.",
            vec![name("number", "The job number.")],
            ok("Job", "The job."),
            &rec,
            false,
        ),
        "/api/v1/jobs/{number}/operations": get(
            "A CT job's operations log.",
            vec![name("number", "The job number.")],
            ok("Operations", "The operations."),
            &rec,
            false,
        ),
        "/api/v1/jobs/{number}/ticket.pdf": {"get": {
            "summary": "The job's ticket as PDF: the issued ticket with its signatures, or a DRAFT of what it would say now.",
            "parameters": [
                name("number", "The job number."),
                param("lang", "query", false, json!({"type": "string", "enum": ["en", "es"]}), "Language (default en)."),
                param("units", "query", false, json!({"type": "string", "enum": ["oilfield", "si"]}), "Units (default oilfield)."),
            ],
            "responses": {
                "200": {"description": "The PDF.", "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
                "400": failures(&["400"])["400"], "401": failures(&["401"])["401"], "404": failures(&["404"])["404"],
                "500": failures(&["500"])["500"], "503": failures(&["503"])["503"]
            }
        }},
        "/api/v1/well-tests": get(
            "Well tests on the test separator, newest first.",
            vec![
                param("well", "query", false, json!({"type": "string"}), "Only this well's."),
                param("status", "query", false, json!({"type": "string", "enum": ["pending", "approved", "rejected"]}), "Only tests in this state."),
                limit_param(100),
            ],
            ok("WellTestList", "The tests."),
            &rec,
            false,
        ),
        "/api/v1/well-tests/{id}": get(
            "One well test.",
            vec![param("id", "path", true, json!({"type": "integer", "minimum": 1}), "The test's number.")],
            ok("WellTest", "The test."),
            &rec,
            false,
        ),
        "/api/v1/audit": get(
            "The audit trail with its hash chain, oldest first (tokens of admins and supervisors only).",
            vec![after_param("records"), limit_param(1_000)],
            ok("Audit", "One page."),
            &["400", "401", "403", "404", "500", "503"],
            false,
        ),
    });
    Json(json!({
        "openapi": "3.1.0",
        "info": {
            "title": "wellconsole read-only API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Tags and current values, history, alarms, CT jobs and tickets, well tests and the audit trail of one wellconsole. Read-only: GET only. Every request but /openapi.json and /api/v1/health needs Authorization: Bearer <token> (wellconsole api token add NAME --role ROLE). Times are RFC 3339 in UTC, except inside job and well test records, which keep the records' own microseconds since 1970-01-01 UTC."
        },
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": schemas(),
        },
        "paths": paths,
    }))
}
