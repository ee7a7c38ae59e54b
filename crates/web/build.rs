//! The embedded web app is whatever `web/dist` holds when this crate compiles. Cargo does not
//! watch a folder a macro reads, so this tells it to: a new `npm run build` (or its removal)
//! recompiles this small crate alone, not the rest of the workspace.
fn main() {
    println!("cargo:rerun-if-changed=../../web/dist");
}
