//! A small application using the client library: create a pair, then list every pair.
//!
//! Run: `cargo run --example pairs -- "My App Link"`
//! (It starts an engine if none runs; `MIDI_HOME=DIR` keeps the state elsewhere.)

use midi_loopback::client::{Client, ClientOptions};
use midi_loopback::core::{NameSpec, PairSpec};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "Example Link".into());
    let options = ClientOptions::from_env(None)?;
    let mut client = Client::connect(&options)?;

    let spec = PairSpec {
        names: Some(NameSpec::Root(root)),
        ..Default::default()
    };
    // The same rules as `midi loopback create`: a bad name fails here, before the engine.
    let pair = client.create(&spec)?;
    println!(
        "created {} <-> {} (association id {})",
        pair.endpoint_a.name, pair.endpoint_b.name, pair.association_id
    );

    for p in client.list_pairs()? {
        println!(
            "{}  {} / {}  persistent={} muted={}",
            p.association_id, p.endpoint_a.id, p.endpoint_b.id, p.persistent, p.muted
        );
    }
    Ok(())
}
