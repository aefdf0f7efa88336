//! The binary as an engineer runs it: `check` on good and broken projects, `run --headless` with stats,
//! `write` as an operator's write from the command line.

use std::path::Path;
use std::process::{Command, Output};

fn wellconsole(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wellconsole"))
        .args(args)
        .env("RUST_LOG", "error")
        // the demo keeps history in the user's data folder: here, one of this test run's own
        .env("XDG_DATA_HOME", data_home())
        .output()
        .expect("binary runs")
}

fn data_home() -> &'static Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().unwrap()).path()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `wellconsole` with a data folder of its own (where the demo keeps its records: users added here reach no
/// other test), extra environment variables, and what is typed on standard input.
fn wellconsole_at(home: &Path, args: &[&str], env: &[(&str, &str)], typed: &str) -> Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_wellconsole"))
        .args(args)
        .env("RUST_LOG", "error")
        .env("XDG_DATA_HOME", home)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    let mut stdin = child.stdin.take().expect("piped");
    stdin.write_all(typed.as_bytes()).expect("typed");
    drop(stdin);
    child.wait_with_output().expect("binary runs")
}

const SURVEY: &str = "md_ft,inc_deg,azi_deg\n0,0,0\n1000,0,0\n2000,30,90\n5000,30,90\n";

/// A small valid project; each case below breaks one thing in it.
const SITE: &str = r#"[site]
name = "Test pad"

[[driver]]
name = "sim"
kind = "sim"

[driver.sim]
ct_survey = "data/well.csv"
esp_wells = 1

[[tag]]
name = "ct01/depth"
driver = "sim"
type = "f64"
range = [0.0, 15000.0]

[[tag]]
name = "esp01/rate"
driver = "sim"
"#;

fn project(dir: &Path, site: &str, extra: &[(&str, &[u8])]) {
    std::fs::create_dir_all(dir.join("data")).unwrap();
    std::fs::write(dir.join("site.toml"), site).unwrap();
    std::fs::write(dir.join("data/well.csv"), SURVEY).unwrap();
    for (rel, bytes) in extra {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
}

#[test]
fn the_demo_project_checks_clean() {
    let o = wellconsole(&["check"]);
    assert!(o.status.success(), "{}", stdout(&o));
    assert!(stdout(&o).contains("built-in demo project: ok"));
    let repo = env!("CARGO_MANIFEST_DIR");
    let o = wellconsole(&["check", "--project", repo]);
    assert!(o.status.success(), "{}", stdout(&o));
}

/// (case, site.toml, other files, expected line start)
type BrokenCase = (&'static str, String, Vec<(&'static str, &'static [u8])>, &'static str);

#[test]
fn check_reports_each_error_kind_at_its_line_and_column() {
    // (case, site.toml, other files, expected line: "<file>:<line>:<col>: <message start>")
    let cases: Vec<BrokenCase> = vec![
        (
            "syntax",
            SITE.replace("name = \"Test pad\"", "name = \"Test pad"),
            vec![],
            "site.toml:2:",
        ),
        (
            "unknown field",
            SITE.replace("type = \"f64\"", "type = \"f64\"\ncolour = \"red\""),
            vec![],
            "site.toml:16:1: unknown field `colour`",
        ),
        (
            "unknown driver kind",
            SITE.replace("kind = \"sim\"", "kind = \"profibus\""),
            vec![],
            "site.toml:6:8: unknown driver kind 'profibus'",
        ),
        (
            "undefined driver",
            SITE.replace(
                "name = \"esp01/rate\"\ndriver = \"sim\"",
                "name = \"esp01/rate\"\ndriver = \"plc1\"",
            ),
            vec![],
            "site.toml:20:10: tag 'esp01/rate' uses driver 'plc1', which is not defined",
        ),
        (
            "duplicate tag",
            SITE.replace("esp01/rate", "ct01/depth"),
            vec![],
            "site.toml:19:8: tag 'ct01/depth' is defined twice",
        ),
        (
            "unknown address",
            SITE.replace("esp01/rate", "esp01/torque"),
            vec![],
            "site.toml:19:8: the simulator has no signal 'esp01/torque'",
        ),
        (
            "description in one language of two",
            SITE.replace(
                "range = [0.0, 15000.0]",
                "range = [0.0, 15000.0]\ndescription = { en = \"CT depth\" }",
            ),
            vec![],
            "site.toml:17:15: a description is \"…\" or both languages: { en = \"…\", es = \"…\" }",
        ),
        (
            "label in one language of two",
            SITE.replace(
                "range = [0.0, 15000.0]",
                "range = [0.0, 15000.0]\nlabel = { es = \"Profundidad\" }",
            ),
            vec![],
            "site.toml:17:9: a label is \"…\" or both languages: { en = \"…\", es = \"…\" }",
        ),
        (
            "bad range",
            SITE.replace("[0.0, 15000.0]", "[100.0, 10.0]"),
            vec![],
            "site.toml:16:9: range [100, 10] must be two finite numbers, low < high",
        ),
        (
            "type mismatch",
            SITE.replace("type = \"f64\"", "type = \"bool\""),
            vec![],
            "site.toml:15:8: tag 'ct01/depth' is declared bool but sim signal 'ct01/depth' is f64",
        ),
        (
            "bad tag name",
            SITE.replace(
                "name = \"esp01/rate\"",
                "name = \"esp01//rate\"\naddress = \"esp01/rate\"",
            ),
            vec![],
            "site.toml:19:8: tag name 'esp01//rate' must be path segments",
        ),
        (
            "zero stale period",
            SITE.replace("type = \"f64\"", "type = \"f64\"\nstale_after_ms = 0"),
            vec![],
            "site.toml:16:18: stale_after_ms must be greater than 0",
        ),
        (
            "missing survey",
            SITE.replace("data/well.csv", "data/nope.csv"),
            vec![],
            "site.toml:9:13: survey file 'data/nope.csv' not found in the project",
        ),
        (
            "bad survey number",
            SITE.replace("data/well.csv", "data/bad.csv"),
            vec![("data/bad.csv", b"md_ft,inc_deg,azi_deg\n0,0,0\n100,1x,0\n")],
            "data/bad.csv:3:5: '1x' is not a number",
        ),
        (
            "broken screen",
            SITE.to_owned(),
            vec![("screens/ct.toml", b"[screen]\nname = 'CT\n")],
            "screens/ct.toml:2:11: invalid literal string",
        ),
        (
            "history mode",
            SITE.replacen("type = \"f64\"", "type = \"f64\"\nhistory = \"sometimes\"", 1),
            vec![],
            "site.toml:16:11: unknown history mode 'sometimes'",
        ),
        (
            "swinging door without a deviation",
            SITE.replacen("type = \"f64\"", "type = \"f64\"\nhistory = \"swinging-door\"", 1),
            vec![],
            "site.toml:16:11: history = \"swinging-door\" needs history_deadband > 0",
        ),
        (
            "deadband without a mode",
            SITE.replacen("type = \"f64\"", "type = \"f64\"\nhistory_deadband = 0.5", 1),
            vec![],
            "site.toml:16:20: history_deadband needs history = \"change\"",
        ),
        (
            "historian commit interval",
            format!("[historian]\ncommit_ms = 5\n\n{SITE}"),
            vec![],
            "site.toml:2:13: commit_ms must be between 100 and 10000",
        ),
        (
            "not text",
            SITE.to_owned(),
            vec![("alarms/a.toml", &[0xff, 0xfe, 0x00])],
            "alarms/a.toml:1:1: not UTF-8 text",
        ),
        (
            "a range of three numbers",
            SITE.replace("range = [0.0, 15000.0]", "range = [0.0, 15000.0, 5.0]"),
            vec![],
            "site.toml:16:9: range is [low, high]: two numbers, not 3",
        ),
        (
            "a range to infinity",
            SITE.replace("range = [0.0, 15000.0]", "range = [0.0, inf]"),
            vec![],
            "site.toml:16:9: range [0, inf] must be two finite numbers, low < high",
        ),
        (
            "records folder left empty",
            format!("{SITE}\n[records]\ndir = \" \"\n"),
            vec![],
            "site.toml:23:7: records dir must not be empty",
        ),
        (
            "a lockout that can never end",
            format!("{SITE}\n[security]\nlockout_min = 1e300\n"),
            vec![],
            "site.toml:23:15: lockout_min must be from 1 to 1440 minutes",
        ),
        (
            "a negative lockout count",
            format!("{SITE}\n[security]\nlockout_after = -1\n"),
            vec![],
            "site.toml:23:17: lockout_after (0: never lock) must be a whole number from 0 to 100",
        ),
    ];
    assert_check_reports(cases);
}

/// Writes each case as a project, runs `check` on it, and expects exit 1 and a line starting `want`.
fn assert_check_reports(cases: Vec<BrokenCase>) {
    let tmp = tempfile::tempdir().unwrap();
    for (i, (case, site, extra, want)) in cases.into_iter().enumerate() {
        let dir = tmp.path().join(format!("case{i}"));
        project(&dir, &site, &extra);
        let o = wellconsole(&["check", "--project", dir.to_str().unwrap()]);
        let out = stdout(&o);
        assert_eq!(o.status.code(), Some(1), "{case}: exit 1 on problems\n{out}");
        let expected = format!("{}/{want}", dir.display());
        assert!(
            out.lines().any(|l| l.starts_with(&expected)),
            "{case}: expected a line starting\n  {expected}\ngot:\n{out}"
        );
    }
}

/// Runs `check` on a project expected to have problems: its lines (each with the project folder taken
/// off the front) and the summary it writes to stderr.
fn check_lines(site: &str, extra: &[(&str, &[u8])]) -> (Vec<String>, String) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("p");
    project(&dir, site, extra);
    let o = wellconsole(&["check", "--project", dir.to_str().unwrap()]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "exit 1 on problems\n{out}");
    let prefix = format!("{}/", dir.display());
    let lines = out
        .lines()
        .map(|l| l.strip_prefix(&prefix).unwrap_or(l).to_owned())
        .collect();
    (lines, String::from_utf8_lossy(&o.stderr).trim().to_owned())
}

#[test]
fn check_reports_every_problem_of_every_file_in_one_pass() {
    // site.toml: two [[tag]] entries that do not fit the schema, and a good one on an undefined driver;
    // an alarm file with one bad [[alarm]] after a good one. site.toml's problems leave no tags to
    // check alarms against, but their schema is checked all the same.
    let site = format!(
        "{}units = \"bbl/d\"\n\n[[tag]]\nname = \"esp01/pip\"\ndriver = \"plc9\"\n",
        SITE.replace("range = [0.0, 15000.0]", "range = \"wide\"")
    );
    let alarms = format!(
        "{ALARM}\n[[alarm]]\ntag = \"esp01/rate\"\ntype = \"lo\"\nlimit = 10.0\npriority = 3\nmessage = {{ en = \"Low rate\", es = \"Caudal bajo\" }}\n"
    );
    let (lines, summary) = check_lines(&site, &[("alarms/a.toml", alarms.as_bytes())]);
    assert_eq!(
        lines,
        [
            "alarms/a.toml:12:12: invalid type: integer `3`, expected a string",
            "site.toml:16:9: invalid type: string \"wide\", expected a sequence",
            "site.toml:21:1: unknown field `units`, expected one of `name`, `driver`, `address`, `type`, `unit`, `description`, `label`, `range`, `decimals`, `stale_after_ms`, `writable`, `gain`, `offset`, `poll`, `history`, `history_deadband`, `expr`",
            "site.toml:25:10: tag 'esp01/pip' uses driver 'plc9', which is not defined",
        ]
    );
    // ... and it says that the other files wait for site.toml before their deeper checks.
    assert_eq!(
        summary,
        "4 problem(s)\nnote: with site.toml broken, alarm, trip and screen files were checked for syntax and fields only; their tags, symbols and conditions are checked once site.toml is valid"
    );

    // A good site: three [[alarm]] entries that do not fit the schema, each reported at its own line,
    // and of the two that do, the one on an unknown tag.
    let alarm = |tag: &str, kind: &str, limit: &str, priority: &str, message: &str| {
        format!(
            "[[alarm]]\ntag = \"{tag}\"\ntype = \"{kind}\"\nlimit = {limit}\n{priority}{message} = {{ en = \"A\", es = \"B\" }}\n\n"
        )
    };
    let alarms = [
        alarm("ct01/depth", "hi", "\"high\"", "priority = \"high\"\n", "message"),
        alarm("ct01/depth", "hihi", "12000.0", "priority = \"critical\"\n", "mesage"),
        alarm("esp01/rate", "lo", "10.0", "", "message"),
        alarm("esp01/rat", "lo", "5.0", "priority = \"low\"\n", "message"),
        alarm("esp01/rate", "lolo", "2.0", "priority = \"high\"\n", "message"),
    ]
    .concat();
    let (lines, summary) = check_lines(SITE, &[("alarms/a.toml", alarms.as_bytes())]);
    assert_eq!(
        lines,
        [
            "alarms/a.toml:4:9: invalid type: string \"high\", expected f64",
            "alarms/a.toml:13:1: unknown field `mesage`, expected one of `id`, `tag`, `type`, `limit`, `setpoint`, `rate_window_s`, `state`, `priority`, `deadband`, `on_delay_s`, `off_delay_s`, `latching`, `message`, `consequence`, `response`, `area`, `asset`, `suppress_when`, `suppress_release_s`, `shelvable`, `max_shelve_h`",
            "alarms/a.toml:15:1: missing field `priority`",
            "alarms/a.toml:22:7: unknown tag 'esp01/rat' (not defined in site.toml)",
        ]
    );
    assert_eq!(summary, "4 problem(s)");

    // A screen: a misspelt field in a [[value]], a [[nav]] without its target, and an unknown symbol.
    let main = MAIN
        .replace("use = \"tank\"", "use = \"tnak\"")
        .replace("at = [200, 10]\n", "at = [200, 10]\nwidht = 100\n")
        .replace("to = \"detail\"\n", "");
    let (lines, summary) = check_lines(
        SITE,
        &[
            ("screens/main.toml", main.as_bytes()),
            ("screens/detail.toml", DETAIL.as_bytes()),
            ("symbols/tank.toml", TANK.as_bytes()),
        ],
    );
    let starts = [
        "screens/main.toml:8:7: unknown symbol 'tnak' — did you mean 'tank'?",
        "screens/main.toml:15:1: unknown field `widht`",
        "screens/main.toml:17:1: missing field `to`",
    ];
    assert_eq!(lines.len(), starts.len(), "{lines:#?}");
    for (line, start) in lines.iter().zip(starts) {
        assert!(
            line.starts_with(start),
            "expected a line starting\n  {start}\ngot:\n{lines:#?}"
        );
    }
    assert_eq!(summary, "3 problem(s)");
}

#[test]
fn check_refuses_a_directory_without_site_toml() {
    let tmp = tempfile::tempdir().unwrap();
    let o = wellconsole(&["check", "--project", tmp.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no site.toml"));
}

#[test]
fn headless_run_writes_stats_with_every_tag() {
    let tmp = tempfile::tempdir().unwrap();
    let stats = tmp.path().join("stats.json");
    let o = wellconsole(&[
        "run",
        "--headless",
        "--for",
        "2",
        "--speed",
        "10",
        "--fault",
        "comm-loss:esp02",
        "--stats-json",
        stats.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&stats).unwrap()).unwrap();
    assert_eq!(v["tags"], 151);
    assert!(v["samples_in"].as_u64().unwrap() > 75 * 10, "{}", v["samples_in"]);
    assert_eq!(v["samples_coalesced"], 0);
    assert_eq!(v["drivers"]["sim"]["state"], "Running");
    assert!(v["drivers"]["sim"]["rate_per_sec"].as_f64().unwrap() > 0.0);
    // Sparkplug drivers list the edge nodes they wait for; the simulator waits for none.
    assert_eq!(v["drivers"]["sim"]["waiting_for_birth"], serde_json::json!([]));
    let depth = &v["values"]["ct01/depth"];
    assert_eq!(depth["quality"], "GOOD");
    assert!(
        depth["value"].as_f64().unwrap() > 2_500.0,
        "RIH from 2,500 ft at 10× real time"
    );
    assert_eq!(depth["unit"], "ft");
    assert!(depth["source_ts"].as_str().unwrap().ends_with('Z'));
    assert_eq!(v["values"]["esp02/rate"]["quality"], "COMM FAIL");
    assert_eq!(v["values"]["esp01/rate"]["quality"], "GOOD");
    assert_eq!(v["values"]["ct01/job_phase"]["value"], "RIH");
}

#[test]
fn headless_stats_show_every_trip_rule_and_the_writes() {
    let home = tempfile::tempdir().unwrap();
    let stats = home.path().join("stats.json");
    let args = [
        "run",
        "--headless",
        "--for",
        "3",
        "--stats-json",
        stats.to_str().unwrap(),
    ];
    let o = wellconsole_at(home.path(), &args, &[], "");
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&stats).unwrap()).unwrap();
    let rules = v["trips"]["rules"].as_object().expect("trips.rules");
    for id in [
        "ct01.overpull",
        "ct01.compression",
        "ct01.circ_pressure",
        "ct01.wellhead_pressure",
        "esp01.motor_temp",
        "esp01.underload",
    ] {
        assert!(rules.contains_key(id), "{id}: {rules:?}");
    }
    let overpull = &rules["ct01.overpull"];
    assert_eq!(overpull["name"], "CT-01 overpull");
    assert_eq!(overpull["asset"], "CT-01");
    assert_eq!(overpull["state"], "normal", "{overpull}");
    assert_eq!(overpull["first_out"], false);
    assert_eq!(overpull["bypassed"], false);
    assert_eq!(overpull["input_bad"], false, "ct01/weight is live");
    assert!(overpull["cause"].is_null() && overpull["tripped_at"].is_null());
    assert_eq!(v["trips"]["estops_active"], serde_json::json!({}));
    assert_eq!(v["writes"], serde_json::json!([]), "nobody wrote during the run");
}

#[test]
fn write_from_the_command_line_is_confirmed_by_the_device_and_audited() {
    let home = tempfile::tempdir().unwrap();
    let args = [
        "write",
        "esp01/frequency_setpoint",
        "52.5",
        "--user",
        "tester",
        "--role",
        "operator",
    ];
    let o = wellconsole_at(home.path(), &args, &[], "");
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let confirmed = "esp01/frequency_setpoint = 52.5 Hz by tester (operator): confirmed by the device";
    assert!(stdout(&o).contains(confirmed), "{}", stdout(&o));
    let log = stdout(&wellconsole_at(home.path(), &["audit", "list"], &[], ""));
    assert!(
        log.contains("tester (operator) write esp01/frequency_setpoint value 52.500"),
        "recorded as a write from a screen is: {log}"
    );
}

#[test]
fn a_write_out_of_range_is_refused_and_nothing_is_sent() {
    let home = tempfile::tempdir().unwrap();
    let args = ["write", "esp01/frequency_setpoint", "80", "--role", "operator"];
    let o = wellconsole_at(home.path(), &args, &[], "");
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    let refused = "esp01/frequency_setpoint = 80: refused, nothing sent: enter a value within the range 35 to 70 Hz";
    assert!(stdout(&o).contains(refused), "{}", stdout(&o));
    let o = wellconsole_at(
        home.path(),
        &["write", "esp01/rate", "100", "--role", "operator"],
        &[],
        "",
    );
    assert_eq!(o.status.code(), Some(1), "a read-only tag");
    assert!(stdout(&o).contains("the tag is not writable"), "{}", stdout(&o));
    // Nothing was sent, and both refusals are in the audit trail under the name of whoever asked.
    let log = stdout(&wellconsole_at(home.path(), &["audit", "list"], &[], ""));
    for line in [
        "write esp01/frequency_setpoint REFUSED value 80: not sent: the value must be a value within the range 35 to 70 Hz",
        "write esp01/rate REFUSED value 100: the tag is not writable",
    ] {
        assert!(log.contains(line), "{line}: {log}");
    }
    let o = wellconsole_at(home.path(), &["write", "esp01/no_such_tag", "1"], &[], "");
    assert_eq!(o.status.code(), Some(2), "a tag the project does not have");
}

#[test]
fn a_viewers_write_from_the_command_line_is_refused_and_audited() {
    let home = tempfile::tempdir().unwrap();
    let setpoint = ["write", "esp01/frequency_setpoint", "50", "--user", "vera"];
    let o = wellconsole_at(
        home.path(),
        &["users", "add", "vera", "--role", "viewer", "--password-env", "PW"],
        &[("PW", "mirar-nada-42")],
        "",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    // On a site with users, who writes logs in, and their own role counts.
    let o = wellconsole_at(home.path(), &setpoint[..3], &[], "");
    assert_eq!(o.status.code(), Some(2), "no --user");
    assert!(stderr(&o).contains("--user NAME logs in"), "{}", stderr(&o));
    let mut with_role = setpoint.to_vec();
    with_role.extend(["--role", "admin"]);
    let o = wellconsole_at(home.path(), &with_role, &[], "");
    assert_eq!(o.status.code(), Some(2), "--role on a site with users");
    // A wrong password is refused, in the console's words.
    let o = wellconsole_at(home.path(), &setpoint, &[], "not-her-password\n");
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("login refused: wrong user name or password"),
        "{}",
        stdout(&o)
    );
    // Her password on standard input logs her in; the hub refuses a viewer's write.
    let o = wellconsole_at(home.path(), &setpoint, &[], "mirar-nada-42\n");
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    let refused =
        "esp01/frequency_setpoint = 50.0 Hz by vera (viewer): refused: vera (viewer) may not write a setpoint";
    assert!(stdout(&o).contains(refused), "{}", stdout(&o));
    let log = stdout(&wellconsole_at(home.path(), &["audit", "list"], &[], ""));
    for line in [
        "vera (viewer) login command line REFUSED wrong password (1 in a row)",
        "vera (viewer) login command line wellconsole write",
        "vera (viewer) write esp01/frequency_setpoint REFUSED value 50.000: vera (viewer) may not write a setpoint",
    ] {
        assert!(log.contains(line), "{line}: {log}");
    }
}

#[test]
fn bad_arguments_are_refused_with_a_reason() {
    let o = wellconsole(&["run", "--headless"]);
    assert_eq!(o.status.code(), Some(2), "--for is required with --headless");
    let o = wellconsole(&["run", "--headless", "--for", "1", "--fault", "meltdown"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown fault kind 'meltdown'"));
    let o = wellconsole(&["run", "--headless", "--for", "1", "--speed", "0"]);
    assert_eq!(o.status.code(), Some(2));
}

/// The options a `--help` lists: `--speed` from `      --speed <N>  Simulator speed…` (description lines,
/// indented further, are not options).
fn options_listed(help: &str) -> Vec<&str> {
    help.lines()
        .filter(|l| l.len() - l.trim_start().len() <= 6)
        .filter_map(|l| {
            let l = l.trim_start();
            let l = l.strip_prefix("-h, ").or_else(|| l.strip_prefix("-V, ")).unwrap_or(l);
            l.starts_with("--")
                .then(|| l.split([' ', '=', '<']).next().unwrap_or(l))
        })
        .collect()
}

#[test]
fn each_subcommand_lists_only_its_own_options() {
    // (command line, options its help lists, options it must not list)
    let cases = [
        (
            "--help",
            "--project --speed --fault --history-db --no-history --lang --units --user --role --sound-profile",
            "--headless --screen --timeout",
        ),
        (
            "--help",
            "--idle-logout-min --touch --sunlight --exit-after --frame-stats",
            "--stats-json --tag",
        ),
        (
            "run --help",
            "--headless --for --stats-json --project --speed --fault --history-db --no-history --lang --sunlight",
            "--screen --timeout",
        ),
        (
            "history stats --help",
            "--history-db --project",
            "--fault --speed --sunlight --no-history --lang --units --touch --user",
        ),
        (
            "history export --help",
            "--tag --from --to --resolution --out --history-db --project",
            "--fault --speed --sunlight --no-history --lang",
        ),
        (
            "check --help",
            "--project",
            "--fault --speed --sunlight --history-db --lang --user",
        ),
        (
            "sim --help",
            "--for --every --modbus --mqtt --speed --fault --project",
            "--sunlight --history-db --no-history --lang --touch --exit-after",
        ),
        (
            "write --help",
            "--timeout --user --password-env --role --lang --units --project --speed",
            "--sunlight --history-db --no-history --touch --exit-after --sound-profile",
        ),
        (
            "screenshot --help",
            "--screen --out --after --sunlight --lang --units --speed --fault --project",
            "--history-db --no-history --touch --user --role --exit-after",
        ),
        (
            "users add --help",
            "--role --password-env --project",
            "--fault --speed --sunlight --lang --history-db --user",
        ),
        (
            "audit list --help",
            "--limit --project",
            "--fault --speed --sunlight --lang --history-db",
        ),
        (
            "alarms report --help",
            "--from --to --csv --out --project",
            "--fault --speed --sunlight --lang --history-db",
        ),
        (
            "opcua browse --help",
            "--node --depth --pki-dir --tags-for",
            "--project --fault --speed --sunlight --lang",
        ),
    ];
    for (line, listed, absent) in cases {
        let args: Vec<&str> = line.split_whitespace().collect();
        let o = wellconsole(&args);
        assert!(o.status.success(), "{line}: {}", stderr(&o));
        let help = stdout(&o);
        let options = options_listed(&help);
        for opt in listed.split_whitespace() {
            assert!(options.contains(&opt), "`{line}` does not list {opt}:\n{help}");
        }
        for opt in absent.split_whitespace() {
            assert!(
                !options.contains(&opt),
                "`{line}` lists {opt}, which it does not use:\n{help}"
            );
        }
    }
}

#[test]
fn an_option_a_subcommand_does_not_use_is_refused_before_or_after_its_name() {
    for args in [
        &["history", "stats", "--speed", "5"][..],
        &["--speed", "5", "history", "stats"],
        &["history", "stats", "--sunlight"],
        &["--history-db", "h.db", "users", "list"],
        &["check", "--fault", "stuck-pipe:ct01"],
        &["--lang", "es", "check"],
    ] {
        let o = wellconsole(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stdout(&o));
        let flag = args.iter().find(|a| a.starts_with("--")).expect("a flag");
        assert!(
            stderr(&o).contains(&format!("unexpected argument '{flag}'")),
            "{args:?}: {}",
            stderr(&o)
        );
    }
    // Options written before the subcommand's name that it does take still reach it.
    let o = wellconsole(&["--project", env!("CARGO_MANIFEST_DIR"), "check"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains(&format!("{}: ok", env!("CARGO_MANIFEST_DIR"))),
        "{}",
        stdout(&o)
    );
}

#[test]
fn sim_prints_the_job() {
    let o = wellconsole(&["sim", "--speed", "1000", "--for", "60", "--every", "30"]);
    assert!(o.status.success());
    let out = stdout(&o);
    assert_eq!(out.lines().count(), 3, "{out}");
    assert!(out.contains("CT RIH"));
}

const MODBUS_SITE: &str = r#"[site]
name = "PLC"

[[driver]]
name = "plc"
kind = "modbus-tcp"

[driver.modbus]
endpoint = "127.0.0.1:502"
poll = [{ name = "fast", period_ms = 100 }]

[[tag]]
name = "p/x"
driver = "plc"
address = "hr:0:f32"
"#;

#[test]
fn check_reports_modbus_configuration_errors() {
    let cases = [
        (
            "bad address",
            MODBUS_SITE.replace("hr:0:f32", "hr:0:f16"),
            "site.toml:15:11: unknown data type 'f16'",
        ),
        (
            "byte order that does not fit the type",
            MODBUS_SITE.replace("hr:0:f32", "hr:0:f32:abcdefgh"),
            "site.toml:15:11: byte order 'abcdefgh' does not fit f32: expected one of abcd, badc, cdab, dcba",
        ),
        (
            "unknown poll group",
            MODBUS_SITE.replace("address = \"hr:0:f32\"", "address = \"hr:0:f32\"\npoll = \"slow\""),
            "site.toml:16:8: poll group 'slow' is not defined for driver 'plc' (defined: fast)",
        ),
        (
            "writable input register",
            MODBUS_SITE.replace("hr:0:f32\"", "ir:0:f32\"\nwritable = true"),
            "site.toml:15:11: tag 'p/x' is writable but 'ir:0:f32' is read-only",
        ),
        (
            "bad endpoint",
            MODBUS_SITE.replace("127.0.0.1:502", "127.0.0.1"),
            "site.toml:9:12: endpoint '127.0.0.1' must be HOST:PORT",
        ),
        (
            "endpoint on an RTU line",
            MODBUS_SITE.replace("modbus-tcp", "modbus-rtu"),
            "site.toml:9:12: a 'modbus-rtu' driver talks over a serial line: use device, not endpoint",
        ),
        (
            "no request in flight",
            MODBUS_SITE.replace("127.0.0.1:502\"", "127.0.0.1:502\"\npipeline = 0"),
            "site.toml:10:12: pipeline must be between 1 (one request at a time, the default) and 32",
        ),
        (
            "a driver's own problem does not hide its tags' addresses",
            MODBUS_SITE
                .replace("127.0.0.1:502\"", "127.0.0.1:502\"\npipeline = 0")
                .replace("hr:0:f32", "hr:0:f32:abcdefgh"),
            "site.toml:16:11: byte order 'abcdefgh' does not fit f32",
        ),
        (
            "pipeline on an RTU line",
            MODBUS_SITE
                .replace("modbus-tcp", "modbus-rtu")
                .replace("endpoint = \"127.0.0.1:502\"", "device = \"/dev/ttyS0\"\npipeline = 4"),
            "site.toml:10:12: pipeline is for 'modbus-tcp' drivers: a serial line carries one request at a time",
        ),
        (
            "bad parity",
            MODBUS_SITE.replace("modbus-tcp", "modbus-rtu").replace(
                "endpoint = \"127.0.0.1:502\"",
                "device = \"/dev/ttyS0\"\nparity = \"mark\"",
            ),
            "site.toml:10:10: parity 'mark' must be none, even or odd",
        ),
        (
            "gain on a sim tag",
            SITE.replace("range = [0.0, 15000.0]", "range = [0.0, 15000.0]\ngain = 2.0"),
            "site.toml:17:8: gain and offset scale raw device values",
        ),
    ];
    assert_check_reports(
        cases
            .into_iter()
            .map(|(case, site, want)| (case, site, Vec::new(), want))
            .collect(),
    );
}

const MQTT_SITE: &str = r#"[site]
name = "mqtt"

[[driver]]
name = "mq"
kind = "mqtt"

[driver.mqtt]
broker = "127.0.0.1:1883"

[[driver.mqtt.json]]
filter = "field/+/telemetry"
timestamp = "/ts"

[[tag]]
name = "w/temp"
driver = "mq"
address = "field/w1/telemetry#/temp"

[[tag]]
name = "w/sp"
driver = "mq"
address = "spBv1.0/g/n/d#Frequency SP"
writable = true
"#;

#[test]
fn check_reports_mqtt_configuration_errors() {
    let cases = [
        (
            "broker without port",
            MQTT_SITE.replace("127.0.0.1:1883", "localhost"),
            "site.toml:9:10: 'localhost' must be HOST:PORT",
        ),
        (
            "wildcard in the middle of a level",
            MQTT_SITE.replace("field/+/telemetry", "field/w+/telemetry"),
            "site.toml:12:10: filter 'field/w+/telemetry': '+' must be a whole level",
        ),
        (
            "pointer without a slash",
            MQTT_SITE.replace("#/temp", "#temp"),
            "site.toml:18:11: JSON pointer 'temp' after '#' must start with '/'",
        ),
        (
            "multi-level wildcard in a filter's middle",
            MQTT_SITE.replace("field/+/telemetry", "field/#/telemetry"),
            "site.toml:12:10: filter 'field/#/telemetry': '#' must be a whole level and the last one",
        ),
        (
            "a tag's address that reads as a wildcard",
            MQTT_SITE.replace("field/w1/telemetry#/temp", "field/#/temp"),
            "site.toml:18:11: 'field/#/temp': '#' right after '/' reads as a multi-level wildcard",
        ),
        (
            "wildcard in a tag's topic",
            MQTT_SITE.replace("field/w1/telemetry#", "field/+/telemetry#"),
            "site.toml:18:11: 'field/+/telemetry': a tag's topic must be a concrete topic",
        ),
        (
            "writable JSON tag",
            MQTT_SITE.replace("#/temp\"", "#/temp\"\nwritable = true"),
            "site.toml:18:11: tag 'w/temp' is writable but JSON topics are read-only here",
        ),
        (
            "Sparkplug address without a metric",
            MQTT_SITE.replace("spBv1.0/g/n/d#Frequency SP", "spBv1.0/g/n/d"),
            "site.toml:23:11: Sparkplug address 'spBv1.0/g/n/d' must be spBv1.0/GROUP/NODE[/DEVICE]#METRIC",
        ),
        (
            "one metric bound twice",
            format!(
                "{MQTT_SITE}\n[[tag]]\nname = \"w/sp2\"\ndriver = \"mq\"\naddress = \"spBv1.0/g/n/d#Frequency SP\"\n"
            ),
            "site.toml:29:11: metric 'spBv1.0/g/n/d#Frequency SP' is already bound to tag 'w/sp'",
        ),
        (
            "missing CA file",
            MQTT_SITE.replace(
                "broker = \"127.0.0.1:1883\"",
                "broker = \"127.0.0.1:8883\"\ntls = { ca_file = \"certs/ca.pem\" }",
            ),
            "site.toml:10:19: 'certs/ca.pem' was not found in the project",
        ),
        (
            "password from an unset variable",
            MQTT_SITE.replace(
                "broker = \"127.0.0.1:1883\"",
                "broker = \"127.0.0.1:1883\"\nusername = \"u\"\npassword_env = \"WELLCONSOLE_TEST_SURELY_UNSET\"",
            ),
            "site.toml:11:16: environment variable 'WELLCONSOLE_TEST_SURELY_UNSET' (the broker password) is not set",
        ),
        (
            "bad qos",
            MQTT_SITE.replace("broker = \"127.0.0.1:1883\"", "broker = \"127.0.0.1:1883\"\nqos = 2"),
            "site.toml:10:7: qos must be 0 or 1",
        ),
    ];
    assert_check_reports(
        cases
            .into_iter()
            .map(|(case, site, want)| (case, site, Vec::new(), want))
            .collect(),
    );
}

const OPCUA_SITE: &str = r#"[site]
name = "opcua"

[[driver]]
name = "plc"
kind = "opcua"

[driver.opcua]
endpoint = "opc.tcp://127.0.0.1:4840/"
subscription = [{ name = "fast", publishing_ms = 100 }]

[[tag]]
name = "w/p"
driver = "plc"
address = "ns=2;s=Well1.Pressure"
poll = "fast"
"#;

#[test]
fn check_reports_opcua_configuration_errors() {
    let cases = [
        (
            "endpoint without scheme",
            OPCUA_SITE.replace("opc.tcp://127.0.0.1:4840/", "127.0.0.1:4840"),
            "site.toml:9:12: endpoint '127.0.0.1:4840' must be opc.tcp://HOST:PORT[/PATH]",
        ),
        (
            "unsupported policy",
            OPCUA_SITE.replace("endpoint =", "security_policy = \"Basic128Rsa15\"\nendpoint ="),
            "site.toml:9:19: security_policy 'Basic128Rsa15' is not supported",
        ),
        (
            "mode that does not go with the policy",
            OPCUA_SITE.replace("endpoint =", "security_mode = \"Sign\"\nendpoint ="),
            "site.toml:9:17: security_mode None goes with security_policy None",
        ),
        (
            "bad node id",
            OPCUA_SITE.replace("ns=2;s=Well1.Pressure", "Well1.Pressure"),
            "site.toml:15:11: 'Well1.Pressure' is not an OPC UA node id",
        ),
        (
            "unknown subscription",
            OPCUA_SITE.replace("poll = \"fast\"", "poll = \"slow\""),
            "site.toml:16:8: subscription 'slow' is not defined for driver 'plc' (defined: fast)",
        ),
        (
            "user certificate without key",
            OPCUA_SITE.replace("endpoint =", "user_cert = \"certs/user.pem\"\nendpoint ="),
            "site.toml:9:13: user_cert and user_key go together",
        ),
    ];
    assert_check_reports(
        cases
            .into_iter()
            .map(|(case, site, want)| (case, site, Vec::new(), want))
            .collect(),
    );
}

/// Counts every stored sample and checks each tag's history is in strict time order (no sample twice).
fn committed_samples(db: &Path) -> u64 {
    let h = wellconsole::historian::History::open(db).unwrap();
    let mut total = 0;
    for t in h.tags().unwrap() {
        let s = h.raw(&t.name, i64::MIN + 1, i64::MAX).unwrap();
        assert!(
            s.windows(2).all(|w| w[0].ts < w[1].ts),
            "{}: out of order or repeated",
            t.name
        );
        total += s.len() as u64;
    }
    total
}

#[test]
fn history_survives_kill_9_mid_write_and_keeps_everything_committed() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("history.db");
    let mut seen = 0u64;
    for round in 0..3u64 {
        // 50× real time: 37,500 samples/s, a commit every second; killed at a different point each round
        let mut child = Command::new(env!("CARGO_BIN_EXE_wellconsole"))
            .args([
                "--history-db",
                db.to_str().unwrap(),
                "--speed",
                "50",
                "run",
                "--headless",
                "--for",
                "120",
            ])
            .env("RUST_LOG", "error")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        // wait until this run has committed twice, reading while it writes (WAL: readers never block it)
        let committed = loop {
            assert!(std::time::Instant::now() < deadline, "no commits from round {round}");
            std::thread::sleep(std::time::Duration::from_millis(200));
            if !db.exists() {
                continue;
            }
            // The file can be there before its tables are (the console is still creating it): look again.
            let Some(n) = wellconsole::historian::History::open(&db)
                .ok()
                .and_then(|h| h.stats().ok())
                .map(|s| s.samples)
            else {
                continue;
            };
            if n >= seen + 75 * 1_000 {
                break n;
            }
        };
        std::thread::sleep(std::time::Duration::from_millis(137 * (round + 1)));
        child.kill().unwrap(); // SIGKILL: no shutdown, no final commit
        child.wait().unwrap();
        let conn = rusqlite::Connection::open(&db).unwrap();
        let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
        assert_eq!(check, "ok");
        drop(conn);
        let after = committed_samples(&db);
        assert!(
            after >= committed,
            "round {round}: {after} samples after the kill, {committed} seen committed before"
        );
        seen = after;
    }
    // a normal run continues the same database, and the tools read it
    let o = wellconsole(&[
        "--history-db",
        db.to_str().unwrap(),
        "--speed",
        "10",
        "run",
        "--headless",
        "--for",
        "2",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(committed_samples(&db) > seen);
    let o = wellconsole(&["--history-db", db.to_str().unwrap(), "history", "stats"]);
    assert!(o.status.success());
    let out = stdout(&o);
    assert!(
        out.contains("ct01/weight") && out.lines().last().unwrap().starts_with("total: "),
        "{out}"
    );
    let csv = tmp.path().join("weight.csv");
    let o = wellconsole(&[
        "--history-db",
        db.to_str().unwrap(),
        "history",
        "export",
        "--tag",
        "ct01/weight",
        "--tag",
        "ct01/job_phase",
        "--from",
        "-1d",
        "--to",
        "+1d",
        "--out",
        csv.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "'+1d' is not a time form");
    let o = wellconsole(&[
        "--history-db",
        db.to_str().unwrap(),
        "history",
        "export",
        "--tag",
        "ct01/weight",
        "--tag",
        "ct01/job_phase",
        "--from",
        "2020-01-01",
        "--to",
        "2100-01-01T00:00:00Z",
        "--out",
        csv.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("time,tag,value,quality"));
    let rows: Vec<&str> = lines.collect();
    assert!(rows.iter().any(|l| l.contains(",ct01/weight,") && l.ends_with(",good")));
    assert!(rows.iter().any(|l| l.contains(",ct01/job_phase,RIH,good")));
    let o = wellconsole(&[
        "--history-db",
        db.to_str().unwrap(),
        "history",
        "export",
        "--tag",
        "no/such",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no history for tag 'no/such'"));
}

const ALARM: &str = r#"[[alarm]]
tag = "ct01/depth"
type = "hi"
limit = 9000.0
priority = "high"
message = { en = "Deep", es = "Profundo" }
"#;

#[test]
fn check_reports_alarm_definition_errors() {
    let alarm = |from: &str, to: &str| ALARM.replace(from, to);
    let twice = format!("{ALARM}\n{ALARM}");
    let with_line = |line: &str| format!("{ALARM}{line}\n");
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "unknown tag",
            alarm("ct01/depth\"", "ct01/dept\""),
            "alarms/a.toml:2:7: unknown tag 'ct01/dept'",
        ),
        (
            "unknown type",
            alarm("\"hi\"", "\"high\""),
            "alarms/a.toml:3:8: unknown alarm type 'high'",
        ),
        (
            "limit missing",
            alarm("limit = 9000.0\n", ""),
            "alarms/a.toml:3:8: a 'hi' alarm needs limit = NUMBER",
        ),
        (
            "unknown priority",
            alarm("\"high\"", "\"urgent\""),
            "alarms/a.toml:5:12: unknown priority 'urgent'",
        ),
        (
            "message without Spanish",
            alarm(", es = \"Profundo\"", ""),
            "alarms/a.toml:6:11: message has no Spanish text",
        ),
        (
            "suppression on an unknown tag",
            with_line("suppress_when = \"esp01/runing == false\""),
            "alarms/a.toml:7:17: suppress_when 'esp01/runing == false': unknown tag 'esp01/runing'",
        ),
        (
            "defined twice",
            twice,
            "alarms/a.toml:9:7: alarm 'ct01/depth:HI' is defined twice",
        ),
        (
            "setpoint is not a tag",
            alarm("\"hi\"", "\"deviation\"") + "setpoint = \"ct01/sp\"\n",
            "alarms/a.toml:7:12: unknown tag 'ct01/sp'",
        ),
        (
            "negative deadband",
            with_line("deadband = -5.0"),
            "alarms/a.toml:7:12: deadband must be 0 or more",
        ),
        (
            "misspelt field",
            with_line("on_delay = 2.0"),
            "alarms/a.toml:7:1: unknown field `on_delay`",
        ),
        (
            "syntax",
            alarm("priority = \"high\"", "priority = high"),
            "alarms/a.toml:5:12: ",
        ),
        (
            "state on a number",
            alarm("type = \"hi\"\nlimit = 9000.0", "type = \"state\"\nstate = \"RIH\""),
            "alarms/a.toml:4:9: state \"RIH\" cannot be compared with 'ct01/depth'",
        ),
        (
            "a deadband wider than the tag's range",
            with_line("deadband = 1e300"),
            "alarms/a.toml:7:12: deadband must be less than the tag's range span (15000)",
        ),
    ];
    let cases: Vec<BrokenCase> = cases
        .into_iter()
        .map(|(case, text, want)| {
            let text: &'static [u8] = Box::leak(text.into_bytes().into_boxed_slice());
            (case, SITE.to_owned(), vec![("alarms/a.toml", text)], want)
        })
        .collect();
    assert_check_reports(cases);
}

#[test]
fn alarm_state_survives_a_restart_and_the_report_counts_it() {
    let tmp = tempfile::tempdir().unwrap();
    let stats = tmp.path().join("stats.json");
    // Its own data folder: the demo keeps its alarm journal with its records there.
    let in_tmp = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_wellconsole"))
            .args(args)
            .env("RUST_LOG", "error")
            .env("XDG_DATA_HOME", tmp.path())
            .output()
            .expect("binary runs")
    };
    let run = |extra: &[&str]| {
        let mut args = vec!["--no-history", "--speed", "20"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&[
            "run",
            "--headless",
            "--for",
            "6",
            "--stats-json",
            stats.to_str().unwrap(),
        ]);
        let o = in_tmp(&args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&stats).unwrap()).unwrap();
        v["alarms"].clone()
    };
    // A kick: wellhead pressure climbs through HI and HIHI.
    let first = run(&["--fault", "overpressure:ct01@1"]);
    assert_eq!(first["ct01/wellhead_pressure:HIHI"], "ACTIVE UNACK", "{first}");
    // Restarted without the fault: pressure is back to normal, but nobody acknowledged the alarm, so it is
    // still waiting for the operator (a fresh engine would have forgotten it).
    let second = run(&[]);
    assert_eq!(second["ct01/wellhead_pressure:HIHI"], "RTN UNACK", "{second}");

    let o = in_tmp(&["alarms", "report", "--from", "-1h", "--csv"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = stdout(&o);
    assert!(csv.starts_with("section,key,value,extra\n"), "{csv}");
    assert!(
        csv.lines()
            .any(|l| l.starts_with("top10,ct01/wellhead_pressure:HIHI,1,")),
        "{csv}"
    );
    assert!(csv.lines().any(|l| l.starts_with("priority,critical,")), "{csv}");
    let o = in_tmp(&["alarms", "report"]);
    assert!(stdout(&o).contains("Alarm performance"));
    let o = Command::new(env!("CARGO_BIN_EXE_wellconsole"))
        .args(["alarms", "report"])
        .env("RUST_LOG", "error")
        .env("XDG_DATA_HOME", tmp.path().join("none"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "a missing journal is refused");
}

/// Waits (generously: tests check behaviour, not speed) until `ok` holds, e.g. a watcher noticing an edit.
fn wait(what: &str, ok: &dyn Fn() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !ok() {
        assert!(std::time::Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn a_running_console_reloads_edited_alarm_files_and_keeps_the_last_good_set() {
    use wellconsole::project::{Project, ProjectFiles};
    use wellconsole::runtime::{Runtime, RuntimeOptions};
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("p");
    project(&dir, SITE, &[("alarms/a.toml", ALARM.as_bytes())]);
    let project = Project::load(ProjectFiles::from_dir(&dir).unwrap()).unwrap();
    let rt = Runtime::start(project, RuntimeOptions::default(), Vec::new(), None).unwrap();
    let points = || rt.alarms.view.load().points;
    wait("the first set", &|| points() == 1);
    // A typo: the running set stays, the problem is shown with its place.
    std::fs::write(dir.join("alarms/a.toml"), ALARM.replace("\"high\"", "\"hihg\"")).unwrap();
    wait("the problem", &|| !rt.alarms.problems.load().is_empty());
    let problems = rt.alarms.problems.load();
    assert!(
        problems[0].ends_with("alarms/a.toml:5:12: unknown priority 'hihg' (critical, high, medium, low, diagnostic)"),
        "{problems:?}"
    );
    assert_eq!(points(), 1);
    // Fixed, with a second alarm: loaded, the problem cleared.
    let two = format!(
        "{ALARM}\n{}",
        ALARM.replace("\"hi\"", "\"lo\"").replace("9000.0", "100.0")
    );
    std::fs::write(dir.join("alarms/a.toml"), two).unwrap();
    wait("the new set", &|| points() == 2);
    assert!(rt.alarms.problems.load().is_empty());
    // Hostile edits: a trip nested 5,000 and 2,000 deep once killed the console on reload ("thread
    // 'alarm-reload' has overflowed its stack"). Now each is a problem line, and the console runs on.
    for (depth, why) in [(5_000, "at most 4096"), (2_000, "parentheses nest more than 32 deep")] {
        let deep = format!(
            "[[trip]]\nid = \"deep\"\nname = {{ en = \"Deep\", es = \"Hondo\" }}\nwhen = \"{}ct01/depth > 1{}\"\ndelay_s = 1.0\naction = [{{ tag = \"ct01/depth\", value = 1.0 }}]\n",
            "(".repeat(depth),
            ")".repeat(depth)
        );
        std::fs::write(dir.join("alarms/t.toml"), deep).unwrap();
        wait("the problem", &|| {
            rt.alarms.problems.load().iter().any(|p| p.contains(why))
        });
    }
    assert_eq!(points(), 2, "the last good set kept running");
    assert!(rt.snapshot.load().counters.samples_in > 0);
    rt.shutdown();
}

#[test]
fn users_are_managed_from_the_command_line_and_every_change_is_audited() {
    let tmp = tempfile::tempdir().unwrap();
    // The demo keeps its records in the user's data folder; `--history-db` moves history only (and only the
    // console, `run` and `history` take it).
    let elsewhere = tmp.path().join("elsewhere").join("history.db");
    let records = tmp.path().join("wellconsole").join("demo");
    let run = |args: &[&str], password: Option<&str>| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_wellconsole"));
        c.args(args).env("RUST_LOG", "error").env("XDG_DATA_HOME", tmp.path());
        if let Some(pw) = password {
            c.env("NEW_PASSWORD", pw);
        }
        c.output().expect("binary runs")
    };
    let ok = |o: &Output| {
        assert!(
            o.status.success(),
            "{}{}",
            stdout(o),
            String::from_utf8_lossy(&o.stderr)
        )
    };
    let add = |name: &str, role: &str, pw: &str| {
        run(
            &["users", "add", name, "--role", role, "--password-env", "NEW_PASSWORD"],
            Some(pw),
        )
    };
    ok(&add("ana", "operator", "pozo-caliente-7"));
    ok(&add("sam", "supervisor", "turno-noche-44"));
    let weak = add("luis", "admin", "password");
    assert_eq!(weak.status.code(), Some(2), "a common password is refused");
    assert!(String::from_utf8_lossy(&weak.stderr).contains("one of the most common passwords"));
    let twin = add("ANA", "admin", "otra-clave-segura-1");
    assert_eq!(twin.status.code(), Some(2), "a name differing only in case is refused");
    ok(&run(&["users", "disable", "ana"], None));
    ok(&run(&["users", "unlock", "sam"], None));
    let list = stdout(&run(&["users", "list"], None));
    assert!(
        list.lines()
            .any(|l| l.starts_with("ana") && l.contains("operator") && l.contains("disabled")),
        "{list}"
    );
    assert!(
        list.lines()
            .any(|l| l.starts_with("sam") && l.contains("supervisor") && l.contains("active")),
        "{list}"
    );
    assert!(!list.contains("luis"));
    // The records are the project's, not the flag's, and private to their owner.
    assert!(!elsewhere.with_file_name("users.db").exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&records), 0o700);
        for f in ["users.db", "audit.db", "audit.anchor", "site.key"] {
            assert_eq!(mode(&records.join(f)), 0o600, "{f}");
        }
    }

    // The console refuses --user/--role on a site with users, wherever --history-db points.
    let history = elsewhere.to_str().unwrap();
    let bypass = run(&["--history-db", history, "--user", "x", "--role", "admin"], None);
    assert_eq!(bypass.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bypass.stderr).contains("--user and --role apply only to a site with no users"),
        "{}",
        String::from_utf8_lossy(&bypass.stderr)
    );

    // Nor does deleting the user store open the site: the audit trail says users were added.
    let kept = tmp.path().join("users.db.kept");
    std::fs::rename(records.join("users.db"), &kept).unwrap();
    for f in ["users.db-wal", "users.db-shm"] {
        let _ = std::fs::remove_file(records.join(f));
    }
    let gone = run(&["--history-db", history, "--role", "admin"], None);
    assert_eq!(gone.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&gone.stderr).contains("the user store is missing or empty"),
        "{}",
        String::from_utf8_lossy(&gone.stderr)
    );
    std::fs::rename(&kept, records.join("users.db")).unwrap();

    let verify = run(&["audit", "verify"], None);
    ok(&verify);
    assert!(
        stdout(&verify).contains("6 records, chain intact, anchored at 6"),
        "{}",
        stdout(&verify)
    );
    let log = stdout(&run(&["audit", "list"], None));
    assert!(
        log.contains("user added luis REFUSED"),
        "the refused attempt is recorded: {log}"
    );
    assert!(log.contains("user disabled ana"), "{log}");
    assert!(log.contains("user unlocked sam"), "{log}");

    // Someone edits the file around the database's own guard: verify names the record and fails.
    let conn = rusqlite::Connection::open(records.join("audit.db")).unwrap();
    conn.execute_batch(
        "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete; UPDATE audit SET target = 'luis' WHERE seq = 4;",
    )
    .unwrap();
    let verify = run(&["audit", "verify"], None);
    assert_eq!(verify.status.code(), Some(1));
    assert!(
        stdout(&verify).contains("audit record 4 is broken: its contents were changed after it was written"),
        "{}",
        stdout(&verify)
    );
    // Or cuts the last records off: the chain that is left is intact, the anchor says what is missing.
    // (Its guard again first: every open puts the triggers back.)
    conn.execute_batch("DROP TRIGGER IF EXISTS audit_no_delete; DELETE FROM audit WHERE seq >= 4;")
        .unwrap();
    drop(conn);
    let verify = run(&["audit", "verify"], None);
    assert_eq!(verify.status.code(), Some(1));
    assert!(
        stdout(&verify).contains("audit records were cut off the end: the anchor says 6 records, the trail ends at 3"),
        "{}",
        stdout(&verify)
    );
    // Or deletes the whole trail.
    for f in ["audit.db", "audit.db-wal", "audit.db-shm"] {
        let _ = std::fs::remove_file(records.join(f));
    }
    let verify = run(&["audit", "verify"], None);
    assert_eq!(verify.status.code(), Some(1));
    assert!(
        stdout(&verify).contains("the audit trail was deleted"),
        "{}",
        stdout(&verify)
    );
    // And deleting the key too does not let a new one vouch for the sealed user records.
    std::fs::remove_file(records.join("site.key")).unwrap();
    let o = run(&["users", "list"], None);
    assert_eq!(o.status.code(), Some(2));
}

const TRIP: &str = r#"[[trip]]
id = "t1"
name = { en = "Deep", es = "Profundo" }
when = "ct01/depth > 9000"
delay_s = 1.0
action = [{ tag = "ct01/shutdown", value = true }]
"#;

#[test]
fn check_reports_trip_rule_errors() {
    let site = format!("{SITE}\n[[tag]]\nname = \"ct01/shutdown\"\ndriver = \"sim\"\nwritable = true\n");
    let trip = |from: &str, to: &str| TRIP.replace(from, to);
    let with_line = |line: &str| format!("{TRIP}{line}\n");
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "unknown tag in the condition",
            trip("ct01/depth > 9000", "ct01/dept > 9000"),
            "alarms/t.toml:4:8: when 'ct01/dept > 9000': unknown tag 'ct01/dept'",
        ),
        (
            "unclosed parenthesis",
            trip("\"ct01/depth > 9000\"", "\"(ct01/depth > 9000\""),
            "alarms/t.toml:4:8: when '(ct01/depth > 9000': a '(' is not closed",
        ),
        (
            "and/or without a condition",
            trip("ct01/depth > 9000", "ct01/depth > 9000 and"),
            "alarms/t.toml:4:8: when 'ct01/depth > 9000 and': a condition is missing at the end",
        ),
        (
            "rate of a bool",
            trip("ct01/depth > 9000", "rate(ct01/shutdown) > 5"),
            "alarms/t.toml:4:8: when 'rate(ct01/shutdown) > 5': rate(ct01/shutdown) needs a numeric tag",
        ),
        (
            "output not writable",
            trip("tag = \"ct01/shutdown\"", "tag = \"ct01/depth\""),
            "alarms/t.toml:6:19: 'ct01/depth' is not writable",
        ),
        (
            "output value of the wrong type",
            trip("value = true", "value = 3"),
            "alarms/t.toml:6:44: 3 cannot be written to 'ct01/shutdown', which holds true/false",
        ),
        (
            "no action",
            trip("[{ tag = \"ct01/shutdown\", value = true }]", "[]"),
            "alarms/t.toml:6:10: action needs at least one output",
        ),
        (
            "unknown fail-safe",
            with_line("on_bad = \"ignore\""),
            "alarms/t.toml:7:10: on_bad 'ignore': expected \"trip\"",
        ),
        (
            "name without Spanish",
            trip(", es = \"Profundo\"", ""),
            "alarms/t.toml:3:8: name has no Spanish text",
        ),
        (
            "defined twice",
            format!("{TRIP}\n{TRIP}"),
            "alarms/t.toml:9:6: 't1' is defined twice",
        ),
        (
            "bypass too long",
            with_line("bypass_max_h = 200"),
            "alarms/t.toml:7:16: bypass_max_h must be between 0 (never bypassed) and 168 hours",
        ),
        (
            "rate window without a rate",
            with_line("rate_window_s = 5"),
            "alarms/t.toml:7:17: rate_window_s has no meaning without a rate(TAG) term",
        ),
        (
            "misspelt field",
            with_line("delay = 1.0"),
            "alarms/t.toml:7:1: unknown field `delay`",
        ),
        (
            "E-stop on a measurement",
            "[[estop]]\nid = \"e\"\nlabel = { en = \"STOP\", es = \"PARO\" }\naction = [{ tag = \"ct01/depth\", value = true }]\n"
                .to_owned(),
            "alarms/t.toml:4:19: 'ct01/depth' is not writable",
        ),
        (
            "a comparison with NaN (never true: it would trip at start on its fail-safe)",
            trip("ct01/depth > 9000", "ct01/depth > NaN"),
            "alarms/t.toml:4:8: when 'ct01/depth > NaN': 'NaN' is not a finite number",
        ),
        (
            "nested deeper than a rule needs",
            trip(
                "\"ct01/depth > 9000\"",
                &format!("\"{}ct01/depth > 9000{}\"", "(".repeat(40), ")".repeat(40)),
            ),
            "alarms/t.toml:4:8: when '((((((((((((((((((((((((((((((((((((((((ct01/depth > 9000)))…': parentheses nest more than 32 deep",
        ),
        (
            // 15,000 deep overflowed check's own stack before the parser bounded it.
            "nested 15,000 deep",
            trip(
                "\"ct01/depth > 9000\"",
                &format!("\"{}ct01/depth > 9000{}\"", "(".repeat(15_000), ")".repeat(15_000)),
            ),
            "alarms/t.toml:4:8: when '((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((…': the condition is 30017 bytes long; at most 4096",
        ),
    ];
    let mut cases: Vec<BrokenCase> = cases
        .into_iter()
        .map(|(case, text, want)| {
            let text: &'static [u8] = Box::leak(text.into_bytes().into_boxed_slice());
            (case, site.clone(), vec![("alarms/t.toml", text)], want)
        })
        .collect();
    cases.push((
        "a measurement made writable",
        SITE.replace(
            "name = \"esp01/rate\"\ndriver = \"sim\"",
            "name = \"esp01/rate\"\ndriver = \"sim\"\nwritable = true",
        ),
        vec![],
        "site.toml:19:8: tag 'esp01/rate' is writable but sim signal 'esp01/rate' is a measurement",
    ));
    assert_check_reports(cases);
}

/// A valid screen project: a tank symbol, a main screen placing it, and a detail screen below it.
const TANK: &str = r#"id = "tank"
name = { en = "Tank", es = "Tanque" }
size = [100, 100]

[inputs]
level = "number"

[[part]]
rect = [0, 0, 100, 100]
fill = "liquid"
fill_level = { input = "level" }
"#;

const MAIN: &str = r#"id = "main"
title = { en = "Main", es = "Principal" }
level = 1
key = "F1"
canvas = [800, 600]

[[symbol]]
use = "tank"
at = [10, 10]
bind = { level = "ct01/depth" }

[[value]]
tag = "ct01/depth"
at = [200, 10]

[[nav]]
to = "detail"
at = [200, 100]
"#;

const DETAIL: &str = r#"id = "detail"
title = { en = "Detail", es = "Detalle" }
parent = "main"
canvas = [800, 600]
"#;

#[test]
fn check_reports_screen_and_symbol_errors() {
    let main = |from: &str, to: &str| {
        assert!(MAIN.contains(from), "{from}");
        (MAIN.replace(from, to), TANK.to_owned(), DETAIL.to_owned())
    };
    let tank = |from: &str, to: &str| {
        assert!(TANK.contains(from), "{from}");
        (MAIN.to_owned(), TANK.replace(from, to), DETAIL.to_owned())
    };
    let detail = |text: String| (MAIN.to_owned(), TANK.to_owned(), text);
    let cases: Vec<(&str, (String, String, String), &str)> = vec![
        (
            "unknown symbol",
            main("use = \"tank\"", "use = \"tnak\""),
            "screens/main.toml:8:7: unknown symbol 'tnak' — did you mean 'tank'?",
        ),
        (
            "unknown tag",
            main("tag = \"ct01/depth\"", "tag = \"ct01/dept\""),
            "screens/main.toml:13:7: unknown tag 'ct01/dept'",
        ),
        (
            "binding to an input the symbol does not have",
            main("bind = { level = ", "bind = { lvl = "),
            "screens/main.toml:10:16: symbol 'tank' has no input 'lvl' (its inputs: level)",
        ),
        (
            "an input left unbound",
            main("bind = { level = \"ct01/depth\" }", "bind = { }"),
            "screens/main.toml:10:8: input 'level' of symbol 'tank' is not bound",
        ),
        (
            "a range-scaled input on a tag without a range",
            main("bind = { level = \"ct01/depth\" }", "bind = { level = \"ct01/stop\" }"),
            "screens/main.toml:10:8: input 'level' of symbol 'tank' is scaled by its tag's range, and 'ct01/stop' has none",
        ),
        (
            "a command to a read-only tag",
            main(
                "[[nav]]",
                "[[command]]\ntag = \"ct01/depth\"\nvalue = 1\nat = [400, 10]\nlabel = { en = \"Go\", es = \"Ir\" }\nconfirm = { en = \"Sure?\", es = \"¿Seguro?\" }\n\n[[nav]]",
            ),
            "screens/main.toml:17:7: 'ct01/depth' is not writable",
        ),
        (
            "out of the canvas",
            main("at = [200, 10]", "at = [700, 10]"),
            "screens/main.toml:14:6: value at [700, 10] size [220, 28] reaches outside the canvas [800, 600]",
        ),
        (
            "navigation to a screen that does not exist",
            main("to = \"detail\"", "to = \"detial\""),
            "screens/main.toml:17:6: to 'detial' is not a screen (screens: detail, main)",
        ),
        (
            "a shortcut that is not a key",
            main("key = \"F1\"", "key = \"F13\""),
            "screens/main.toml:4:7: key 'F13': F1 to F12",
        ),
        (
            "a shortcut used twice",
            detail(format!("{DETAIL}key = \"F1\"\n")),
            // files load in path order: detail.toml took F1 first
            "screens/main.toml:4:7: F1 already opens another screen (at ",
        ),
        (
            "parents in a loop",
            (
                MAIN.replace("level = 1\n", "parent = \"detail\"\n"),
                TANK.to_owned(),
                DETAIL.to_owned(),
            ),
            "screens/detail.toml:1:6: screen 'detail': its parents lead back to 'detail' (a loop)",
        ),
        (
            "a screen defined twice",
            detail(
                DETAIL
                    .replace("\"detail\"", "\"main\"")
                    .replace("parent = \"main\"\n", ""),
            ),
            "screens/main.toml:1:6: screen 'main' is defined twice (first at ",
        ),
        (
            "a title without Spanish",
            main(", es = \"Principal\"", ""),
            "screens/main.toml:2:9: title has no Spanish text",
        ),
        (
            "a screen file that is not TOML",
            main("canvas = [800, 600]", "canvas = [800, 600"),
            "screens/main.toml:7:1: missing comma between array elements",
        ),
        (
            "a misspelt field",
            main("at = [200, 100]", "at = [200, 100]\ntarget = \"x\""),
            "screens/main.toml:19:1: unknown field `target`, expected one of `to`, `at`, `size`, `label`",
        ),
        (
            "unknown colour",
            tank("fill = \"liquid\"", "fill = \"red\""),
            "symbols/tank.toml:10:8: unknown colour 'red'",
        ),
        (
            "a symbol binding an undeclared input",
            tank("input = \"level\"", "input = \"lvl\""),
            "symbols/tank.toml:11:24: 'lvl' is not an input of this symbol",
        ),
        (
            "a part with two shapes",
            tank(
                "rect = [0, 0, 100, 100]",
                "rect = [0, 0, 100, 100]\ncircle = [50, 50, 10]",
            ),
            "symbols/tank.toml:8:1: a part is exactly one shape",
        ),
        (
            "a path that does not parse",
            tank("rect = [0, 0, 100, 100]", "path = \"M 0 0 L 100 0 l 50 50 Z\""),
            "symbols/tank.toml:9:23: path: 'l': use absolute commands",
        ),
        (
            "a filled outline that is not convex",
            tank(
                "rect = [0, 0, 100, 100]",
                "polygon = [[0, 0], [100, 0], [50, 20], [50, 100]]",
            ),
            "symbols/tank.toml:8:1: a filled outline must be convex",
        ),
    ];
    let cases: Vec<BrokenCase> = cases
        .into_iter()
        .map(|(case, (main, tank, detail), want)| {
            let leak = |s: String| -> &'static [u8] { Box::leak(s.into_bytes().into_boxed_slice()) };
            (
                case,
                format!("{SITE}\n[[tag]]\nname = \"ct01/stop\"\ndriver = \"sim\"\naddress = \"ct01/shutdown\"\n"),
                vec![
                    ("screens/main.toml", leak(main)),
                    ("symbols/tank.toml", leak(tank)),
                    ("screens/detail.toml", leak(detail)),
                ],
                want,
            )
        })
        .collect();
    assert_check_reports(cases);
}

#[test]
fn a_running_console_reloads_edited_screens_and_keeps_the_last_good_ones() {
    use wellconsole::project::{Project, ProjectFiles};
    use wellconsole::runtime::{Runtime, RuntimeOptions};
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("p");
    let files: [(&str, &[u8]); 3] = [
        ("screens/main.toml", MAIN.as_bytes()),
        ("screens/detail.toml", DETAIL.as_bytes()),
        ("symbols/tank.toml", TANK.as_bytes()),
    ];
    project(&dir, SITE, &files);
    let project = Project::load(ProjectFiles::from_dir(&dir).unwrap()).unwrap();
    let rt = Runtime::start(project, RuntimeOptions::default(), Vec::new(), None).unwrap();
    let title = || rt.screens.load().get("main").map(|s| s.title.en.to_string());
    assert_eq!(title().as_deref(), Some("Main"));
    // A broken symbol: the screens on display stay, the problem is shown with its place.
    std::fs::write(dir.join("symbols/tank.toml"), TANK.replace("\"liquid\"", "\"red\"")).unwrap();
    wait("the problem", &|| !rt.screen_problems.load().is_empty());
    let problems = rt.screen_problems.load();
    assert!(
        problems[0].contains("symbols/tank.toml:10:8: unknown colour 'red'"),
        "{problems:?}"
    );
    assert_eq!(title().as_deref(), Some("Main"), "the last good screens stay");
    // Fixed, and the screen renamed: the new set is shown and the problem cleared.
    std::fs::write(dir.join("symbols/tank.toml"), TANK).unwrap();
    std::fs::write(
        dir.join("screens/main.toml"),
        MAIN.replace("\"Main\"", "\"Pad overview\""),
    )
    .unwrap();
    wait("the new screens", &|| title().as_deref() == Some("Pad overview"));
    assert!(rt.screen_problems.load().is_empty());
    rt.shutdown();
}

#[test]
fn screenshot_renders_a_screen_with_live_data_offscreen() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("ct01.png");
    let o = wellconsole(&[
        "screenshot",
        "--screen",
        "ct01",
        "--out",
        out.to_str().unwrap(),
        "--width",
        "960",
        "--height",
        "540",
        "--after",
        "1",
        "--speed",
        "20",
        "--lang",
        "es",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&out).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height), (960, 540));
    let px = &buf[..info.buffer_size()];
    let colours: std::collections::HashSet<&[u8]> = px.chunks_exact(4).collect();
    // A drawn screen: the grey background, equipment greys, text and anti-aliasing give hundreds of colours.
    assert!(colours.len() > 200, "only {} colours: nothing drawn?", colours.len());
    assert!(
        colours.contains(&[0xD6, 0xD6, 0xD6, 0xFF][..]),
        "the console's background is there"
    );
    // No record is kept by a picture.
    assert!(!tmp.path().join("history.db").exists());

    let bad = wellconsole(&["screenshot", "--screen", "ct02", "--out", out.to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("no screen 'ct02' in this project (screens: field, ct01"),
        "{err}"
    );
}

/// A tmpfs of `size` mounted at a fresh folder, unmounted on drop (root only, as CI runs).
struct SmallDisk(std::path::PathBuf);

impl SmallDisk {
    fn mount(at: &Path, size: &str) -> Option<Self> {
        std::fs::create_dir_all(at).ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Self(at.to_path_buf()))
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_history_disk_is_counted_logged_once_and_never_holds_up_the_exit() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(disk) = SmallDisk::mount(&tmp.path().join("disk"), "2m") else {
        assert!(
            std::env::var("WELLCONSOLE_REQUIRE_PEERS").as_deref() != Ok("1"),
            "a tmpfs mount is required here (scripts/test runs as root on CI)"
        );
        eprintln!("skipped: cannot mount a tmpfs (not root)");
        return;
    };
    let stats = tmp.path().join("stats.json");
    let history = disk.0.join("history.db");
    let mut child = Command::new(env!("CARGO_BIN_EXE_wellconsole"))
        .args(["--history-db", history.to_str().unwrap(), "--speed", "50"])
        .args([
            "run",
            "--headless",
            "--for",
            "20",
            "--stats-json",
            stats.to_str().unwrap(),
        ])
        .env("RUST_LOG", "warn")
        .env("XDG_DATA_HOME", tmp.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait("the history database", &|| history.exists());
    std::thread::sleep(std::time::Duration::from_secs(2));
    // The disk fills up while the console runs, and stays full: space SQLite gives back (its log restarting
    // after a checkpoint) is taken again, or the writer could save everything after all.
    for k in 0..8 {
        let _ = Command::new("dd")
            .args(["if=/dev/zero", "bs=4k"])
            .arg(format!("of={}", disk.0.join(format!("fill{k}")).display()))
            .stderr(std::process::Stdio::null())
            .status();
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    // It exits by itself: its run time, then at most the writer's stop deadline (generously bounded here;
    // a console that never exits fails the test rather than hanging it).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(180);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("the console did not exit with its history disk full");
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&stats).unwrap()).unwrap();
    let h = &v["history"];
    let n = |k: &str| h[k].as_u64().unwrap_or_else(|| panic!("{k} in {h}"));
    assert!(n("samples_not_stored") > 0, "{h}");
    assert_eq!(
        n("samples_stored") + n("samples_not_stored"),
        n("samples_in"),
        "every sample is stored or counted: {h}"
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("NOT stored"));
    // Said once (and at stop), not once per commit.
    let lines = err.lines().filter(|l| l.contains("history")).count();
    assert!(lines <= 8, "{lines} log lines about history:\n{err}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&history).unwrap().permissions().mode() & 0o777, 0o600);
    }
}
