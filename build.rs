//! Generates the Sparkplug B payload types from proto/sparkplug_b.proto with prost-build.
//! Needs `protoc` (Debian package protobuf-compiler, installed by scripts/setup-debian) or PROTOC.

fn main() -> std::io::Result<()> {
    println!("cargo:rerun-if-changed=proto/sparkplug_b.proto");
    // The demo project is embedded (include_dir): a new or edited file there must rebuild the crate.
    for dir in ["site.toml", "data", "screens", "symbols", "alarms"] {
        println!("cargo:rerun-if-changed={dir}");
    }
    prost_build::compile_protos(&["proto/sparkplug_b.proto"], &["proto/"])
}
