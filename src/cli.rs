//! Command-line interface (clap): every subcommand and option, with the help text people read.

use crate::sim::ScheduledFault;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "wellconsole",
    version,
    about = "Operator console for oil & gas wells (HMI/SCADA)"
)]
pub struct Cli {
    #[command(flatten)]
    pub project: ProjectArgs,
    #[command(flatten)]
    pub plant: PlantArgs,
    #[command(flatten)]
    pub measure: MeasureArgs,
    #[command(flatten)]
    pub history: HistoryDbArgs,
    #[command(flatten)]
    pub console: ConsoleArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Args, Clone, Default)]
pub struct ProjectArgs {
    /// Project directory (site.toml, data/, screens/, symbols/, alarms/). Default: the built-in demo.
    #[arg(long, global = true, value_name = "DIR")]
    pub project: Option<PathBuf>,
}

#[derive(Debug, Args, Clone, Default)]
pub struct PlantArgs {
    /// Simulator speed, times real time (overrides site.toml).
    #[arg(long, global = true, value_name = "N")]
    pub speed: Option<f64>,
    /// Inject a simulator fault: KIND[:TARGET][@SECONDS], e.g. stuck-pipe:ct01@120, comm-loss:esp03,
    /// sensor-fail:ct01/weight@30. Kinds: sensor-fail, overpressure, comm-loss, stuck-pipe, gas-lock.
    #[arg(long = "fault", global = true, value_name = "SPEC")]
    pub faults: Vec<ScheduledFault>,
}

#[derive(Debug, Args, Clone, Default)]
pub struct HistoryDbArgs {
    /// History database (default: the project's; see [historian] in site.toml). Moves history only:
    /// the site's records (users, audit trail, alarm journal) stay where the project keeps them.
    #[arg(long, global = true, value_name = "FILE")]
    pub history_db: Option<PathBuf>,
    /// Run without keeping history.
    #[arg(long, global = true)]
    pub no_history: bool,
}

#[derive(Debug, Args, Clone)]
pub struct ConsoleArgs {
    /// Language of the console and of alarm texts: en or es.
    #[arg(long, global = true, default_value = "en")]
    pub lang: crate::lang::Lang,
    /// Units people read and type at this console: oilfield (psi, lbf, ft, bbl, °F) or si (kPa, kN, m,
    /// m³, °C). Tags, history, alarm limits and writes keep the tags' own units. Switchable in the console.
    #[arg(long, global = true, default_value = "oilfield")]
    pub units: crate::units::UnitSystem,
    /// Name recorded for this console's operator actions on a site with no users (default: the OS user).
    /// Refused on a site with users: there people log in.
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,
    /// Role of this console's user on a site with no users at all (default: operator): admin, supervisor,
    /// engineer, operator or viewer. Refused on a site with users (`wellconsole users add` makes the
    /// first): there people log in and the console starts view-only.
    #[arg(long)]
    pub role: Option<crate::auth::Role>,
    /// Minutes without input after which a logged-in user is logged out (0: never).
    #[arg(long, value_name = "MINUTES", default_value_t = 15.0)]
    pub idle_logout_min: f64,
    /// Sound profile from the alarm files ([sound.NAME]), e.g. control-room or cab.
    #[arg(long, value_name = "NAME", default_value = "control-room")]
    pub sound_profile: String,
    /// Start in touch mode (cab panels: 15 mm targets, large keypad); switchable in the console.
    #[arg(long)]
    pub touch: bool,
    /// Start with the high-contrast sunlight colours (also for `screenshot`); switchable in the console.
    #[arg(long, global = true)]
    pub sunlight: bool,
}

#[derive(Debug, Args, Clone, Default)]
pub struct MeasureArgs {
    /// Close the console after this many seconds (measurement and smoke tests).
    #[arg(long, value_name = "SECONDS")]
    pub exit_after: Option<f64>,
    /// With --exit-after: write frame-time statistics (JSON) to FILE.
    #[arg(long, value_name = "FILE", requires = "exit_after")]
    pub frame_stats: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the project: the console, or with --headless everything except the UI.
    Run(RunArgs),
    /// Write a value to a tag as a person would at the console: checked against their role, recorded in
    /// the audit trail, then waits for the device. Exit 0: confirmed; 1: refused, failed or no answer in
    /// time; 2: a usage or project problem.
    Write(WriteArgs),
    /// Validate every project file; prints path:line:col: message per problem, exit 1 if any.
    Check,
    /// Run the demo plant alone and print a summary line every interval.
    Sim(SimArgs),
    /// OPC UA tools for engineers mapping tags.
    Opcua(OpcuaArgs),
    /// Read the history database: export to CSV, storage statistics.
    History(HistoryArgs),
    /// Read the alarm journal: performance report (EEMUA 191 / ISA-18.2 KPIs).
    Alarms(AlarmsArgs),
    /// Manage the console's users (names, roles, passwords); every change is audited.
    Users(UsersArgs),
    /// The audit trail: check that no record was edited or deleted, list the newest.
    Audit(AuditArgs),
    /// Render one screen with live data to a PNG, offscreen (no window or display needed).
    Screenshot(ScreenshotArgs),
}

#[derive(Debug, Args)]
pub struct ScreenshotArgs {
    /// The screen's id, e.g. field, ct01, esp02 (`wellconsole check` lists problems; screens/ the ids).
    #[arg(long)]
    pub screen: String,
    /// The PNG file to write.
    #[arg(long, value_name = "FILE.png")]
    pub out: PathBuf,
    #[arg(long, default_value_t = 1920)]
    pub width: u32,
    #[arg(long, default_value_t = 1080)]
    pub height: u32,
    /// Seconds the project runs before the picture is taken (values, alarms and trends fill in).
    #[arg(long, default_value_t = 5.0, value_name = "SECONDS")]
    pub after: f64,
}

#[derive(Debug, Args)]
pub struct UsersArgs {
    #[command(subcommand)]
    pub command: UsersCommand,
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Add a user. The password is read from standard input (one line) or from --password-env.
    Add {
        name: String,
        #[arg(long)]
        role: crate::auth::Role,
        /// Environment variable holding the password (never on the command line).
        #[arg(long, value_name = "VAR")]
        password_env: Option<String>,
    },
    /// Every user with role and state.
    List,
    /// Set a new password (standard input or --password-env).
    Passwd {
        name: String,
        #[arg(long, value_name = "VAR")]
        password_env: Option<String>,
    },
    /// Disable a user: they can no longer log in (their records stay).
    Disable { name: String },
    /// End a lockout after failed logins (and forget the failures).
    Unlock { name: String },
    /// Give a user record that fails its integrity check (edited outside wellconsole) its role and a
    /// password anew, and seal it again.
    Restore {
        name: String,
        #[arg(long)]
        role: crate::auth::Role,
        #[arg(long, value_name = "VAR")]
        password_env: Option<String>,
    },
    /// Enable a disabled user again.
    Enable { name: String },
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub command: AuditCommand,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the hash chain; exits 1 and names the first broken record if any was edited or deleted.
    Verify,
    /// The newest records.
    List {
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
}

#[derive(Debug, Args)]
pub struct AlarmsArgs {
    #[command(subcommand)]
    pub command: AlarmsCommand,
}

#[derive(Debug, Subcommand)]
pub enum AlarmsCommand {
    /// Alarms per 10 min, floods, top 10, chattering, stale and priority distribution over a window.
    Report(AlarmReportArgs),
}

#[derive(Debug, Args)]
pub struct AlarmReportArgs {
    /// Start: RFC 3339, local 'YYYY-MM-DD HH:MM[:SS]', 'now' or an offset like -24h.
    #[arg(long, default_value = "-24h", allow_hyphen_values = true)]
    pub from: String,
    /// End (same forms as --from).
    #[arg(long, default_value = "now", allow_hyphen_values = true)]
    pub to: String,
    /// CSV instead of text.
    #[arg(long)]
    pub csv: bool,
    /// Write to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    #[command(subcommand)]
    pub command: HistoryCommand,
}

#[derive(Debug, Subcommand)]
pub enum HistoryCommand {
    /// Samples (or 1 min / 1 h rollups) of one or more tags over a time range, as CSV.
    Export(ExportArgs),
    /// Sample counts, bytes per sample and size, per tag and in total.
    Stats,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Tag name; repeat for several (--tag ct01/weight --tag ct01/depth).
    #[arg(long = "tag", value_name = "NAME", required = true)]
    pub tags: Vec<String>,
    /// Start: RFC 3339, local 'YYYY-MM-DD HH:MM[:SS]', 'now' or an offset like -2h.
    #[arg(long, default_value = "-1h", allow_hyphen_values = true)]
    pub from: String,
    /// End (same forms as --from).
    #[arg(long, default_value = "now", allow_hyphen_values = true)]
    pub to: String,
    /// raw, 1m or 1h.
    #[arg(long, default_value = "raw")]
    pub resolution: String,
    /// Write to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct OpcuaArgs {
    #[command(subcommand)]
    pub command: OpcuaCommand,
}

#[derive(Debug, Subcommand)]
pub enum OpcuaCommand {
    /// Browse a server's address space: node ids, names, data types, values; optionally [[tag]] entries.
    Browse(BrowseArgs),
}

#[derive(Debug, Args)]
pub struct BrowseArgs {
    /// The server, e.g. opc.tcp://10.0.0.7:4840/
    pub endpoint: String,
    /// Node to start from (default: the Objects folder).
    #[arg(long, default_value = "i=85", value_name = "NODEID")]
    pub node: String,
    /// Levels to descend.
    #[arg(long, default_value_t = 4)]
    pub depth: usize,
    /// Stop after this many nodes.
    #[arg(long, default_value_t = 5_000)]
    pub max_nodes: usize,
    /// None or Basic256Sha256.
    #[arg(long, default_value = "None")]
    pub security_policy: String,
    /// None, Sign or SignAndEncrypt (default: SignAndEncrypt with Basic256Sha256).
    #[arg(long)]
    pub security_mode: Option<String>,
    #[arg(long)]
    pub username: Option<String>,
    /// Environment variable holding the password (never on the command line).
    #[arg(long, value_name = "VAR", requires = "username")]
    pub password_env: Option<String>,
    /// Client certificate store (default: ./pki).
    #[arg(long, value_name = "DIR", default_value = "pki")]
    pub pki_dir: PathBuf,
    /// Accept the server's certificate without it being in the trusted store.
    #[arg(long)]
    pub trust_server_cert: bool,
    #[arg(long, default_value_t = 5_000, value_name = "MS")]
    pub timeout_ms: u64,
    /// Print [[tag]] entries for the variables found, bound to this driver name, instead of the tree. Tags are
    /// named after the node's path from the Objects folder, the same from any --node.
    #[arg(long, value_name = "DRIVER")]
    pub tags_for: Option<String>,
}

#[derive(Debug, Args)]
pub struct WriteArgs {
    /// The tag, e.g. esp01/frequency_setpoint (it must be writable in site.toml).
    pub tag: String,
    /// The value as a person types it at a console with these --units and --lang: a number within the tag's
    /// range, ON or OFF, or text.
    #[arg(allow_negative_numbers = true)]
    pub value: String,
    /// Seconds to wait for the device: for its first value, then for its answer to the write.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    pub timeout: f64,
    /// On a site with users: who logs in (the password from standard input, or --password-env). On a site
    /// with no users at all: the name recorded for the write (default: the OS user).
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,
    /// Environment variable holding the password (never on the command line); only on a site with users.
    #[arg(long, value_name = "VAR")]
    pub password_env: Option<String>,
    /// The role on a site with no users at all (default: operator). Refused on a site with users: there the
    /// user's own role counts.
    #[arg(long)]
    pub role: Option<crate::auth::Role>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// No window: drivers, hub, trips, alarms, historian and the site's records; no UI.
    #[arg(long)]
    pub headless: bool,
    /// Run for this many seconds (wall time), then stop. Required with --headless.
    #[arg(long = "for", value_name = "SECONDS", required_if_eq("headless", "true"))]
    pub for_secs: Option<f64>,
    /// Write run statistics and every tag's last value as JSON.
    #[arg(long, value_name = "FILE")]
    pub stats_json: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SimArgs {
    /// Plant time to simulate, seconds (default: run until interrupted).
    #[arg(long = "for", value_name = "SECONDS")]
    pub for_secs: Option<f64>,
    /// Print a summary every this many plant seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    pub every: f64,
    /// Serve the plant as a Modbus TCP server on this address (e.g. 127.0.0.1:5020).
    #[arg(long, value_name = "ADDR")]
    pub modbus: Option<std::net::SocketAddr>,
    /// Print the Modbus register map (CSV) and exit.
    #[arg(long)]
    pub modbus_map: bool,
    /// Print a project (site.toml) that reads the simulator's Modbus server at ADDR, and exit.
    #[arg(long, value_name = "ADDR")]
    pub modbus_site_for: Option<String>,
    /// Publish the plant to the MQTT broker at HOST:PORT as a Sparkplug B edge node and as JSON.
    #[arg(long, value_name = "HOST:PORT")]
    pub mqtt: Option<String>,
    /// Print a project (site.toml) that reads the simulator's MQTT publications via HOST:PORT, and exit.
    #[arg(long, value_name = "HOST:PORT")]
    pub mqtt_site_for: Option<String>,
}
