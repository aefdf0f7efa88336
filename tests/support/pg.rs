//! A real PostgreSQL server for the forwarding tests: Debian's binaries, a cluster of its own in a temp
//! folder, on 127.0.0.1 and a free port, password (SCRAM) authentication as a site would have. Run as the
//! `postgres` user when the tests run as root (initdb refuses root). `crash` stops it the way a power cut
//! or an OOM kill would (immediate shutdown: no checkpoint, crash recovery at the next start). And `Link`,
//! a TCP relay the test can cut and restore, for a network that drops.

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

pub const USER: &str = "wellconsole";
pub const PASSWORD: &str = "forward-test-pw";
pub const DATABASE: &str = "wellconsole";

/// Debian's PostgreSQL binaries (the newest installed version).
pub fn bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|v| v.1)
}

/// The binaries for a test that needs a database; `None` (said on stderr) to skip where skipping is
/// allowed (not under scripts/test).
pub fn bin_or_skip() -> Option<PathBuf> {
    let bin = bin_dir();
    if bin.is_none() {
        assert!(
            !super::peers_required(),
            "PostgreSQL is required here (WELLCONSOLE_REQUIRE_PEERS=1)"
        );
        eprintln!("skipped: no PostgreSQL server binaries (scripts/test installs them)");
    }
    bin
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

pub struct PgServer {
    bin: PathBuf,
    dir: PathBuf,
    pub port: u16,
    child: Option<Child>,
    fsync: bool,
}

impl PgServer {
    /// A new cluster in `dir` (created), started, with the database `wellconsole`. Tests run it with
    /// fsync off (a crash here is a process dying, not the machine).
    pub fn start(bin: &Path, dir: &Path) -> Self {
        Self::start_with(bin, dir, false)
    }

    /// `start`, with fsync on: benches measure the server as a site runs it.
    pub fn start_durable(bin: &Path, dir: &Path) -> Self {
        Self::start_with(bin, dir, true)
    }

    fn start_with(bin: &Path, dir: &Path, fsync: bool) -> Self {
        std::fs::create_dir_all(dir).unwrap();
        let root = is_root();
        if root {
            // The temp folders above are root's and 0700: the server's user must get through them.
            let mut p = Some(dir);
            while let Some(d) = p {
                if d == Path::new("/") || d == Path::new("/tmp") {
                    break;
                }
                let _ = Command::new("chmod").arg("o+x").arg(d).status();
                p = d.parent();
            }
            assert!(
                Command::new("chown")
                    .args(["postgres"])
                    .arg(dir)
                    .status()
                    .unwrap()
                    .success()
            );
        }
        let pw = dir.join("pw");
        std::fs::write(&pw, format!("{PASSWORD}\n")).unwrap();
        if root {
            assert!(
                Command::new("chown")
                    .args(["postgres"])
                    .arg(&pw)
                    .status()
                    .unwrap()
                    .success()
            );
        }
        let out = Self::as_server_user(&bin.join("initdb"), root)
            .arg("-D")
            .arg(dir.join("data"))
            .args(["-U", USER, "--auth=scram-sha-256", "-E", "UTF8", "--no-sync"])
            .arg(format!("--pwfile={}", pw.display()))
            .output()
            .unwrap();
        assert!(out.status.success(), "initdb: {}", String::from_utf8_lossy(&out.stderr));
        let mut pg = Self {
            bin: bin.to_path_buf(),
            dir: dir.to_path_buf(),
            port: super::free_port(),
            child: None,
            fsync,
        };
        pg.restart();
        pg.psql_in("postgres", &format!("CREATE DATABASE {DATABASE}"));
        pg
    }

    fn as_server_user(program: &Path, root: bool) -> Command {
        if root {
            let mut c = Command::new("setpriv");
            c.args(["--reuid=postgres", "--regid=postgres", "--init-groups"])
                .arg(program);
            c
        } else {
            Command::new(program)
        }
    }

    /// Starts the server (again); waits until it accepts connections.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "already running");
        let child = Self::as_server_user(&self.bin.join("postgres"), is_root())
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["-p", &self.port.to_string(), "-c", "listen_addresses=127.0.0.1", "-c"])
            .arg(if self.fsync { "fsync=on" } else { "fsync=off" })
            .arg("-k")
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(self.dir.join("server.log")).unwrap())
            .spawn()
            .expect("postgres starts");
        self.child = Some(child);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let ok = Command::new(self.bin.join("pg_isready"))
                .args(self.login("postgres"))
                .stdout(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if ok {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "postgres did not start: {}",
                std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }

    /// Stops the server at once, as a crash would: every session is cut, nothing is checkpointed.
    pub fn crash(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = Command::new("kill").args(["-QUIT", &c.id().to_string()]).status();
            let _ = c.wait();
        }
    }

    /// The options that reach `db` as the test user.
    fn login(&self, db: &str) -> Vec<String> {
        ["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", USER, "-d", db]
            .map(str::to_owned)
            .to_vec()
    }

    /// psql logged in to `db`, unaligned, stopping at the first error; add `-c SQL` (or feed stdin).
    pub fn psql_command(&self, db: &str) -> Command {
        let mut c = Command::new(self.bin.join("psql"));
        c.args(self.login(db))
            .args(["-At", "-v", "ON_ERROR_STOP=1"])
            .env("PGPASSWORD", PASSWORD);
        c
    }

    /// Runs `sql` in `db` with psql; its unaligned output, trimmed.
    pub fn psql_in(&self, db: &str, sql: &str) -> String {
        let out = self.psql_command(db).args(["-c", sql]).output().unwrap();
        assert!(
            out.status.success(),
            "psql {sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }

    /// `psql_in` the forwarding database.
    pub fn psql(&self, sql: &str) -> String {
        self.psql_in(DATABASE, sql)
    }

    /// A number `sql` answers.
    pub fn count(&self, sql: &str) -> i64 {
        self.psql(sql).parse().unwrap()
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        self.crash();
    }
}

/// A TCP relay on 127.0.0.1 to `target`, that can be cut (every connection dropped, new ones closed at
/// once) and restored: a radio link or VPN that goes down.
pub struct Link {
    pub port: u16,
    cut: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
}

impl Link {
    pub fn new(target: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let cut = Arc::new(AtomicBool::new(false));
        let open: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let (c, o) = (cut.clone(), open.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                if c.load(Ordering::SeqCst) {
                    let _ = client.shutdown(std::net::Shutdown::Both);
                    continue;
                }
                let Ok(server) = TcpStream::connect(("127.0.0.1", target)) else {
                    continue;
                };
                let mut g = o.lock().unwrap();
                g.push(client.try_clone().unwrap());
                g.push(server.try_clone().unwrap());
                drop(g);
                pipe(client.try_clone().unwrap(), server.try_clone().unwrap());
                pipe(server, client);
            }
        });
        Self { port, cut, open }
    }

    /// Drops every connection and refuses new ones until `restore`.
    pub fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        for s in self.open.lock().unwrap().drain(..) {
            let _ = s.shutdown(std::net::Shutdown::Both);
        }
    }

    pub fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

fn pipe(mut from: TcpStream, mut to: TcpStream) {
    std::thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if std::io::Write::write_all(&mut to, &buf[..n]).is_err() {
                        break;
                    }
                }
            }
        }
        let _ = to.shutdown(std::net::Shutdown::Both);
        let _ = from.shutdown(std::net::Shutdown::Both);
    });
}
