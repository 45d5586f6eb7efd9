//! The engine's life as an application sees it through the client library, on a temporary
//! `MIDI_HOME`: autostart, every pair operation, status, ping, errors with their kinds, a
//! graceful shutdown, and the persistent pairs coming back with the next engine.

mod common;

use common::{TestHome, process_is_live, wait_until};
use midi_loopback::client::{Client, ClientError};
use midi_loopback::core::{
    AssociationId, ErrorKind, NameSpec, PairDefinition, PairSpec, PairUpdate,
};
use serde_json::json;
use std::time::Duration;

const GUID: &str = "7af38a08-0f4b-43ad-b218-1757496f0034";

fn root(name: &str) -> PairSpec {
    PairSpec {
        names: Some(NameSpec::Root(name.into())),
        ..Default::default()
    }
}

fn kind(result: Result<impl std::fmt::Debug, ClientError>) -> ErrorKind {
    match result {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e.kind(),
    }
}

#[test]
fn engine_lifecycle_through_the_library() {
    let home = TestHome::new();
    let options = home.options();
    assert!(
        Client::connect_running(&options).unwrap().is_none(),
        "nothing runs on a fresh home"
    );

    // Connecting starts an engine.
    let mut client = Client::connect(&options).expect("autostart");
    let pid = client.engine_pid();
    assert!(process_is_live(pid));
    assert_eq!(client.engine_version(), env!("CARGO_PKG_VERSION"));
    assert!(client.ping().unwrap() < Duration::from_secs(10));

    let st = client.status().unwrap();
    assert!(st.running);
    assert_eq!(st.pid, pid);
    assert_eq!(st.version, env!("CARGO_PKG_VERSION"));
    assert!(st.uptime_s < 24 * 3600);
    assert_eq!(st.socket, home.socket());
    assert_eq!(st.config, home.config_file());
    assert_eq!(
        (st.pairs.total, st.pairs.persistent, st.pairs.transient),
        (0, 0, 0)
    );
    assert_eq!(st.clients, 0, "the asking connection is not counted");

    // Create, one persistent and one transient.
    let kept = client
        .create(&PairSpec {
            association_id: Some(format!("{{{}}}", GUID.to_uppercase())),
            unique_identifier: Some("lib-1".into()),
            description: Some("from the library".into()),
            persistent: true,
            ..root("Library")
        })
        .unwrap();
    assert_eq!(kept.association_id.to_string(), GUID);
    assert_eq!(kept.unique_identifier.as_str(), "lib1");
    assert_eq!(kept.endpoint_a.name, "Library (A)");
    assert_eq!(kept.endpoint_b.id.as_str(), "midiu_loop_b_lib1");
    assert_eq!(kept.endpoint_a.description, "from the library");
    assert!(kept.persistent && !kept.muted);
    let passing = client.create(&root("Passing")).unwrap();
    assert!(!passing.persistent);
    assert_eq!(
        client.list_pairs().unwrap(),
        vec![kept.clone(), passing.clone()]
    );
    let endpoints = client.list_endpoints().unwrap();
    assert_eq!(endpoints.len(), 4);

    let st = client.status().unwrap();
    assert_eq!(
        (st.pairs.total, st.pairs.persistent, st.pairs.transient),
        (2, 1, 1)
    );

    // Another connection is a client of the engine.
    let other = Client::connect(&options).unwrap();
    assert_eq!(other.engine_pid(), pid, "the same engine, not a second one");
    assert_eq!(client.status().unwrap().clients, 1);
    drop(other);
    assert!(
        wait_until(Duration::from_secs(10), || client.status().unwrap().clients
            == 0),
        "a closed connection is no longer counted"
    );

    // Update and mute.
    let id = kept.association_id;
    let renamed = client
        .update_pair(
            id,
            &PairUpdate {
                names: Some(NameSpec::Root("Studio".into())),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(renamed.endpoint_a.name, "Studio (A)");
    assert_eq!(
        renamed.endpoint_a.id, kept.endpoint_a.id,
        "ids survive a rename"
    );
    assert!(client.set_muted(id, true).unwrap().muted);
    assert!(client.list_pairs().unwrap()[0].muted);

    // Errors carry the kind that decides the exit code.
    assert_eq!(kind(client.create(&root("STUDIO"))), ErrorKind::Conflict);
    assert_eq!(kind(client.create(&root(""))), ErrorKind::Invalid);
    assert!(matches!(
        client.create(&root("")),
        Err(ClientError::Rule(_))
    ));
    let unknown = AssociationId(uuid_of("11111111-2222-4333-8444-555555555555"));
    assert_eq!(kind(client.remove_pair(unknown)), ErrorKind::NotFound);
    assert_eq!(kind(client.set_muted(unknown, true)), ErrorKind::NotFound);
    assert_eq!(
        kind(client.update_pair(
            unknown,
            &PairUpdate {
                description: Some("x".into()),
                ..Default::default()
            }
        )),
        ErrorKind::NotFound
    );

    // Remove the transient pair.
    let removed = client.remove_pair(passing.association_id).unwrap();
    assert_eq!(removed.endpoint_a.name, "Passing (A)");
    assert_eq!(client.list_pairs().unwrap().len(), 1);

    // Shut down: connected clients see the engine go, and nothing answers any more.
    let mut watcher = Client::connect(&options).unwrap();
    client.shutdown().unwrap();
    assert!(
        watcher.ping().is_err(),
        "a connected client learns the engine stopped"
    );
    assert!(Client::connect_running(&options).unwrap().is_none());
    assert!(
        wait_until(Duration::from_secs(10), || !process_is_live(pid)),
        "the engine process ended"
    );
    assert!(
        !home.socket().exists(),
        "the socket is removed on a graceful stop"
    );

    // The next engine brings the persistent pair back, renamed and muted as it was left.
    let mut client = Client::connect(&options).unwrap();
    assert_ne!(client.engine_pid(), pid);
    let pairs = client.list_pairs().unwrap();
    assert_eq!(pairs.len(), 1);
    assert_eq!(pairs[0].association_id, id);
    assert_eq!(pairs[0].endpoint_a.name, "Studio (A)");
    assert!(pairs[0].muted && pairs[0].persistent);
    client.shutdown().unwrap();
}

fn uuid_of(s: &str) -> uuid::Uuid {
    uuid::Uuid::parse_str(s).unwrap()
}

/// A definition as a careless or hostile application might send it, bypassing `PairSpec`.
fn raw_definition(patch: serde_json::Value) -> PairDefinition {
    let mut def = json!({
        "association_id": GUID,
        "unique_identifier": "raw1",
        "endpoint_a": { "name": "Raw (A)", "description": "" },
        "endpoint_b": { "name": "Raw (B)", "description": "" },
        "persistent": false,
        "muted": false
    });
    for (k, v) in patch.as_object().unwrap() {
        def[k] = v.clone();
    }
    serde_json::from_value(def).expect("a definition")
}

#[test]
fn the_engine_applies_the_rules_to_whatever_a_client_sends() {
    let home = TestHome::new();
    let mut client = home.client();
    let long = "n".repeat(99);
    let cases = [
        json!({ "endpoint_a": { "name": long, "description": "" } }),
        json!({ "endpoint_b": { "name": "raw (a)", "description": "" } }),
        json!({ "endpoint_a": { "name": "  Padded ", "description": "" } }),
        json!({ "endpoint_a": { "name": "Bell\u{7}", "description": "" } }),
        json!({ "endpoint_a": { "name": "", "description": "" } }),
        json!({ "unique_identifier": "not-clean" }),
        json!({ "unique_identifier": "" }),
        json!({ "unique_identifier": "x".repeat(33) }),
        json!({ "association_id": "00000000-0000-0000-0000-000000000000" }),
        json!({ "endpoint_b": { "name": "Raw (B)", "description": "d".repeat(501) } }),
    ];
    for patch in cases {
        let def = raw_definition(patch.clone());
        assert_eq!(
            kind(client.create_pair(def)),
            ErrorKind::Invalid,
            "the engine accepted {patch}"
        );
    }
    assert!(
        client.list_pairs().unwrap().is_empty(),
        "nothing was created"
    );
    // The untouched definition is fine.
    client.create_pair(raw_definition(json!({}))).unwrap();
    assert_eq!(client.list_pairs().unwrap().len(), 1);
}

#[test]
fn the_engine_checks_conflicts_itself() {
    let home = TestHome::new();
    let mut client = home.client();
    client.create_pair(raw_definition(json!({}))).unwrap();
    let cases = [
        // The same association id.
        json!({ "unique_identifier": "other1", "endpoint_a": { "name": "O (A)", "description": "" }, "endpoint_b": { "name": "O (B)", "description": "" } }),
        // The same unique identifier in another case.
        json!({ "association_id": "11111111-2222-4333-8444-555555555555", "unique_identifier": "RAW1", "endpoint_a": { "name": "O (A)", "description": "" }, "endpoint_b": { "name": "O (B)", "description": "" } }),
        // A name already used, in another case.
        json!({ "association_id": "11111111-2222-4333-8444-555555555555", "unique_identifier": "other1", "endpoint_a": { "name": "RAW (B)", "description": "" }, "endpoint_b": { "name": "O (B)", "description": "" } }),
    ];
    for patch in cases {
        let def = raw_definition(patch.clone());
        assert_eq!(
            kind(client.create_pair(def)),
            ErrorKind::Conflict,
            "the engine accepted {patch}"
        );
    }
    assert_eq!(client.list_pairs().unwrap().len(), 1);
}

#[test]
fn ping_through_the_library_and_the_cli() {
    let home = TestHome::new();
    let mut client = home.client();
    for _ in 0..10 {
        client.ping().unwrap();
    }
    let out = home.exec(&["service", "ping", "-c", "5"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 6, "{}", out.stdout);
    let summary = lines[5];
    for word in ["min", "median", "p99", "max"] {
        assert!(summary.contains(word), "{summary}");
    }
}

#[test]
fn removing_a_pair_tells_its_clients_cleanly() {
    let home = TestHome::new();
    let pair = home.client().create(&root("Short Lived")).unwrap();
    let mut a = home
        .client()
        .open_endpoint(pair.endpoint_a.id.as_str())
        .unwrap();
    let mut b = home
        .client()
        .open_endpoint(&pair.endpoint_b.name.to_uppercase())
        .unwrap();
    assert_eq!(a.info().name, "Short Lived (A)");
    assert_eq!(
        b.info().id,
        pair.endpoint_b.id,
        "opened by name, ignoring case"
    );

    // `list` counts the clients per side.
    let listed = home.list_json();
    assert_eq!(listed[0]["endpoint_a"]["clients"], 1);
    assert_eq!(listed[0]["endpoint_b"]["clients"], 1);
    let table = home.exec(&["loopback", "list"]);
    assert!(table.stdout.contains("1/1"), "{}", table.stdout);

    let out = home.exec(&["loopback", "remove", "-i", &pair.association_id.to_string()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    for (side, conn) in [("A", &mut a), ("B", &mut b)] {
        match conn.receive(Some(Duration::from_secs(10))) {
            Err(ClientError::EndpointRemoved { .. }) => {}
            other => panic!("side {side}: expected `endpoint removed`, got {other:?}"),
        }
    }
}

#[test]
fn stopping_the_engine_tells_endpoint_clients_cleanly() {
    let home = TestHome::new();
    let pair = home.client().create(&root("Until Stop")).unwrap();
    let mut a = home
        .client()
        .open_endpoint(pair.endpoint_a.id.as_str())
        .unwrap();
    let out = home.exec(&["service", "stop"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    match a.receive(Some(Duration::from_secs(10))) {
        Err(ClientError::EngineStopped) => {}
        other => panic!("expected `engine stopped`, got {other:?}"),
    }
}

#[test]
fn a_muted_pair_drops_and_counts_every_message() {
    use midi_loopback::client::Received;
    let home = TestHome::new();
    let pair = home.client().create(&root("Hushed")).unwrap();
    let id = pair.association_id.to_string();
    let mut a = home
        .client()
        .open_endpoint(pair.endpoint_a.id.as_str())
        .unwrap();
    let mut b = home
        .client()
        .open_endpoint(pair.endpoint_b.id.as_str())
        .unwrap();

    let out = home.exec(&["loopback", "mute", "-i", &id, "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json()["muted"], true);
    a.send(&[0x2090_3C64]).unwrap();
    a.send(&[0x4090_3C00, 0xC000_0000]).unwrap();
    a.flush().unwrap(); // the engine has handled both
    b.send(&[0x2080_3C00]).unwrap();
    b.flush().unwrap();
    let listed = &home.list_json()[0];
    assert_eq!(listed["a_to_b"]["dropped_muted"], 2, "{listed}");
    assert_eq!(listed["a_to_b"]["messages"], 0, "{listed}");
    assert_eq!(listed["b_to_a"]["dropped_muted"], 1, "{listed}");

    let out = home.exec(&["loopback", "unmute", "-i", &id, "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json()["muted"], false);
    a.send(&[0x2090_3C65]).unwrap();
    a.flush().unwrap();
    // The first thing B receives is the message sent after unmuting: nothing muted leaked.
    match b.receive(Some(Duration::from_secs(10))).unwrap() {
        Some(Received::Messages(msgs)) => {
            assert_eq!(msgs.len(), 1, "{msgs:?}");
            assert_eq!(msgs[0].words(), &[0x2090_3C65]);
        }
        other => panic!("expected the message, got {other:?}"),
    }
    let listed = &home.list_json()[0];
    assert_eq!(listed["a_to_b"]["messages"], 1, "{listed}");
    assert_eq!(listed["a_to_b"]["dropped_muted"], 2, "{listed}");
}
