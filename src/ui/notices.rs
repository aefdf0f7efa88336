//! Notices: what became of an operator's action (a write sent, then confirmed or refused; an acknowledge;
//! a pen added), shown as toasts floating over the bottom of the page. They are never in the page's flow,
//! so no control moves when one appears and the next touch lands where the operator aimed; they fade
//! after a while, and a touch dismisses one.
//!
//! A write's notice follows its write: "sent" until the hub reports the driver's outcome for that tag
//! (confirmed, failed, refused, not delivered), then that outcome. Owns only the notices; reads the
//! snapshot's events, never waits for them.

use super::theme;
use crate::hub::{Snapshot, WriteOutcome};
use crate::lang::Lang;
use crate::tag::{TagId, Timestamp};
use egui::{Align2, RichText};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// How long a notice stays whole, then how long it takes to fade.
const SHOWN: Duration = Duration::from_secs(8);
const FADE: Duration = Duration::from_secs(2);
/// A failure stays longer: it is the one the operator must not miss.
const SHOWN_FAILED: Duration = Duration::from_secs(20);
/// A write with no outcome after this long says so (the Drivers page keeps the history).
const OUTCOME_WAIT: Duration = Duration::from_secs(30);
/// At most this many on screen (the oldest go first).
const MAX_SHOWN: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Said, nothing more to wait for.
    Info,
    /// A write on its way: waiting for the driver's word.
    Pending,
    Done,
    Failed,
}

#[derive(Debug, Clone)]
pub struct Notice {
    pub text: String,
    pub outcome: Outcome,
    born: Instant,
    /// The write this notice follows, and when it was sent (wall clock, as the hub stamps its events).
    write: Option<(WriteNotice, Timestamp)>,
}

/// A write as its notice names it.
#[derive(Debug, Clone)]
pub struct WriteNotice {
    pub tag: TagId,
    /// As sent, in the tag's own unit: with the tag, it tells this write's record from another's.
    pub value: crate::tag::Value,
    pub name: String,
    /// The value as the operator typed or chose it, in the console's units.
    pub shown: String,
}

#[derive(Debug, Default)]
pub struct Notices {
    items: VecDeque<Notice>,
}

impl Notices {
    /// A notice that needs no follow-up. The console's sender (`context::Console`) words a command that did
    /// not go out, or was refused, in capitals ("NOT SENT", "COMMAND NOT SENT", "REFUSED" and their
    /// Spanish): those are shown as failures.
    pub fn say(&mut self, text: impl Into<String>) {
        let text = text.into();
        let failed = ["NOT SENT", "NO ENVIADO", "REFUSED", "RECHAZAD"]
            .iter()
            .any(|p| text.contains(p));
        let outcome = if failed { Outcome::Failed } else { Outcome::Info };
        self.push(Notice {
            text,
            outcome,
            born: Instant::now(),
            write: None,
        });
    }

    /// A write just handed to the hub: the notice waits for its outcome.
    pub fn write_sent(&mut self, w: WriteNotice, lang: Lang) {
        let text = match lang {
            Lang::En => format!("write of {} to {} sent: waiting for the device", w.shown, w.name),
            Lang::Es => format!("escritura de {} en {} enviada: esperando al equipo", w.shown, w.name),
        };
        self.push(Notice {
            text,
            outcome: Outcome::Pending,
            born: Instant::now(),
            write: Some((w, Timestamp::now())),
        });
    }

    fn push(&mut self, n: Notice) {
        // The same words again (a double tap) renew the notice rather than stack it.
        self.items
            .retain(|old| old.text != n.text || old.outcome == Outcome::Pending);
        self.items.push_back(n);
        // Too many: the oldest that has said all it has to say goes first; a write still waiting for its
        // outcome stays (its failure must not go unseen).
        while self.items.len() > MAX_SHOWN {
            match self.items.iter().position(|n| n.outcome != Outcome::Pending) {
                Some(i) => {
                    self.items.remove(i);
                }
                None => {
                    self.items.pop_front();
                }
            }
        }
    }

    /// The notices showing now, oldest first.
    pub fn current(&self) -> impl Iterator<Item = &Notice> {
        self.items.iter()
    }

    /// Follows pending writes in the snapshot's events and drops notices that have faded.
    pub fn update(&mut self, snap: &Snapshot, lang: Lang) {
        for n in &mut self.items {
            let Some((w, sent)) = &n.write else { continue };
            if n.outcome != Outcome::Pending {
                continue;
            }
            // Its record: the first write of this value to this tag asked for since it was sent (a second
            // write to the tag, of another value, has a record and a notice of its own).
            let record = snap
                .writes
                .iter()
                .filter(|r| r.asked_at >= *sent)
                .find(|r| r.tag == w.tag && r.value == w.value);
            let settled = record.and_then(|r| match &r.outcome {
                WriteOutcome::Sent => None,
                WriteOutcome::Confirmed => Some((true, String::new())),
                WriteOutcome::Refused(why) | WriteOutcome::Failed(why) => Some((false, why.clone())),
            });
            if let Some((ok, why)) = settled {
                let (name, shown) = (&w.name, &w.shown);
                // The reason stays in the words the hub and driver gave (the Drivers page and log agree).
                n.text = match (ok, lang) {
                    (true, Lang::En) => format!("{name} = {shown} written and confirmed"),
                    (true, Lang::Es) => format!("{name} = {shown} escrito y confirmado"),
                    (false, Lang::En) => format!("REFUSED or FAILED: write of {shown} to {name}: {why}"),
                    (false, Lang::Es) => format!("RECHAZADA o FALLIDA: escritura de {shown} en {name}: {why}"),
                };
                n.outcome = if ok { Outcome::Done } else { Outcome::Failed };
                n.born = Instant::now();
            } else if n.born.elapsed() > OUTCOME_WAIT {
                n.outcome = Outcome::Failed;
                n.text = format!(
                    "{}: {}",
                    n.text,
                    lang.pick(
                        "no outcome reported yet (see Drivers)",
                        "sin resultado todavía (ver Drivers)"
                    )
                );
                n.born = Instant::now();
            }
        }
        self.items
            .retain(|n| n.outcome == Outcome::Pending || n.born.elapsed() < n.life());
    }

    /// The toasts, over the bottom centre of the window, above `bottom_gap` (the status bar); `id` is the
    /// window's own (each window shows them).
    pub fn show(&mut self, ctx: &egui::Context, id: egui::Id, bottom_gap: f32) {
        if self.items.is_empty() {
            return;
        }
        let mut dismiss = None;
        egui::Area::new(id)
            .anchor(Align2::CENTER_BOTTOM, egui::vec2(0.0, -bottom_gap - 8.0))
            .order(egui::Order::Foreground)
            .interactable(true)
            .show(ctx, |ui| {
                for (i, n) in self.items.iter().enumerate() {
                    let alpha = n.opacity();
                    let stroke = match n.outcome {
                        Outcome::Failed => egui::Stroke::new(3.0, theme::QUALITY_BAD),
                        Outcome::Done => egui::Stroke::new(2.0, theme::STATE_OK),
                        Outcome::Pending | Outcome::Info => egui::Stroke::new(1.0, theme::tile_stroke()),
                    };
                    let text = match n.outcome {
                        Outcome::Failed => RichText::new(&n.text).strong(),
                        _ => RichText::new(&n.text),
                    };
                    let r = egui::Frame::popup(ui.style())
                        .fill(theme::tile().gamma_multiply(alpha))
                        .stroke(egui::Stroke::new(stroke.width, stroke.color.gamma_multiply(alpha)))
                        .inner_margin(egui::Margin::symmetric(14, 8))
                        .show(ui, |ui| {
                            ui.set_max_width(900.0);
                            ui.multiply_opacity(alpha);
                            ui.label(text);
                        })
                        .response
                        .interact(egui::Sense::click());
                    if r.clicked() {
                        dismiss = Some(i);
                    }
                }
            });
        if let Some(i) = dismiss {
            self.items.remove(i);
        }
        // Keep fading (and following writes) without waiting for new data.
        ctx.request_repaint_after(Duration::from_millis(100));
    }
}

impl Notice {
    fn life(&self) -> Duration {
        match self.outcome {
            Outcome::Failed => SHOWN_FAILED + FADE,
            _ => SHOWN + FADE,
        }
    }

    fn opacity(&self) -> f32 {
        if self.outcome == Outcome::Pending {
            return 1.0;
        }
        let shown = self.life() - FADE;
        let age = self.born.elapsed();
        if age <= shown {
            1.0
        } else {
            1.0 - ((age - shown).as_secs_f32() / FADE.as_secs_f32()).min(1.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{Actor, Role};
    use crate::hub::WriteRecord;
    use crate::tag::Value;

    fn record(tag: u32, outcome: WriteOutcome, at: Timestamp) -> WriteRecord {
        WriteRecord {
            seq: 1,
            tag: TagId(tag),
            tag_name: "esp01/frequency_setpoint".into(),
            value: Value::F64(50.0),
            by: Actor::new("ana", Role::Operator),
            outcome,
            asked_at: at,
            outcome_at: at,
        }
    }

    fn snap_with(writes: Vec<WriteRecord>) -> Snapshot {
        let dir = std::sync::Arc::new(crate::tag::TagDirectory::default());
        let mut s = Snapshot::empty(dir, Vec::new());
        s.writes = writes;
        s
    }

    #[test]
    fn a_write_notice_becomes_its_own_outcome_and_ignores_older_writes_and_other_tags() {
        let mut n = Notices::default();
        let before = Timestamp(Timestamp::now().0 - 1_000_000);
        let w = WriteNotice {
            tag: TagId(3),
            value: Value::F64(50.0),
            name: "esp01/frequency_setpoint".into(),
            shown: "50.0 Hz".into(),
        };
        n.write_sent(w, Lang::En);
        let mut snap = snap_with(vec![record(3, WriteOutcome::Failed("older".into()), before)]);
        n.update(&snap, Lang::En);
        assert_eq!(
            n.current().next().unwrap().outcome,
            Outcome::Pending,
            "an older write is not its outcome"
        );
        snap.writes.push(record(4, WriteOutcome::Confirmed, Timestamp::now()));
        snap.writes.push(record(3, WriteOutcome::Sent, Timestamp::now()));
        n.update(&snap, Lang::En);
        assert_eq!(
            n.current().next().unwrap().outcome,
            Outcome::Pending,
            "sent is not an outcome"
        );
        snap.writes.last_mut().unwrap().outcome = WriteOutcome::Confirmed;
        n.update(&snap, Lang::En);
        let shown = n.current().next().unwrap();
        assert_eq!(shown.outcome, Outcome::Done);
        assert_eq!(shown.text, "esp01/frequency_setpoint = 50.0 Hz written and confirmed");
    }

    #[test]
    fn a_refused_write_says_why_in_the_consoles_language() {
        let mut n = Notices::default();
        let w = WriteNotice {
            tag: TagId(3),
            value: Value::F64(50.0),
            name: "esp01/frequency_setpoint".into(),
            shown: "50,0 Hz".into(),
        };
        n.write_sent(w, Lang::Es);
        let why = "ana (viewer) may not write setpoints";
        let snap = snap_with(vec![record(3, WriteOutcome::Refused(why.into()), Timestamp::now())]);
        n.update(&snap, Lang::Es);
        let shown = n.current().next().unwrap();
        assert_eq!(shown.outcome, Outcome::Failed);
        assert_eq!(
            shown.text,
            format!("RECHAZADA o FALLIDA: escritura de 50,0 Hz en esp01/frequency_setpoint: {why}")
        );
    }

    #[test]
    fn two_writes_to_one_tag_each_get_their_own_outcome_and_a_waiting_one_is_never_crowded_out() {
        let mut n = Notices::default();
        let notice = |v: f64| WriteNotice {
            tag: TagId(3),
            value: Value::F64(v),
            name: "esp01/frequency_setpoint".into(),
            shown: format!("{v:.1} Hz"),
        };
        n.write_sent(notice(50.0), Lang::En);
        n.write_sent(notice(52.0), Lang::En);
        for i in 0..6 {
            n.say(format!("acknowledged {i}"));
        }
        let waiting = n.current().filter(|x| x.outcome == Outcome::Pending).count();
        assert_eq!(waiting, 2, "both writes still wait, whatever came after");
        let now = Timestamp::now();
        let mut second = record(3, WriteOutcome::Confirmed, now);
        second.value = Value::F64(52.0);
        let first = record(3, WriteOutcome::Failed("the device refused the write".into()), now);
        n.update(&snap_with(vec![first, second]), Lang::En);
        let texts: Vec<&str> = n
            .current()
            .filter(|x| x.text.contains("frequency_setpoint"))
            .map(|x| x.text.as_str())
            .collect();
        assert_eq!(
            texts,
            [
                "REFUSED or FAILED: write of 50.0 Hz to esp01/frequency_setpoint: the device refused the write",
                "esp01/frequency_setpoint = 52.0 Hz written and confirmed",
            ]
        );
    }

    #[test]
    fn refusals_are_failures_and_repeats_do_not_stack() {
        let mut n = Notices::default();
        n.say("NOT SENT: the console's command queue is full; try again");
        n.say("NOT SENT: the console's command queue is full; try again");
        n.say("acknowledged");
        n.say("COMANDO NO ENVIADO: la cola de comandos de la consola está llena");
        let all: Vec<_> = n.current().collect();
        assert_eq!(all.len(), 3);
        assert_eq!(all[0].outcome, Outcome::Failed);
        assert_eq!(all[1].outcome, Outcome::Info);
        assert_eq!(
            all[2].outcome,
            Outcome::Failed,
            "the alarm desk's words for a command not sent"
        );
        for i in 0..10 {
            n.say(format!("notice {i}"));
        }
        assert_eq!(n.current().count(), MAX_SHOWN);
    }
}
