//! Sparkplug B topic names: `spBv1.0/GROUP/TYPE/NODE[/DEVICE]` and `spBv1.0/STATE/HOST`.

use crate::driver::mqtt::address::{SPARKPLUG_NAMESPACE, valid_id};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageType {
    NBirth,
    NDeath,
    DBirth,
    DDeath,
    NData,
    DData,
    NCmd,
    DCmd,
}

impl MessageType {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "NBIRTH" => Self::NBirth,
            "NDEATH" => Self::NDeath,
            "DBIRTH" => Self::DBirth,
            "DDEATH" => Self::DDeath,
            "NDATA" => Self::NData,
            "DDATA" => Self::DData,
            "NCMD" => Self::NCmd,
            "DCMD" => Self::DCmd,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::NBirth => "NBIRTH",
            Self::NDeath => "NDEATH",
            Self::DBirth => "DBIRTH",
            Self::DDeath => "DDEATH",
            Self::NData => "NDATA",
            Self::DData => "DDATA",
            Self::NCmd => "NCMD",
            Self::DCmd => "DCMD",
        }
    }

    fn is_device(self) -> bool {
        matches!(self, Self::DBirth | Self::DDeath | Self::DData | Self::DCmd)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpbTopic<'a> {
    State {
        host_id: &'a str,
    },
    Message {
        group: &'a str,
        kind: MessageType,
        node: &'a str,
        device: Option<&'a str>,
    },
}

impl<'a> SpbTopic<'a> {
    /// None for anything that is not a well-formed Sparkplug B topic.
    pub fn parse(topic: &'a str) -> Option<Self> {
        let mut levels = topic.split('/');
        if levels.next()? != SPARKPLUG_NAMESPACE {
            return None;
        }
        let group = levels.next()?;
        if group == "STATE" {
            let host_id = levels.next().filter(|h| valid_id(h))?;
            return levels.next().is_none().then_some(SpbTopic::State { host_id });
        }
        let kind = MessageType::parse(levels.next()?)?;
        let node = levels.next()?;
        let device = levels.next();
        if levels.next().is_some()
            || !valid_id(group)
            || !valid_id(node)
            || device.is_some_and(|d| !valid_id(d))
            || kind.is_device() != device.is_some()
        {
            return None;
        }
        Some(SpbTopic::Message {
            group,
            kind,
            node,
            device,
        })
    }
}

pub fn message_topic(group: &str, kind: MessageType, node: &str, device: Option<&str>) -> String {
    match device {
        Some(d) => format!("{SPARKPLUG_NAMESPACE}/{group}/{}/{node}/{d}", kind.as_str()),
        None => format!("{SPARKPLUG_NAMESPACE}/{group}/{}/{node}", kind.as_str()),
    }
}

pub fn state_topic(host_id: &str) -> String {
    format!("{SPARKPLUG_NAMESPACE}/STATE/{host_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_message_kind_and_state() {
        assert_eq!(
            SpbTopic::parse("spBv1.0/wellsite/DDATA/edge1/esp01"),
            Some(SpbTopic::Message {
                group: "wellsite",
                kind: MessageType::DData,
                node: "edge1",
                device: Some("esp01")
            })
        );
        assert_eq!(
            SpbTopic::parse("spBv1.0/wellsite/NBIRTH/edge1"),
            Some(SpbTopic::Message {
                group: "wellsite",
                kind: MessageType::NBirth,
                node: "edge1",
                device: None
            })
        );
        assert_eq!(
            SpbTopic::parse("spBv1.0/STATE/scada1"),
            Some(SpbTopic::State { host_id: "scada1" })
        );
        for bad in [
            "spBv1.0/g/NDATA/n/d",
            "spBv1.0/g/DDATA/n",
            "spBv1.0/g/XDATA/n",
            "spAv1.0/g/NDATA/n",
            "spBv1.0/g/DDATA/n/d/e",
            "spBv1.0/STATE",
            "spBv1.0/g",
        ] {
            assert_eq!(SpbTopic::parse(bad), None, "{bad}");
        }
        assert_eq!(
            message_topic("g", MessageType::DCmd, "n", Some("d")),
            "spBv1.0/g/DCMD/n/d"
        );
    }
}
