//! Crash consistency (issue 7): hundreds of persistent create, update, mute,
//! persistence and remove operations through the client library while the engine is killed
//! with SIGKILL at random moments — often in the middle of writing the file. After every
//! restart the configuration file parses, holds exactly the result of every acknowledged
//! operation, holds the interrupted one either wholly or not at all, and no temporary file is
//! left behind; the restarted engine runs exactly the pairs the file holds.

mod common;

use common::{SplitMix64, TestHome, process_is_live, test_seed, wait_until};
use midi_loopback::client::{Client, ClientError};
use midi_loopback::core::config::{self, ConfigDocument};
use midi_loopback::core::{AssociationId, NameSpec, PairDefinition, PairSpec, PairUpdate};
use std::collections::BTreeMap;
use std::thread::JoinHandle;
use std::time::Duration;

const OPERATIONS: usize = 600;
/// A kill is armed before about one operation in this many.
const KILL_ONE_IN: u64 = 12;
/// How long after arming the kill lands, at most (µs): within the next operation or two.
const KILL_WITHIN_US: u64 = 8_000;

/// One operation and what the file entry of its pair is before and after it.
#[derive(Debug, Clone)]
struct Operation {
    label: String,
    id: AssociationId,
    before: Option<PairDefinition>,
    after: Option<PairDefinition>,
    /// The pair goes on running without a file entry (persistent → transient).
    leaves_transient: bool,
}

/// What the test knows: every acknowledged operation applied, in order.
#[derive(Default)]
struct Model {
    /// Persistent pairs: exactly what the file must hold.
    stored: BTreeMap<AssociationId, PairDefinition>,
    /// Transient pairs of the current engine (gone with it).
    transient: BTreeMap<AssociationId, PairDefinition>,
}

impl Model {
    fn apply(&mut self, op: &Operation) {
        match &op.after {
            Some(def) => {
                self.stored.insert(op.id, def.clone());
                self.transient.remove(&op.id);
            }
            None => {
                if let Some(def) = self.stored.remove(&op.id).or(op.before.clone())
                    && op.leaves_transient
                {
                    let mut def = def;
                    def.persistent = false;
                    self.transient.insert(op.id, def);
                }
            }
        }
    }
}

fn pick<'a, T>(rng: &mut SplitMix64, map: &'a BTreeMap<AssociationId, T>) -> Option<&'a T> {
    if map.is_empty() {
        return None;
    }
    map.values().nth(rng.below(map.len() as u64) as usize)
}

/// Chooses the next operation (always a valid one: names are never reused).
fn next_operation(rng: &mut SplitMix64, model: &Model, n: usize) -> (Operation, Request) {
    let roll = rng.below(100);
    let stored = pick(rng, &model.stored).cloned();
    let transient = pick(rng, &model.transient).cloned();
    match (roll, stored, transient) {
        (0..=24, Some(cur), _) => {
            let update = PairUpdate {
                names: Some(NameSpec::Root(format!("Renamed {n}"))),
                description: rng.one_in(2).then(|| format!("changed by operation {n}")),
                ..Default::default()
            };
            let after = update.apply(&cur).expect("a valid update");
            (
                op(format!("rename {n}"), &cur, Some(after)),
                Request::Update(cur.association_id, update),
            )
        }
        (25..=39, Some(cur), _) => {
            let mut after = cur.clone();
            after.muted = !cur.muted;
            (
                op(format!("mute {n}"), &cur, Some(after.clone())),
                Request::Mute(cur.association_id, after.muted),
            )
        }
        (40..=54, Some(cur), _) => (
            op(format!("remove {n}"), &cur, None),
            Request::Remove(cur.association_id),
        ),
        (55..=62, Some(cur), _) => {
            let mut o = op(format!("make transient {n}"), &cur, None);
            o.leaves_transient = true;
            let update = PairUpdate {
                persistent: Some(false),
                ..Default::default()
            };
            (o, Request::Update(cur.association_id, update))
        }
        (63..=69, _, Some(cur)) => {
            let update = PairUpdate {
                persistent: Some(true),
                ..Default::default()
            };
            let after = update.apply(&cur).expect("valid");
            let o = Operation {
                label: format!("make persistent {n}"),
                id: cur.association_id,
                before: None,
                after: Some(after),
                leaves_transient: false,
            };
            (o, Request::Update(cur.association_id, update))
        }
        _ => {
            let spec = PairSpec {
                names: Some(NameSpec::Root(format!("Crash {n}"))),
                // Now and then an identifier that needs stripping, and a description.
                unique_identifier: rng
                    .one_in(3)
                    .then(|| format!("id-{n}_x{}!", rng.below(1000))),
                description: rng.one_in(2).then(|| format!("made by operation {n}")),
                persistent: true,
                ..Default::default()
            };
            let def = spec.resolve().expect("a valid spec");
            let o = Operation {
                label: format!("create {n}"),
                id: def.association_id,
                before: None,
                after: Some(def.clone()),
                leaves_transient: false,
            };
            (o, Request::Create(def))
        }
    }
}

fn op(label: String, cur: &PairDefinition, after: Option<PairDefinition>) -> Operation {
    Operation {
        label,
        id: cur.association_id,
        before: Some(cur.clone()),
        after,
        leaves_transient: false,
    }
}

enum Request {
    Create(PairDefinition),
    Update(AssociationId, PairUpdate),
    Mute(AssociationId, bool),
    Remove(AssociationId),
}

fn perform(client: &mut Client, request: &Request) -> Result<(), ClientError> {
    match request {
        Request::Create(def) => client.create_pair(def.clone()).map(drop),
        Request::Update(id, update) => client.update_pair(*id, update).map(drop),
        Request::Mute(id, muted) => client.set_muted(*id, *muted).map(drop),
        Request::Remove(id) => client.remove_pair(*id).map(drop),
    }
}

/// The pairs the file holds now; it must parse and every entry must be valid.
fn stored_pairs(home: &TestHome) -> BTreeMap<AssociationId, PairDefinition> {
    let path = home.config_file();
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return BTreeMap::new(),
        Err(e) => panic!("cannot read {}: {e}", path.display()),
    };
    let doc = ConfigDocument::parse(&text, &path)
        .unwrap_or_else(|e| panic!("a torn or broken file after a kill: {e}\n{text}"));
    let (pairs, skipped) = doc.pairs();
    assert!(skipped.is_empty(), "entries skipped: {skipped:?}\n{text}");
    pairs.into_iter().map(|p| (p.association_id, p)).collect()
}

/// After a restart: the file holds exactly the acknowledged state, the interrupted operation
/// wholly or not at all, and the engine runs exactly what the file holds.
fn check_after_restart(
    home: &TestHome,
    client: &mut Client,
    model: &mut Model,
    interrupted: Option<Operation>,
    outcomes: &mut [usize; 2],
) {
    let temps = config::leftover_temp_files(&home.config_file());
    assert!(
        temps.is_empty(),
        "the restarted engine left {temps:?} behind"
    );
    let file = stored_pairs(home);
    if let Some(op) = interrupted {
        let found = file.get(&op.id);
        if found == op.after.as_ref() {
            outcomes[1] += 1;
            model.apply(&op);
        } else if found == op.before.as_ref() {
            outcomes[0] += 1;
        } else {
            panic!(
                "after a kill during {}, its pair's entry is neither the old nor the new one:\nfile: {found:#?}\nbefore: {:#?}\nafter: {:#?}",
                op.label, op.before, op.after
            );
        }
    }
    assert_eq!(
        file.keys().collect::<Vec<_>>(),
        model.stored.keys().collect::<Vec<_>>(),
        "the file lost an acknowledged pair or kept a removed one"
    );
    for (id, def) in &model.stored {
        assert_eq!(&file[id], def, "the stored entry of {id} differs");
    }
    // A new engine: the transient pairs died with the old one; it runs what the file holds.
    model.transient.clear();
    let running = client.list_pairs().expect("list after restart");
    assert_eq!(
        running.len(),
        model.stored.len(),
        "the engine runs other pairs"
    );
    for p in running {
        let def = &model.stored[&p.association_id];
        assert!(p.persistent);
        assert_eq!(p.muted, def.muted);
        assert_eq!(p.endpoint_a.name, def.endpoint_a.name);
        assert_eq!(p.endpoint_b.name, def.endpoint_b.name);
        assert_eq!(p.endpoint_a.description, def.endpoint_a.description);
        assert_eq!(p.unique_identifier, def.unique_identifier);
    }
}

#[test]
fn acknowledged_changes_survive_sigkill_at_random_moments_and_interrupted_ones_are_whole() {
    let home = TestHome::new();
    let opts = home.options();
    let seed = test_seed(0xC2A5_4000);
    let mut rng = SplitMix64(seed);
    let mut model = Model::default();
    let mut client = Client::connect(&opts).expect("start the engine");
    let mut kill: Option<(u32, JoinHandle<()>)> = None;
    let (mut acknowledged, mut kills, mut restarts, mut torn_writes) = (0, 0, 0, 0);
    // Interrupted operations found undone [0] and done [1] after the restart.
    let mut outcomes = [0usize; 2];

    for n in 0..OPERATIONS {
        if kill.is_none() && rng.one_in(KILL_ONE_IN) {
            let pid = client.engine_pid();
            let delay = Duration::from_micros(rng.below(KILL_WITHIN_US));
            let killer = std::thread::spawn(move || {
                std::thread::sleep(delay);
                // SAFETY: kill only sends a signal to the engine this test started.
                unsafe { libc::kill(pid as i32, libc::SIGKILL) };
            });
            kill = Some((pid, killer));
            kills += 1;
        }
        let (operation, request) = next_operation(&mut rng, &model, n);
        match perform(&mut client, &request) {
            Ok(()) => {
                model.apply(&operation);
                acknowledged += 1;
            }
            Err(e @ (ClientError::EngineStopped | ClientError::Disconnected(_))) => {
                let (pid, killer) = kill.take().unwrap_or_else(|| {
                    panic!("{} failed with no kill armed: {e}", operation.label)
                });
                killer.join().unwrap();
                let dead = wait_until(Duration::from_secs(20), || !process_is_live(pid));
                assert!(dead, "the killed engine {pid} lives on");
                if !config::leftover_temp_files(&home.config_file()).is_empty() {
                    torn_writes += 1; // killed between writing the temporary file and renaming it
                }
                // The next call starts a new engine; check what the old one left.
                client = Client::connect(&opts).expect("restart after a kill");
                assert_ne!(client.engine_pid(), pid);
                restarts += 1;
                check_after_restart(
                    &home,
                    &mut client,
                    &mut model,
                    Some(operation),
                    &mut outcomes,
                );
            }
            Err(e) => panic!("{} failed: {e}", operation.label),
        }
    }
    // A last kill may still be armed: let it land, restart, check once more.
    if let Some((pid, killer)) = kill.take() {
        killer.join().unwrap();
        assert!(wait_until(Duration::from_secs(20), || !process_is_live(
            pid
        )));
        client = Client::connect(&opts).expect("restart");
        restarts += 1;
        check_after_restart(&home, &mut client, &mut model, None, &mut outcomes);
    }
    check_final(&home, &mut client, &model);
    eprintln!(
        "{OPERATIONS} operations, {acknowledged} acknowledged, {kills} kills, {restarts} restarts; interrupted operations found undone {} / done {}; {torn_writes} kills left a temporary file",
        outcomes[0], outcomes[1]
    );
    assert!(
        acknowledged >= 500,
        "only {acknowledged} operations acknowledged"
    );
    assert!(restarts >= 10, "only {restarts} restarts: the kills missed");
}

/// Without a kill: the file is exactly the model and the engine runs stored plus transient.
fn check_final(home: &TestHome, client: &mut Client, model: &Model) {
    let file = stored_pairs(home);
    assert_eq!(&file, &model.stored);
    let running = client.list_pairs().expect("list");
    let mut ids: Vec<_> = running.iter().map(|p| p.association_id).collect();
    ids.sort();
    let mut want: Vec<_> = model
        .stored
        .keys()
        .chain(model.transient.keys())
        .copied()
        .collect();
    want.sort();
    assert_eq!(ids, want);
}
