package datastore.runtime;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

import datastore.Names;
import datastore.Namespace;

/**
 * Builds the writer's index from the records the mount scan found: checks every value's CRC, picks
 * each name's newest version by revision (copies left by an interrupted collection share a revision;
 * the later undamaged one wins), identifies damaged names by their CRC, reports a version whose
 * superseded marker is set although its successor is unreadable, and records every problem.
 */
final class IndexBuilder {
    private final RingLayout layout;
    private final ByteBuffer map;
    private final CurrentVersions current;
    private final DamageLog damage;

    IndexBuilder(RingLayout layout, ByteBuffer map, CurrentVersions current, DamageLog damage) {
        this.layout = layout;
        this.map = map;
        this.current = current;
        this.damage = damage;
    }

    void build(List<MountScan.Scanned> scanned) {
        List<String> problems = damage.problems;
        Map<EntryKey, EntryLoc> best = new HashMap<>();
        Map<EntryLoc, Integer> damaged = new LinkedHashMap<>();
        Map<EntryKey, Long> supersededUpTo = new HashMap<>();
        long clearSeq = 0;
        for (MountScan.Scanned s : scanned) {
            LogFormat.Header h = s.header;
            if (RingLayout.headerOnly(h)) {
                continue;
            }
            if (h.kind() == LogFormat.KIND_CLEAR) {
                if (s.complete) {
                    clearSeq = Math.max(clearSeq, h.seq());
                }
                continue;
            }
            if (s.dir == null) {
                problems.add("record at ring offset " + layout.ringOffset(s.pos) + " (revision " + h.seq() + ", "
                        + h.count() + " entries): both copies of its directory are damaged; skipped");
                continue;
            }
            if (!s.complete) {
                continue;
            }
            if (h.copyDamaged() || s.dirCopyDamaged || s.trailerCopyDamaged) {
                problems.add("record at ring offset " + layout.ringOffset(s.pos) + " (revision " + h.seq()
                        + "): one copy of its " + (h.copyDamaged() ? "header" : s.dirCopyDamaged ? "directory" : "commit word")
                        + " is damaged; the other copy is used");
            }
            int count = s.dir.length;
            EntryLoc[] locs = new EntryLoc[count];
            byte[] markers = null;
            if (s.ref.markerAt >= 0) {
                markers = new byte[(count + 7) / 8];
                map.get((int) s.ref.markerAt, markers);
            }
            long nameAt = layout.phys(s.pos) + h.namesAt();
            long valueAt = nameAt;
            for (LogFormat.DirEntry e : s.dir) {
                valueAt += e.nameLength();
            }
            for (int i = 0; i < count; i++) {
                LogFormat.DirEntry e = s.dir[i];
                Namespace namespace;
                try {
                    namespace = Namespace.ofCode(e.namespaceCode());
                } catch (IllegalArgumentException unknown) {
                    namespace = null;
                }
                byte[] name = new byte[e.nameLength()];
                map.get((int) nameAt, name);
                boolean nameOk = namespace != null && LogFormat.nameCrc(e.namespaceCode(), name) == e.nameCrc();
                boolean valueOk = e.removal() ? e.valueLength() == 0 : crc(valueAt, e.valueLength()) == e.valueCrc();
                EntryLoc loc = new EntryLoc(namespace == null ? Namespace.KV : namespace,
                        nameOk ? new String(name, StandardCharsets.UTF_8) : null, e.nameLength(), s.revisions[i],
                        e.format(), e.removal(), e.valueLength(), e.valueCrc(), valueAt, s.ref);
                loc.verified = valueOk;
                loc.damaged = !valueOk;
                loc.reported.set(true);
                loc.slot = i;
                boolean superseded = markers != null && (markers[i >> 3] & (1 << (i & 7))) == 0;
                if (superseded && nameOk) {
                    supersededUpTo.merge(loc.key, loc.revision, Math::max);
                }
                locs[i] = loc;
                if (nameOk) {
                    EntryLoc other = best.get(loc.key);
                    // Equal revisions are copies; the later one (the collector's) wins unless damaged.
                    if (other == null || loc.revision > other.revision
                            || loc.revision == other.revision && (!loc.damaged || other.damaged)) {
                        best.put(loc.key, loc);
                    }
                } else if (namespace != null) {
                    damaged.put(loc, e.nameCrc());
                } else {
                    problems.add("entry at revision " + loc.revision + " has an unknown namespace code "
                            + e.namespaceCode() + "; skipped");
                }
                nameAt += e.nameLength();
                valueAt += e.valueLength();
            }
            s.ref.entries = locs;
        }
        for (MountScan.Scanned s : scanned) {
            if (s.dir != null && !s.complete && mattered(s, best)) {
                problems.add("incomplete record at ring offset " + layout.ringOffset(s.pos) + " (revision "
                        + s.header.seq() + ", " + s.dir.length + " entries) discarded: a write interrupted by power loss");
            }
        }
        identifyDamagedNames(damaged, best, clearSeq);
        for (Map.Entry<EntryKey, EntryLoc> e : best.entrySet()) {
            EntryLoc loc = e.getValue();
            if (loc.revision < clearSeq) {
                continue;
            }
            Long superseded = supersededUpTo.get(e.getKey());
            if (superseded != null && superseded >= loc.revision) {
                // A newer write was durable (it marked this version) but is no longer readable: never serve the older one.
                loc.superseded = true;
                problems.add(loc.namespace.id() + " entry \"" + Names.display(loc.name) + "\" revision " + loc.revision
                        + " was superseded by a write that is no longer readable; reads report it as corrupted");
                if (loc.removal) {
                    damage.lostNewer.put(e.getKey(), loc.revision);
                } else {
                    loc.damaged = true;
                }
            }
            current.keys.put(e.getKey(), loc);
            if (!loc.removal) {
                current.used += loc.payload();
                current.entryCount++;
                if (loc.damaged) {
                    problems.add(loc.namespace.id() + " entry \"" + Names.display(loc.name) + "\" revision " + loc.revision
                            + ": its value fails its checksum; reads report it as corrupted");
                }
                long id = DamageLog.damagedId(loc.namespace.code(), LogFormat.nameCrc(loc.namespace.code(), loc.name));
                Long damagedRevision = damage.damagedNames.get(id);
                if (damagedRevision != null && damagedRevision < loc.revision) {
                    damage.damagedNames.remove(id);
                }
            }
        }
        if (current.used > layout.capacity) {
            problems.add("the partition holds " + current.used + " payload bytes, more than its configured capacity of "
                    + layout.capacity);
        }
        if (current.entryCount > layout.maxEntries) {
            problems.add("the partition holds " + current.entryCount + " entries, more than its configured limit of "
                    + layout.maxEntries);
        }
    }

    /** Names an entry whose stored name is damaged by its CRC, if a known name matches; else records it as an orphan. */
    private void identifyDamagedNames(Map<EntryLoc, Integer> damaged, Map<EntryKey, EntryLoc> best, long clearSeq) {
        for (Map.Entry<EntryLoc, Integer> d : damaged.entrySet()) {
            EntryLoc loc = d.getKey();
            int nameCrc = d.getValue();
            if (loc.revision < clearSeq) {
                continue;
            }
            EntryLoc match = null;
            for (Map.Entry<EntryKey, EntryLoc> candidate : best.entrySet()) {
                EntryKey key = candidate.getKey();
                if (key.namespace() == loc.namespace && candidate.getValue().revision >= clearSeq
                        && LogFormat.nameCrc(key.namespace().code(), key.name()) == nameCrc) {
                    match = candidate.getValue();
                    break;
                }
            }
            if (match != null) {
                EntryLoc named = new EntryLoc(loc.namespace, match.name, loc.nameLength, loc.revision, loc.format,
                        loc.removal, loc.valueLength, loc.valueCrc, loc.valueOffset, loc.ref);
                named.verified = loc.verified;
                named.damaged = loc.damaged;
                named.reported.set(true);
                named.slot = loc.slot;
                EntryLoc[] entries = loc.ref.entries;
                for (int i = 0; i < entries.length; i++) {
                    if (entries[i] == loc) {
                        entries[i] = named;
                    }
                }
                if (named.revision > match.revision) {
                    best.put(named.key, named);
                }
                damage.problems.add(named.namespace.id() + " entry \"" + Names.display(named.name) + "\" revision " + named.revision
                        + ": its stored name is damaged; identified by the name's checksum");
            } else {
                long id = DamageLog.damagedId(loc.namespace.code(), nameCrc);
                damage.damagedNames.merge(id, loc.revision, Math::max);
                damage.orphans.put(loc, id);
                damage.problems.add(loc.namespace.id() + " entry at revision " + loc.revision
                        + " has a damaged name; reads of that name report it as corrupted");
            }
        }
    }

    /** Whether any entry of an incomplete record would have been the newest version of its name. */
    private boolean mattered(MountScan.Scanned s, Map<EntryKey, EntryLoc> best) {
        long at = layout.phys(s.pos) + s.header.namesAt();
        for (int i = 0; i < s.dir.length; i++) {
            LogFormat.DirEntry e = s.dir[i];
            byte[] name = new byte[e.nameLength()];
            map.get((int) at, name);
            at += e.nameLength();
            if (LogFormat.nameCrc(e.namespaceCode(), name) != e.nameCrc()) {
                return true;
            }
            Namespace namespace;
            try {
                namespace = Namespace.ofCode(e.namespaceCode());
            } catch (IllegalArgumentException unknown) {
                return true;
            }
            EntryLoc newest = best.get(new EntryKey(namespace, new String(name, StandardCharsets.UTF_8)));
            if (newest == null || newest.revision < s.revisions[i]) {
                return true;
            }
        }
        return false;
    }

    private int crc(long at, int length) {
        CRC32C crc = new CRC32C();
        crc.update(map.slice((int) at, length));
        return (int) crc.getValue();
    }
}
