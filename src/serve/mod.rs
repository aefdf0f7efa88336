//! Serving the demo plant to other programs (other consoles, PLC tools, test peers): a Modbus TCP
//! server, an MQTT edge node publishing JSON and Sparkplug B, and the simulator loop that drives them
//! (`plant`, behind `wellconsole sim`). The servers read plant values only from what the loop hands over;
//! writes go back to the loop as commands. Nothing here touches the hub or the UI.

pub mod modbus;
pub mod mqtt;
pub mod plant;

pub use plant::{Broker, ServedPlant, SimError, SimRun};

/// A write a client made, for the simulator loop to apply.
#[derive(Debug, Clone, PartialEq)]
pub enum PlantWrite {
    EspFrequency { index: usize, hz: f64 },
}
