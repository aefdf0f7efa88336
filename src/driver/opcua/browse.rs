//! `wellconsole opcua browse`: walks a server's address space from a node and prints what an engineer
//! needs to map tags: node ids, browse names, data types, current values and access, and optionally
//! ready-to-paste `[[tag]]` entries. Read-only: it browses and reads, never writes.
//!
//! Invariant: a generated tag's name depends on the node, not on where the browse started. Paths run
//! from the Objects folder (from Root for nodes outside it), so the start node's own path is found
//! first, by browsing hierarchical references inverse up to that folder.

use super::config::OpcUaConfig;
use super::driver::{build_client, connect_session};
use opcua::client::Session;
use opcua::types::{
    AttributeId, BrowseDescription, BrowseDirection, ByteString, DataValue, Identifier, NodeClass, NodeId, ReadValueId,
    StatusCode, TimestampsToReturn, Variant,
};
use std::time::Duration;

/// One node found while browsing.
#[derive(Debug, Clone, PartialEq)]
pub struct BrowsedNode {
    pub depth: usize,
    /// The node's browse name.
    pub name: String,
    /// Browse names from the Objects folder (or Root, for nodes outside it) down to this node, whatever
    /// the start node: generated tag names come from it.
    pub path: Vec<String>,
    pub node: NodeId,
    pub class: NodeClass,
    /// Variables: the data type's name (or node id when not a built-in type).
    pub data_type: Option<String>,
    /// The value as `value_text` shows it (a Bad status instead of the value).
    pub value: Option<String>,
    /// The value is an array (not mappable to one tag).
    pub is_array: bool,
    pub writable: bool,
}

pub struct BrowseOptions {
    pub start: NodeId,
    pub depth: usize,
    /// Stop after this many nodes (big servers hold millions).
    pub max_nodes: usize,
}

/// Connects with `cfg` (its tags are ignored), finds the start node's path, browses hierarchical
/// references forward from `opts.start` and reads each variable's data type, value and access level.
pub async fn browse(cfg: &OpcUaConfig, opts: &BrowseOptions) -> Result<Vec<BrowsedNode>, String> {
    let mut client = build_client(cfg)?;
    let (session, event_loop) = connect_session(&mut client, cfg).await?;
    let handle = event_loop.spawn();
    let connected = tokio::time::timeout(cfg.timeout, session.wait_for_connection())
        .await
        .unwrap_or(false);
    if !connected {
        handle.abort();
        return Err(format!("{}: the session did not open", cfg.endpoint));
    }
    let result = walk(&session, opts).await;
    let _ = tokio::time::timeout(Duration::from_secs(2), session.disconnect()).await;
    handle.abort();
    result
}

async fn walk(session: &Session, opts: &BrowseOptions) -> Result<Vec<BrowsedNode>, String> {
    let mut out: Vec<BrowsedNode> = Vec::new();
    let start_path = rooted_path(&ancestry(session, &opts.start).await?);
    // Depth-first, so the printed tree reads top-down.
    let mut stack: Vec<(NodeId, usize, Vec<String>)> = vec![(opts.start.clone(), 0, start_path)];
    while let Some((node, depth, path)) = stack.pop() {
        if depth >= opts.depth || out.len() >= opts.max_nodes {
            continue;
        }
        let children = references(session, &node, BrowseDirection::Forward).await?;
        let mut found = Vec::new();
        for (child, name, class) in children {
            found.push(BrowsedNode {
                depth: depth + 1,
                path: child_path(&path, &child, &name),
                name,
                node: child,
                class,
                data_type: None,
                value: None,
                is_array: false,
                writable: false,
            });
        }
        describe_variables(session, &mut found).await?;
        for n in found.iter().rev() {
            if matches!(n.class, NodeClass::Object | NodeClass::Variable) {
                stack.push((n.node.clone(), n.depth, n.path.clone()));
            }
        }
        // Children are listed right after their parent: insert in order at the parent's position.
        let at = out.iter().position(|o| o.node == node).map_or(out.len(), |i| i + 1);
        for (k, n) in found.into_iter().enumerate() {
            out.insert(at + k, n);
        }
    }
    out.truncate(opts.max_nodes);
    Ok(out)
}

/// How far above a start node its path is looked for; a longer chain is cut there.
const MAX_ANCESTRY: usize = 64;

/// The node, then its parent, its parent's parent, … up to the Objects folder or Root (included), or
/// to the top of a tree that hangs from neither. A node with several parents (Organizes from two
/// folders) goes up through the first the server lists that is not a View.
async fn ancestry(session: &Session, start: &NodeId) -> Result<Vec<(NodeId, String)>, String> {
    let mut chain = vec![(start.clone(), browse_name(session, start).await?)];
    while chain.len() < MAX_ANCESTRY {
        let node = chain[chain.len() - 1].0.clone();
        if is_path_root(&node) {
            break;
        }
        let parents = references(session, &node, BrowseDirection::Inverse).await?;
        let Some((parent, name, _)) = parents
            .into_iter()
            .find(|(id, _, class)| *class != NodeClass::View && !chain.iter().any(|(seen, _)| seen == id))
        else {
            break;
        };
        chain.push((parent, name));
    }
    Ok(chain)
}

async fn browse_name(session: &Session, node: &NodeId) -> Result<String, String> {
    let read = ReadValueId {
        attribute_id: AttributeId::BrowseName as u32,
        ..ReadValueId::from(node.clone())
    };
    let dv = session
        .read(&[read], TimestampsToReturn::Neither, 0.0)
        .await
        .map_err(|e| format!("read {node}: {e}"))?
        .into_iter()
        .next()
        .unwrap_or_default();
    match dv.value {
        Some(Variant::QualifiedName(q)) => Ok(q.name.to_string()),
        _ => Err(format!(
            "{node}: the server gives no browse name for it ({})",
            dv.status.unwrap_or(StatusCode::BadUnexpectedError)
        )),
    }
}

/// Where tag paths start: the Objects folder (i=85), and Root (i=84) for nodes outside it.
fn is_path_root(id: &NodeId) -> bool {
    id.namespace == 0 && matches!(id.identifier, Identifier::Numeric(84 | 85))
}

/// A start node's path from its ancestry (nearest first, as `ancestry` gives it): the browse names
/// below the Objects folder or Root, top first.
pub fn rooted_path(ancestry: &[(NodeId, String)]) -> Vec<String> {
    let mut names: Vec<String> = ancestry
        .iter()
        .take_while(|(id, _)| !is_path_root(id))
        .map(|(_, name)| name.clone())
        .collect();
    names.reverse();
    names
}

/// A child's path: its parent's and its own browse name. Browsing down from Root, the Objects folder
/// starts the path again, so a node has one path wherever the browse started.
pub fn child_path(parent: &[String], child: &NodeId, name: &str) -> Vec<String> {
    if is_path_root(child) {
        return Vec::new();
    }
    let mut path = parent.to_vec();
    path.push(name.to_owned());
    path
}

/// The nodes a node references hierarchically in one direction, with their browse names and classes:
/// its children (Forward) or its parents (Inverse).
async fn references(
    session: &Session,
    node: &NodeId,
    direction: BrowseDirection,
) -> Result<Vec<(NodeId, String, NodeClass)>, String> {
    let desc = BrowseDescription {
        node_id: node.clone(),
        browse_direction: direction,
        // HierarchicalReferences (i=33) and its subtypes: Organizes, HasComponent, HasProperty, …
        reference_type_id: NodeId::new(0, 33u32),
        include_subtypes: true,
        node_class_mask: 0,
        result_mask: 0x3f,
    };
    let mut results = session
        .browse(&[desc], 1_000, None)
        .await
        .map_err(|e| format!("browse {node}: {e}"))?;
    let mut refs = Vec::new();
    while let Some(r) = results.pop() {
        if r.status_code.is_bad() {
            return Err(format!("browse {node}: {}", r.status_code));
        }
        refs.extend(r.references.unwrap_or_default());
        if r.continuation_point.is_null() {
            break;
        }
        let cp: ByteString = r.continuation_point;
        results = session
            .browse_next(false, &[cp])
            .await
            .map_err(|e| format!("browse_next {node}: {e}"))?;
    }
    Ok(refs
        .into_iter()
        .filter(|r| r.node_id.server_index == 0 && r.node_id.namespace_uri.is_null())
        .map(|r| (r.node_id.node_id, r.browse_name.name.to_string(), r.node_class))
        .collect())
}

async fn describe_variables(session: &Session, nodes: &mut [BrowsedNode]) -> Result<(), String> {
    let vars: Vec<usize> = (0..nodes.len())
        .filter(|&i| nodes[i].class == NodeClass::Variable)
        .collect();
    if vars.is_empty() {
        return Ok(());
    }
    let mut reads = Vec::with_capacity(vars.len() * 3);
    for &i in &vars {
        for attr in [AttributeId::DataType, AttributeId::Value, AttributeId::AccessLevel] {
            reads.push(ReadValueId {
                attribute_id: attr as u32,
                ..ReadValueId::from(nodes[i].node.clone())
            });
        }
    }
    let values = session
        .read(&reads, TimestampsToReturn::Neither, 0.0)
        .await
        .map_err(|e| format!("read: {e}"))?;
    for (k, &i) in vars.iter().enumerate() {
        let get = |j: usize| values.get(3 * k + j).and_then(|d| d.value.as_ref());
        nodes[i].data_type = match get(0) {
            Some(Variant::NodeId(id)) => Some(type_name(id)),
            _ => None,
        };
        nodes[i].is_array = matches!(get(1), Some(Variant::Array(_)));
        nodes[i].value = values.get(3 * k + 1).and_then(value_text);
        nodes[i].writable = matches!(get(2), Some(Variant::Byte(a)) if *a & 0x02 != 0);
    }
    Ok(())
}

/// A read value as `opcua browse` prints it. A Bad status is shown instead of the value (the server
/// sends none, or one that is not the process value); an Uncertain one beside it.
pub fn value_text(dv: &DataValue) -> Option<String> {
    let status = dv.status.unwrap_or(StatusCode::Good);
    if status.is_bad() {
        return Some(status.to_string());
    }
    let value = dv.value.as_ref().map(variant_text);
    if status.is_uncertain() {
        return Some(format!("{} ({status})", value.as_deref().unwrap_or("null")));
    }
    value
}

/// Array elements printed before the rest is only counted.
const ARRAY_ELEMENTS_SHOWN: usize = 8;

/// A value as an engineer reads it: strings quoted, floats with their decimal point (`2.0`, so they
/// never read as integers), times in RFC 3339, byte strings by length, arrays in brackets.
pub fn variant_text(v: &Variant) -> String {
    match v {
        Variant::Empty => "null".into(),
        Variant::Boolean(x) => x.to_string(),
        Variant::SByte(x) => x.to_string(),
        Variant::Byte(x) => x.to_string(),
        Variant::Int16(x) => x.to_string(),
        Variant::UInt16(x) => x.to_string(),
        Variant::Int32(x) => x.to_string(),
        Variant::UInt32(x) => x.to_string(),
        Variant::Int64(x) => x.to_string(),
        Variant::UInt64(x) => x.to_string(),
        Variant::Float(x) => format!("{x:?}"),
        Variant::Double(x) => format!("{x:?}"),
        Variant::String(s) if s.is_null() => "null".into(),
        Variant::String(s) => format!("{:?}", s.as_ref()),
        Variant::XmlElement(x) => format!("{:?}", x.to_string()),
        Variant::LocalizedText(t) => format!("{:?}", t.text.as_ref()),
        Variant::DateTime(d) => d.to_rfc3339(),
        Variant::Guid(g) => g.to_string(),
        Variant::StatusCode(s) => s.to_string(),
        Variant::ByteString(b) if b.is_null() => "null".into(),
        Variant::ByteString(b) => format!("<{} bytes>", b.len()),
        Variant::QualifiedName(q) => q.to_string(),
        Variant::NodeId(id) => id.to_string(),
        Variant::ExpandedNodeId(id) => id.to_string(),
        Variant::ExtensionObject(o) => match o.data_type() {
            Some(t) => format!("<structure {t}>"),
            None => "null".into(),
        },
        Variant::Variant(inner) => variant_text(inner),
        Variant::DataValue(dv) => value_text(dv).unwrap_or_else(|| "null".into()),
        Variant::DiagnosticInfo(_) => "<diagnostic info>".into(),
        Variant::Array(a) => array_text(&a.values, a.dimensions.as_deref()),
    }
}

/// `[1.5, 2.0, 3.25]`; a long array shows its first elements and its length; a matrix its dimensions.
fn array_text(values: &[Variant], dimensions: Option<&[u32]>) -> String {
    let shown: Vec<String> = values.iter().take(ARRAY_ELEMENTS_SHOWN).map(variant_text).collect();
    let mut s = format!("[{}", shown.join(", "));
    if values.len() > ARRAY_ELEMENTS_SHOWN {
        s.push_str(&format!(", … ({} items)", values.len()));
    }
    s.push(']');
    match dimensions {
        Some(d) if d.len() > 1 => {
            let d: Vec<String> = d.iter().map(u32::to_string).collect();
            format!("{} {s}", d.join("×"))
        }
        _ => s,
    }
}

/// Built-in data types by name (Part 6 §5.1.2); others by node id.
pub fn type_name(id: &NodeId) -> String {
    if id.namespace == 0
        && let Identifier::Numeric(n) = id.identifier
    {
        let name = match n {
            1 => "Boolean",
            2 => "SByte",
            3 => "Byte",
            4 => "Int16",
            5 => "UInt16",
            6 => "Int32",
            7 => "UInt32",
            8 => "Int64",
            9 => "UInt64",
            10 => "Float",
            11 => "Double",
            12 => "String",
            13 => "DateTime",
            21 => "LocalizedText",
            _ => "",
        };
        if !name.is_empty() {
            return name.into();
        }
    }
    id.to_string()
}

/// The tag kind a data type maps to, for generated `[[tag]]` entries.
pub fn kind_for(data_type: &str) -> Option<&'static str> {
    Some(match data_type {
        "Boolean" => "bool",
        "SByte" | "Byte" | "Int16" | "UInt16" | "Int32" | "UInt32" | "Int64" | "UInt64" | "DateTime" => "i64",
        "Float" | "Double" => "f64",
        "String" | "LocalizedText" => "string",
        _ => return None,
    })
}

/// The browse result as an indented tree, one node per line.
pub fn render_tree(nodes: &[BrowsedNode]) -> String {
    let mut s = String::new();
    for n in nodes {
        let indent = "  ".repeat(n.depth.saturating_sub(1));
        s.push_str(&format!("{indent}{}  [{}]  {:?}", n.name, n.node, n.class));
        if let Some(t) = &n.data_type {
            s.push_str(&format!("  {t}"));
        }
        if let Some(v) = &n.value {
            s.push_str(&format!(" = {v}"));
        }
        if n.writable {
            s.push_str("  (writable)");
        }
        s.push('\n');
    }
    s
}

/// A tag's name from a node's path: each browse name in lower case with anything but ASCII letters
/// and digits as `_`, joined with `/` (`Well1`, `Pump 2`, `Motor.Current` → `well1/pump_2/motor_current`).
pub fn tag_name(path: &[String]) -> String {
    let parts: Vec<String> = path
        .iter()
        .map(|p| {
            p.chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() {
                        c.to_ascii_lowercase()
                    } else {
                        '_'
                    }
                })
                .collect()
        })
        .collect();
    parts.join("/")
}

/// `[[tag]]` entries for every variable of a mappable type, named after its path (`tag_name`).
pub fn render_tags(nodes: &[BrowsedNode], driver: &str) -> String {
    let mut s = String::new();
    for n in nodes {
        let Some(kind) = n.data_type.as_deref().and_then(kind_for) else {
            continue;
        };
        if n.class != NodeClass::Variable || n.is_array {
            continue;
        }
        s.push_str(&format!(
            "[[tag]]\nname = \"{}\"\ndriver = \"{driver}\"\naddress = \"{}\"\ntype = \"{kind}\"\n",
            tag_name(&n.path),
            n.node.to_string().replace('\\', "\\\\").replace('"', "\\\"")
        ));
        if n.writable {
            s.push_str("writable = true\n");
        }
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use opcua::types::{DateTime, LocalizedText, VariantScalarTypeId};

    fn read(value: Variant, status: StatusCode) -> DataValue {
        DataValue {
            value: Some(value),
            status: Some(status),
            ..DataValue::default()
        }
    }

    #[test]
    fn values_print_as_an_engineer_reads_them() {
        for (v, text) in [
            (Variant::Double(2.0), "2.0"),
            (Variant::Float(180.25), "180.25"),
            (Variant::Int16(-7), "-7"),
            (Variant::Boolean(true), "true"),
            (Variant::String("AUTO".into()), "\"AUTO\""),
            (
                Variant::LocalizedText(Box::new(LocalizedText::new("en", "Running"))),
                "\"Running\"",
            ),
            (
                Variant::DateTime(Box::new(DateTime::ymd_hms(2024, 5, 1, 12, 30, 0))),
                "2024-05-01T12:30:00.000Z",
            ),
            (Variant::ByteString(vec![0u8; 16].into()), "<16 bytes>"),
            (Variant::StatusCode(StatusCode::BadSensorFailure), "BadSensorFailure"),
            (Variant::Empty, "null"),
            (
                Variant::from((VariantScalarTypeId::Double, vec![1.5f64, 2.0, 3.25])),
                "[1.5, 2.0, 3.25]",
            ),
            (
                Variant::from((VariantScalarTypeId::Int32, (1..=20).collect::<Vec<i32>>())),
                "[1, 2, 3, 4, 5, 6, 7, 8, … (20 items)]",
            ),
            (
                Variant::from((VariantScalarTypeId::Byte, vec![1u8, 2, 3, 4, 5, 6], vec![2u32, 3])),
                "2×3 [1, 2, 3, 4, 5, 6]",
            ),
        ] {
            assert_eq!(variant_text(&v), text, "{v:?}");
        }
    }

    #[test]
    fn a_bad_status_is_shown_instead_of_the_value_and_an_uncertain_one_beside_it() {
        // Servers send a Bad value with no variant, or with a stale one that is not the process value.
        let bad = DataValue {
            status: Some(StatusCode::BadSensorFailure),
            ..DataValue::default()
        };
        assert_eq!(value_text(&bad).as_deref(), Some("BadSensorFailure"));
        assert_eq!(
            value_text(&read(Variant::Double(12.0), StatusCode::BadSensorFailure)).as_deref(),
            Some("BadSensorFailure")
        );
        assert_eq!(
            value_text(&read(Variant::Double(12.0), StatusCode::UncertainLastUsableValue)).as_deref(),
            Some("12.0 (UncertainLastUsableValue)")
        );
        assert_eq!(
            value_text(&read(Variant::Double(12.0), StatusCode::Good)).as_deref(),
            Some("12.0")
        );
        let no_status = DataValue {
            value: Some(Variant::String("AUTO".into())),
            ..DataValue::default()
        };
        assert_eq!(value_text(&no_status).as_deref(), Some("\"AUTO\""));
    }

    /// The path down from a start path through (node, browse name) steps, as the walk builds it.
    fn down(start: Vec<String>, steps: &[(&NodeId, &str)]) -> Vec<String> {
        steps.iter().fold(start, |path, (id, name)| child_path(&path, id, name))
    }

    #[test]
    fn a_node_has_one_tag_name_whatever_the_start_node() {
        let root = NodeId::new(0, 84u32);
        let objects = NodeId::new(0, 85u32);
        let well = NodeId::new(2, "Well1");
        let pump = NodeId::new(2, "Well1.Pump");
        let current = NodeId::new(2, "Well1.Pump.Current");
        let below_objects = [(&well, "Well1"), (&pump, "Pump 2"), (&current, "Motor.Current")];

        let from_objects = down(rooted_path(&[(objects.clone(), "Objects".into())]), &below_objects);
        let from_root = down(
            rooted_path(&[(root.clone(), "Root".into())]),
            &[
                (&objects, "Objects"),
                (&well, "Well1"),
                (&pump, "Pump 2"),
                (&current, "Motor.Current"),
            ],
        );
        // The pump's ancestry, nearest first, as inverse browsing finds it.
        let pump_up = [
            (pump.clone(), "Pump 2".to_owned()),
            (well.clone(), "Well1".to_owned()),
            (objects.clone(), "Objects".to_owned()),
            (root.clone(), "Root".to_owned()),
        ];
        let from_pump = down(rooted_path(&pump_up), &[(&current, "Motor.Current")]);

        assert_eq!(tag_name(&from_objects), "well1/pump_2/motor_current");
        assert_eq!(tag_name(&from_root), tag_name(&from_objects));
        assert_eq!(tag_name(&from_pump), tag_name(&from_objects));
    }

    #[test]
    fn nodes_outside_the_objects_folder_are_named_from_root() {
        let root = NodeId::new(0, 84u32);
        let types = NodeId::new(0, 86u32);
        let object_types = NodeId::new(0, 88u32);
        let up = [
            (object_types.clone(), "ObjectTypes".to_owned()),
            (types.clone(), "Types".to_owned()),
            (root.clone(), "Root".to_owned()),
        ];
        assert_eq!(rooted_path(&up), ["Types", "ObjectTypes"]);
        let from_root = down(Vec::new(), &[(&types, "Types"), (&object_types, "ObjectTypes")]);
        assert_eq!(from_root, rooted_path(&up));
        // A tree that hangs from neither folder is named from its top node.
        let orphan = NodeId::new(3, "Island");
        assert_eq!(rooted_path(&[(orphan, "Island".into())]), ["Island"]);
    }
}
