//! Serving the demo plant to other programs (other consoles, PLC tools, test peers): today Modbus TCP.
//! Reads plant values only through the register image the simulator loop fills; writes go back to the
//! loop as commands. Nothing here touches the hub or the UI.

pub mod modbus;
