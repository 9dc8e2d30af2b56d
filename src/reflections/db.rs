//! Storage of reflections and consent records: the sled trees, their keys, and the few
//! operations the domain needs. Every key starts with the tenant (`"{tenant}|…"`), so no scan
//! can cross from one Mission Locale to another. Writes are ordered (indexes before records when
//! adding, records before indexes when removing) and readers check every index entry against
//! its record, so a crash between two writes changes no answer. Nothing here flushes: callers
//! flush once before telling anyone "saved".
//!
//! Trees (values are JSON in the store's versioned envelope; index values are empty):
//! - `reflections`: `{tenant}|{id:016x}` → [`Reflection`] (ids grow with time);
//! - `reflections_by_event`: `{tenant}|{event_id}` → id, for the message and the 📝 reaction;
//! - `reflections_by_author`: `{tenant}|{user}|{id:016x}`;
//! - `reflections_by_room`: `{tenant}|{room}|{tag}|{id:016x}`, tag empty for "all";
//! - `consents`: `{tenant}|{user}` → [`ConsentRecord`];
//! - `reflection_secrets`: `{tenant}` → the random key of export pseudonyms.

use super::model::{ConsentRecord, Draft, Reflection};
use crate::store::{decode, encode, Store, StoreError};

pub const T_REFLECTIONS: &str = "reflections";
pub const T_BY_EVENT: &str = "reflections_by_event";
pub const T_BY_AUTHOR: &str = "reflections_by_author";
pub const T_BY_ROOM: &str = "reflections_by_room";
pub const T_CONSENTS: &str = "consents";
pub const T_SECRETS: &str = "reflection_secrets";
const COUNTER: &str = "reflection";

/// The key prefix of everything a tenant owns in a tree.
pub fn tenant_prefix(tenant: &str) -> String {
    format!("{tenant}|")
}

fn key_reflection(tenant: &str, id: u64) -> String {
    format!("{tenant}|{id:016x}")
}
fn key_event(tenant: &str, event_id: &str) -> String {
    format!("{tenant}|{event_id}")
}
fn prefix_author(tenant: &str, user: &str) -> String {
    format!("{tenant}|{user}|")
}
fn prefix_room(tenant: &str, room: &str, tag: &str) -> String {
    format!("{tenant}|{room}|{tag}|")
}
fn key_consent(tenant: &str, user: &str) -> String {
    format!("{tenant}|{user}")
}

/// The id at the end of an index key (`…|{id:016x}`).
fn id_of_index_key(key: &[u8]) -> Option<u64> {
    let hex = key.get(key.len().checked_sub(16)?..)?;
    u64::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()
}

/// Every index key of a reflection, per index tree.
struct IndexKeys {
    events: Vec<String>,
    author: Option<String>,
    rooms: Vec<String>,
}

fn index_keys(r: &Reflection) -> IndexKeys {
    let suffix = format!("{:016x}", r.id);
    let events = r
        .event_id
        .iter()
        .chain(r.reaction_id.iter())
        .map(|e| key_event(&r.tenant, e))
        .collect();
    let author = r
        .author
        .as_ref()
        .map(|a| format!("{}{suffix}", prefix_author(&r.tenant, a)));
    let rooms = std::iter::once("")
        .chain(r.tags.iter().map(String::as_str))
        .map(|tag| format!("{}{suffix}", prefix_room(&r.tenant, &r.room_id, tag)))
        .collect();
    IndexKeys {
        events,
        author,
        rooms,
    }
}

/// Add the index entries in `keys`.
fn add_indexes(store: &Store, r: &Reflection, keys: &IndexKeys) -> Result<(), StoreError> {
    let by_event = store.tree(T_BY_EVENT)?;
    let id = encode(&r.id);
    for k in &keys.events {
        by_event.insert(k.as_bytes(), id.clone())?;
    }
    if let Some(k) = &keys.author {
        store
            .tree(T_BY_AUTHOR)?
            .insert(k.as_bytes(), &[] as &[u8])?;
    }
    let by_room = store.tree(T_BY_ROOM)?;
    for k in &keys.rooms {
        by_room.insert(k.as_bytes(), &[] as &[u8])?;
    }
    Ok(())
}

/// Remove the index entries of `keys`, except those `keep` also has.
fn remove_indexes(
    store: &Store,
    keys: &IndexKeys,
    keep: Option<&IndexKeys>,
) -> Result<(), StoreError> {
    let by_event = store.tree(T_BY_EVENT)?;
    for k in &keys.events {
        if keep.is_none_or(|keep| !keep.events.contains(k)) {
            by_event.remove(k.as_bytes())?;
        }
    }
    if let Some(k) = &keys.author {
        if keep.is_none_or(|keep| keep.author.as_ref() != Some(k)) {
            store.tree(T_BY_AUTHOR)?.remove(k.as_bytes())?;
        }
    }
    let by_room = store.tree(T_BY_ROOM)?;
    for k in &keys.rooms {
        if keep.is_none_or(|keep| !keep.rooms.contains(k)) {
            by_room.remove(k.as_bytes())?;
        }
    }
    Ok(())
}

// No sled transaction or batch here, on purpose: the first one switches sled 0.34 into a mode
// where every read and write of the process, every tree of the bot included, takes a global
// lock, and a transaction stuck on that lock was part of the hang seen in the benchmark. Instead
// the writes are ordered so that a crash can only leave index entries pointing at nothing or at
// a record that no longer matches them, and every reader checks the record against the index
// entry it came from.

/// Store a new reflection with its indexes; returns it with its id. Indexes first, record last.
pub fn insert(store: &Store, draft: Draft) -> Result<Reflection, StoreError> {
    let r = numbered(store, draft)?;
    insert_numbered(store, &r)?;
    Ok(r)
}

/// A new reflection from `draft`, with its id, not stored yet.
pub fn numbered(store: &Store, draft: Draft) -> Result<Reflection, StoreError> {
    let id = store.next_number(COUNTER)?;
    Ok(Reflection {
        id,
        tenant: draft.tenant,
        room_id: draft.room_id,
        author: Some(draft.author),
        event_id: Some(draft.event_id),
        reaction_id: draft.reaction_id,
        text: draft.text,
        tags: draft.tags,
        card: draft.card,
        created_at: draft.created_at,
        edited_at: None,
        origin: draft.origin,
    })
}

/// Store an already numbered reflection as is (benchmarks and imports); same indexes.
pub fn insert_numbered(store: &Store, r: &Reflection) -> Result<(), StoreError> {
    add_indexes(store, r, &index_keys(r))?;
    store.put(T_REFLECTIONS, key_reflection(&r.tenant, r.id).as_bytes(), r)
}

/// Write every index entry of a stored reflection again (an undo: a [`delete`] cut half-way
/// removes index entries before the record).
pub fn reindex(store: &Store, r: &Reflection) -> Result<(), StoreError> {
    add_indexes(store, r, &index_keys(r))
}

/// Replace `old` by `new` (same tenant and id): the new index entries, the record, then the
/// stale entries.
pub fn replace(store: &Store, old: &Reflection, new: &Reflection) -> Result<(), StoreError> {
    let (old_keys, new_keys) = (index_keys(old), index_keys(new));
    add_indexes(store, new, &new_keys)?;
    store.put(
        T_REFLECTIONS,
        key_reflection(&new.tenant, new.id).as_bytes(),
        new,
    )?;
    remove_indexes(store, &old_keys, Some(&new_keys))
}

/// Erase a reflection: its event and room index entries, the record, then its author entry.
/// Cut half-way (a full disk), what is left can be found again from the author: the record
/// through its author entry, or an author entry pointing at nothing, which
/// [`remove_stale_author_entries`] clears (it still names the person).
pub fn delete(store: &Store, r: &Reflection) -> Result<(), StoreError> {
    let keys = index_keys(r);
    let author_only = IndexKeys {
        events: Vec::new(),
        author: keys.author.clone(),
        rooms: Vec::new(),
    };
    remove_indexes(store, &keys, Some(&author_only))?;
    store.remove(T_REFLECTIONS, key_reflection(&r.tenant, r.id).as_bytes())?;
    remove_indexes(store, &author_only, None)
}

/// Remove `user`'s author index entries in `tenant` that point at no reflection of theirs (left
/// by an erasure cut half-way, or by a crash); returns how many.
pub fn remove_stale_author_entries(
    store: &Store,
    tenant: &str,
    user: &str,
) -> Result<usize, StoreError> {
    let tree = store.tree(T_BY_AUTHOR)?;
    let mut stale = Vec::new();
    for item in tree.scan_prefix(prefix_author(tenant, user).as_bytes()) {
        let (key, _) = item?;
        let theirs = match id_of_index_key(&key) {
            Some(id) => get(store, tenant, id)?.is_some_and(|r| r.author.as_deref() == Some(user)),
            None => false,
        };
        if !theirs {
            stale.push(key);
        }
    }
    for key in &stale {
        tree.remove(key)?;
    }
    Ok(stale.len())
}

pub fn get(store: &Store, tenant: &str, id: u64) -> Result<Option<Reflection>, StoreError> {
    store.get(T_REFLECTIONS, key_reflection(tenant, id).as_bytes())
}

/// The reflection saved from this event (its message or its 📝 reaction), in this tenant.
pub fn by_event(
    store: &Store,
    tenant: &str,
    event_id: &str,
) -> Result<Option<Reflection>, StoreError> {
    let Some(id) = store.get::<u64>(T_BY_EVENT, key_event(tenant, event_id).as_bytes())? else {
        return Ok(None);
    };
    Ok(get(store, tenant, id)?.filter(|r| {
        r.event_id.as_deref() == Some(event_id) || r.reaction_id.as_deref() == Some(event_id)
    }))
}

/// Every reflection of `user` in `tenant`, oldest first.
pub fn by_author(store: &Store, tenant: &str, user: &str) -> Result<Vec<Reflection>, StoreError> {
    let tree = store.tree(T_BY_AUTHOR)?;
    let mut out = Vec::new();
    for item in tree.scan_prefix(prefix_author(tenant, user).as_bytes()) {
        let (key, _) = item?;
        if let Some(r) = id_of_index_key(&key)
            .map(|id| get(store, tenant, id))
            .transpose()?
        {
            out.extend(r.filter(|r| r.author.as_deref() == Some(user)));
        }
    }
    Ok(out)
}

/// How many reflections `user` wrote in `tenant`.
pub fn count_by_author(store: &Store, tenant: &str, user: &str) -> Result<usize, StoreError> {
    Ok(by_author(store, tenant, user)?.len())
}

/// Walk a room's reflections (those with `tag`, or all), newest first, until `visit` returns
/// false. At most `max_visits` index entries are read, so a pathological room stays cheap.
pub fn walk_room_newest_first(
    store: &Store,
    tenant: &str,
    room: &str,
    tag: Option<&str>,
    max_visits: usize,
    mut visit: impl FnMut(Reflection) -> Result<bool, StoreError>,
) -> Result<(), StoreError> {
    let tree = store.tree(T_BY_ROOM)?;
    let prefix = prefix_room(tenant, room, tag.unwrap_or(""));
    for item in tree.scan_prefix(prefix.as_bytes()).rev().take(max_visits) {
        let (key, _) = item?;
        let Some(id) = id_of_index_key(&key) else {
            continue;
        };
        let Some(r) = get(store, tenant, id)? else {
            continue;
        };
        if r.room_id != room || tag.is_some_and(|t| !r.tags.iter().any(|x| x == t)) {
            continue;
        }
        if !visit(r)? {
            break;
        }
    }
    Ok(())
}

/// Walk every reflection of a tenant, oldest first, until `visit` returns false. Synchronous and
/// long for a big tenant: call it from `spawn_blocking`.
pub fn walk_tenant<E: From<StoreError>>(
    store: &Store,
    tenant: &str,
    mut visit: impl FnMut(Reflection) -> Result<bool, E>,
) -> Result<(), E> {
    let tree = store.tree(T_REFLECTIONS)?;
    for item in tree.scan_prefix(tenant_prefix(tenant).as_bytes()) {
        let (_, bytes) = item.map_err(StoreError::from)?;
        let r: Reflection = decode(T_REFLECTIONS, &bytes)?;
        if !visit(r)? {
            break;
        }
    }
    Ok(())
}

/// How many reflections a tenant holds (all of them, whoever can see them).
pub fn count_tenant(store: &Store, tenant: &str) -> Result<u64, StoreError> {
    let tree = store.tree(T_REFLECTIONS)?;
    let mut n = 0;
    for item in tree.scan_prefix(tenant_prefix(tenant).as_bytes()) {
        item?;
        n += 1;
    }
    Ok(n)
}

pub fn consent(
    store: &Store,
    tenant: &str,
    user: &str,
) -> Result<Option<ConsentRecord>, StoreError> {
    store.get(T_CONSENTS, key_consent(tenant, user).as_bytes())
}

/// Read-modify-write a consent record atomically (compare and swap, retried on conflict):
/// `f` gets the current record and returns the new one (`None` deletes it). Returns what `f`
/// returned.
pub fn update_consent(
    store: &Store,
    tenant: &str,
    user: &str,
    mut f: impl FnMut(Option<ConsentRecord>) -> Option<ConsentRecord>,
) -> Result<Option<ConsentRecord>, StoreError> {
    let tree = store.tree(T_CONSENTS)?;
    let key = key_consent(tenant, user);
    loop {
        let old = tree.get(key.as_bytes())?;
        let current = match &old {
            Some(bytes) => Some(decode::<ConsentRecord>(T_CONSENTS, bytes)?),
            None => None,
        };
        let next = f(current);
        let new = next.as_ref().map(encode);
        if tree.compare_and_swap(key.as_bytes(), old, new)?.is_ok() {
            return Ok(next);
        }
    }
}

/// Every consent record of a tenant.
pub fn consents_of_tenant(store: &Store, tenant: &str) -> Result<Vec<ConsentRecord>, StoreError> {
    Ok(store
        .scan_prefix::<ConsentRecord>(T_CONSENTS, tenant_prefix(tenant).as_bytes())?
        .into_iter()
        .map(|(_, r)| r)
        .collect())
}

/// The tenant's random pseudonym key, created on first use.
pub fn secret(store: &Store, tenant: &str) -> Result<Vec<u8>, StoreError> {
    let tree = store.tree(T_SECRETS)?;
    if let Some(bytes) = tree.get(tenant.as_bytes())? {
        return Ok(bytes.to_vec());
    }
    let mut fresh = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut fresh);
    // Two first uses at once: the first written wins, both read it back.
    let _ = tree.compare_and_swap(tenant.as_bytes(), None as Option<&[u8]>, Some(&fresh[..]))?;
    Ok(tree
        .get(tenant.as_bytes())?
        .map(|b| b.to_vec())
        .unwrap_or_else(|| fresh.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reflections::model::Origin;
    use chrono::{TimeZone, Utc};

    fn draft(tenant: &str, room: &str, author: &str, event: &str, tags: &[&str]) -> Draft {
        Draft {
            tenant: tenant.into(),
            room_id: room.into(),
            author: author.into(),
            event_id: event.into(),
            reaction_id: None,
            text: "Le rappel la veille marche bien".into(),
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
            card: None,
            created_at: Utc
                .with_ymd_and_hms(2026, 3, 1, 9, 0, 0)
                .single()
                .expect("time"),
            origin: Origin::Command,
        }
    }

    #[test]
    fn indexes_follow_inserts_replacements_and_deletes() {
        let store = Store::temporary().expect("store");
        let a = insert(&store, draft("ml-a", "!r:s", "@u:s", "$1", &["sms"])).expect("insert");
        let b = insert(&store, draft("ml-a", "!r:s", "@u:s", "$2", &[])).expect("insert");
        assert!(b.id > a.id);
        assert_eq!(
            by_event(&store, "ml-a", "$1").expect("get"),
            Some(a.clone())
        );
        assert_eq!(
            by_event(&store, "ml-b", "$1").expect("get"),
            None,
            "tenant in key"
        );
        assert_eq!(count_by_author(&store, "ml-a", "@u:s").expect("count"), 2);
        let mut seen = Vec::new();
        walk_room_newest_first(&store, "ml-a", "!r:s", None, 100, |r| {
            seen.push(r.id);
            Ok(true)
        })
        .expect("walk");
        assert_eq!(seen, vec![b.id, a.id], "newest first");
        let mut tagged = Vec::new();
        walk_room_newest_first(&store, "ml-a", "!r:s", Some("sms"), 100, |r| {
            tagged.push(r.id);
            Ok(true)
        })
        .expect("walk");
        assert_eq!(tagged, vec![a.id]);

        let mut anonymous = a.clone();
        anonymous.author = None;
        anonymous.event_id = None;
        replace(&store, &a, &anonymous).expect("replace");
        assert_eq!(by_event(&store, "ml-a", "$1").expect("get"), None);
        assert_eq!(count_by_author(&store, "ml-a", "@u:s").expect("count"), 1);
        delete(&store, &b).expect("delete");
        assert_eq!(by_author(&store, "ml-a", "@u:s").expect("list"), vec![]);
        assert_eq!(count_tenant(&store, "ml-a").expect("count"), 1);
        for tree in [T_BY_EVENT, T_BY_AUTHOR] {
            assert!(store.tree(tree).expect("tree").is_empty(), "{tree} emptied");
        }
    }

    #[test]
    fn readers_ignore_index_entries_a_crash_left_behind() {
        let store = Store::temporary().expect("store");
        let r = insert(&store, draft("ml-a", "!r:s", "@u:s", "$1", &["sms"])).expect("insert");
        // As if the process died after the indexes were written but before the record was.
        store
            .remove(T_REFLECTIONS, key_reflection("ml-a", r.id).as_bytes())
            .expect("remove");
        assert_eq!(by_event(&store, "ml-a", "$1").expect("get"), None);
        assert_eq!(count_by_author(&store, "ml-a", "@u:s").expect("count"), 0);
        let mut seen = 0;
        walk_room_newest_first(&store, "ml-a", "!r:s", Some("sms"), 10, |_| {
            seen += 1;
            Ok(true)
        })
        .expect("walk");
        assert_eq!(seen, 0);
        // As if it died while replacing: the old tag's entry still there, the record without it.
        let r = insert(&store, draft("ml-a", "!r:s", "@u:s", "$2", &["sms"])).expect("insert");
        let untagged = Reflection {
            tags: Vec::new(),
            ..r.clone()
        };
        store
            .put(
                T_REFLECTIONS,
                key_reflection("ml-a", r.id).as_bytes(),
                &untagged,
            )
            .expect("put");
        walk_room_newest_first(&store, "ml-a", "!r:s", Some("sms"), 10, |_| {
            seen += 1;
            Ok(true)
        })
        .expect("walk");
        assert_eq!(seen, 0, "the record decides");
    }

    #[test]
    fn consent_updates_and_secrets_are_stable() {
        let store = Store::temporary().expect("store");
        let rec = update_consent(&store, "ml-a", "@u:s", |old| {
            assert!(old.is_none());
            let mut r = ConsentRecord::new("ml-a", "@u:s");
            r.granted = true;
            Some(r)
        })
        .expect("update");
        assert!(rec.is_some_and(|r| r.granted));
        assert!(consent(&store, "ml-b", "@u:s").expect("get").is_none());
        update_consent(&store, "ml-a", "@u:s", |_| None).expect("delete");
        assert!(consent(&store, "ml-a", "@u:s").expect("get").is_none());
        let k1 = secret(&store, "ml-a").expect("secret");
        assert_eq!(k1, secret(&store, "ml-a").expect("secret"));
        assert_ne!(k1, secret(&store, "ml-b").expect("secret"));
        assert_eq!(k1.len(), 32);
    }
}
