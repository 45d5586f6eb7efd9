//! An application that answers: everything arriving at an endpoint is sent straight back out
//! on it, so the other side of the pair hears its own messages again.
//!
//! Run: `cargo run --example echo -- "My Loopback (B)"`, then in another terminal
//! `midi endpoint monitor "My Loopback (A)"` and `midi endpoint send-message "My Loopback (A)" 0x20903C64`.

use midi_loopback::client::{Client, ClientError, ClientOptions, Received};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let endpoint = std::env::args()
        .nth(1)
        .ok_or("usage: echo ENDPOINT (an endpoint id or name)")?;
    let options = ClientOptions::from_env(None)?;
    let mut conn = Client::connect(&options)?.open_endpoint(&endpoint)?;
    eprintln!(
        "echoing on {} ({}); Ctrl-C stops",
        conn.info().name,
        conn.info().id
    );
    loop {
        match conn.receive(None) {
            // Sent back with timestamp 0: "now", stamped by the engine on arrival.
            Ok(Some(Received::Messages(messages))) => {
                let replies: Vec<_> = messages
                    .iter()
                    .filter_map(|m| midi_loopback::core::protocol::TimedMessage::new(0, m.words()))
                    .collect();
                conn.send_batch(&replies)?;
            }
            Ok(Some(Received::Overflow { dropped })) => eprintln!("fell behind: {dropped} dropped"),
            Ok(None) => {}
            Err(ClientError::EndpointRemoved { endpoint }) => {
                eprintln!("{endpoint} was removed; stopping");
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        }
    }
}
