//! `wellconsole opcua browse`: walks a server's address space from a node and prints what an engineer
//! needs to map tags: node ids, browse names, data types, current values and access, and optionally
//! ready-to-paste `[[tag]]` entries. Read-only: it browses and reads, never writes.

use super::config::OpcUaConfig;
use super::driver::{build_client, connect_session};
use opcua::client::Session;
use opcua::types::{
    AttributeId, BrowseDescription, BrowseDirection, ByteString, DataValue, NodeClass, NodeId, ReadValueId,
    TimestampsToReturn, Variant,
};
use std::time::Duration;

/// One node found while browsing.
#[derive(Debug, Clone, PartialEq)]
pub struct BrowsedNode {
    pub depth: usize,
    /// Browse names from the start node down to this one.
    pub path: Vec<String>,
    pub node: NodeId,
    pub class: NodeClass,
    /// Variables: the data type's name (or node id when not a built-in type).
    pub data_type: Option<String>,
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

/// Connects with `cfg` (its tags are ignored), browses hierarchical references forward from
/// `opts.start` and reads each variable's data type, value and access level.
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
    // Depth-first, so the printed tree reads top-down.
    let mut stack: Vec<(NodeId, usize, Vec<String>)> = vec![(opts.start.clone(), 0, Vec::new())];
    while let Some((node, depth, path)) = stack.pop() {
        if depth >= opts.depth || out.len() >= opts.max_nodes {
            continue;
        }
        let children = children(session, &node).await?;
        let mut found = Vec::new();
        for (child, name, class) in children {
            let mut p = path.clone();
            p.push(name);
            found.push(BrowsedNode {
                depth: depth + 1,
                path: p,
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

async fn children(session: &Session, node: &NodeId) -> Result<Vec<(NodeId, String, NodeClass)>, String> {
    let desc = BrowseDescription {
        node_id: node.clone(),
        browse_direction: BrowseDirection::Forward,
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
        let get = |j: usize| values.get(3 * k + j).and_then(|d: &DataValue| d.value.clone());
        nodes[i].data_type = match get(0) {
            Some(Variant::NodeId(id)) => Some(type_name(&id)),
            _ => None,
        };
        nodes[i].is_array = matches!(get(1), Some(Variant::Array(_)));
        nodes[i].value = get(1).map(|v| match v {
            Variant::String(s) => format!("{:?}", s.as_ref()),
            other => other.to_string(),
        });
        nodes[i].writable = matches!(get(2), Some(Variant::Byte(a)) if a & 0x02 != 0);
    }
    Ok(())
}

/// Built-in data types by name (Part 6 §5.1.2); others by node id.
pub fn type_name(id: &NodeId) -> String {
    if id.namespace == 0
        && let opcua::types::Identifier::Numeric(n) = id.identifier
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
        let name = n.path.last().map_or("", String::as_str);
        s.push_str(&format!("{indent}{name}  [{}]  {:?}", n.node, n.class));
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

/// `[[tag]]` entries for every variable of a mappable type, named after its browse path.
pub fn render_tags(nodes: &[BrowsedNode], driver: &str) -> String {
    let mut s = String::new();
    for n in nodes {
        let Some(kind) = n.data_type.as_deref().and_then(kind_for) else {
            continue;
        };
        if n.class != NodeClass::Variable || n.is_array {
            continue;
        }
        let name: Vec<String> = n
            .path
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
        s.push_str(&format!(
            "[[tag]]\nname = \"{}\"\ndriver = \"{driver}\"\naddress = \"{}\"\ntype = \"{kind}\"\n",
            name.join("/"),
            n.node.to_string().replace('\\', "\\\\").replace('"', "\\\"")
        ));
        if n.writable {
            s.push_str("writable = true\n");
        }
        s.push('\n');
    }
    s
}
