package datastore.logstore;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import datastore.Names;
import datastore.Namespace;

/**
 * Builds the index from the records the mount scan found: checks every value's CRC, picks each
 * name's newest version by revision (copies left by an interrupted collection share a revision; the
 * later undamaged one wins), identifies damaged names by their CRC, reports a version whose
 * superseded marker is set although its successor is unreadable, and records every problem.
 */
final class IndexBuilder {
    private final RingLayout layout;
    private final ByteBuffer map;
    private final CurrentVersions current;
    private final EntryTable table;
    private final DamageLog damage;
    private final RegionChecks checks;

    /** An entry whose stored name failed its CRC, with that CRC. */
    private record Unnamed(RecordRef ref, int slot, int nameCrc) {
    }

    /** Entries whose stored name failed its CRC. */
    private final List<Unnamed> damaged = new ArrayList<>();
    /** Entries whose value failed its CRC, by location (a few, or none). */
    private final List<Long> damagedValues = new ArrayList<>();
    /** For each name, the newest revision a superseded marker says a durable newer write replaced. */
    private final Map<EntryKey, Long> supersededUpTo = new HashMap<>();

    IndexBuilder(RingLayout layout, ByteBuffer map, CurrentVersions current, DamageLog damage) {
        this.layout = layout;
        this.map = map;
        this.checks = new RegionChecks(map);
        this.current = current;
        this.table = current.table;
        this.damage = damage;
    }

    void build(MountWalk walk) {
        List<String> problems = damage.problems;
        long clearSeq = 0;
        int entries = 0;
        for (int k = 0; k < walk.size(); k++) {
            MountScan.Scanned s = walk.scanned(k);
            if (s == null || s.complete && s.hasEntries()) {
                entries += s == null ? 1 : s.count();
            }
        }
        // Sized once: growing would hash every name again from flash, and copy the records by id (for
        // every record the walk found, the few pads and incomplete ones too).
        table.reserve(entries, walk.records());
        RecordRef previous = null;
        int runSlot = 0;
        for (int k = 0; k < walk.size(); k++) {
            MountScan.Scanned s = walk.scanned(k);
            if (s == null) {
                // An undamaged single record, or the next slot of a run of them: the walk put its entry
                // and checks into its ref.
                RecordRef ref = walk.ref(k);
                runSlot = ref == previous ? runSlot + 1 : 0;
                previous = ref;
                if (runSlot == 0) {
                    table.register(ref);
                }
                if ((map.get(ref.markerAt(layout, runSlot)) >> ref.markerBit(runSlot) & 1) == 0) {
                    supersededUpTo.merge(new EntryKey(ref.namespace(runSlot), table.name(ref, runSlot)),
                            ref.revision(runSlot), Math::max);
                }
                if (ref.is(runSlot, RecordRef.DAMAGED)) {
                    damagedValues.add(ref.loc(runSlot));
                }
                table.offer(ref, runSlot, walk.hash(k));
                continue;
            }
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
            if (!s.hasEntries()) {
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
            registerEntries(s);
        }
        for (int k = 0; k < walk.size(); k++) {
            MountScan.Scanned s = walk.scanned(k);
            if (s != null && s.hasEntries() && !s.complete && mattered(s)) {
                problems.add("incomplete record at ring offset " + layout.ringOffset(s.pos) + " (revision "
                        + s.header.seq() + ", " + s.count() + " entries) discarded: a write interrupted by power loss");
            }
        }
        identifyDamagedNames(damaged, clearSeq);
        if (clearSeq == 0 && supersededUpTo.isEmpty() && damage.damagedNames.isEmpty()) {
            // Nothing to take back: what the current versions count is the table's own account, and the
            // only reports left are values failing their CRC, checked where they are the current version.
            current.used = table.liveCharge;
            for (int live : table.liveByNamespace) {
                current.entryCount += live;
            }
            for (long loc : damagedValues) {
                RecordRef ref = table.record(loc);
                int slot = EntryTable.slotOf(loc);
                if (!ref.is(slot, RecordRef.REMOVAL) && table.current(ref, slot) == loc) {
                    reportDamagedValue(ref, slot);
                }
            }
            checkCapacity();
            return;
        }
        List<Long> cleared = new ArrayList<>();
        for (long loc : table.locations()) {
            RecordRef ref = table.record(loc);
            int slot = EntryTable.slotOf(loc);
            long revision = ref.revision(slot);
            if (revision < clearSeq) {
                cleared.add(loc);
                continue;
            }
            boolean removal = ref.is(slot, RecordRef.REMOVAL);
            if (!supersededUpTo.isEmpty()) {
                EntryKey key = new EntryKey(ref.namespace(slot), table.name(ref, slot));
                Long superseded = supersededUpTo.get(key);
                if (superseded != null && superseded >= revision) {
                    // A newer write was durable (it marked this version) but is no longer readable: never serve the older one.
                    ref.set(slot, RecordRef.SUPERSEDED);
                    problems.add(key.namespace().id() + " entry \"" + Names.display(key.name()) + "\" revision " + revision
                            + " was superseded by a write that is no longer readable; reads report it as corrupted");
                    if (removal) {
                        damage.lostNewer.put(key, revision);
                    } else {
                        ref.set(slot, RecordRef.DAMAGED);
                    }
                }
            }
            if (!removal) {
                current.used += ref.charge(slot);
                current.entryCount++;
                if (ref.is(slot, RecordRef.DAMAGED)) {
                    reportDamagedValue(ref, slot);
                }
                if (!damage.damagedNames.isEmpty()) {
                    int code = ref.namespaceCode(slot);
                    long id = DamageLog.damagedId(code, Checksums.nameCrc(code, table.name(ref, slot)));
                    Long damagedRevision = damage.damagedNames.get(id);
                    if (damagedRevision != null && damagedRevision < revision) {
                        damage.damagedNames.remove(id);
                    }
                }
            }
        }
        for (long loc : cleared) {
            table.remove(loc);
        }
        checkCapacity();
    }

    /** Registers the entries of a complete record the walk parsed (a batch, or a single record with a damaged copy). */
    private void registerEntries(MountScan.Scanned s) {
        int count = s.count();
        RecordRef ref = s.ref;
        ref.entries(count);
        byte[] markers = null;
        int markerAt = ref.markerAt(layout);
        if (markerAt >= 0) {
            markers = new byte[(count + 7) / 8];
            map.get(markerAt, markers);
        }
        long nameAt = layout.phys(s.pos) + s.header.namesAt();
        long valueAt = nameAt;
        for (int i = 0; i < count; i++) {
            valueAt += MountScan.Scanned.nameLength(s.fields(i));
        }
        table.register(ref);
        for (int i = 0; i < count; i++) {
            long fields = s.fields(i);
            long crcs = s.crcs(i);
            long revision = s.revision(i);
            int code = MountScan.Scanned.namespaceCode(fields);
            int nameLength = MountScan.Scanned.nameLength(fields);
            int valueLength = MountScan.Scanned.valueLength(fields);
            int valueCrc = MountScan.Scanned.valueCrc(crcs);
            boolean removal = MountScan.Scanned.removal(fields);
            boolean known = known(code);
            boolean nameOk = known && checks.nameCrc(code, (int) nameAt, nameLength) == MountScan.Scanned.nameCrc(crcs);
            // The hash of the name just read, which the table files the entry by.
            int hash = nameOk ? checks.lastNameHash(code, nameLength) : 0;
            boolean valueOk = removal ? valueLength == 0 : checks.valueCrc(valueAt, valueLength) == valueCrc;
            ref.entry(i, code, MountScan.Scanned.format(fields), nameAt, nameLength, valueAt, valueLength, revision,
                    valueCrc, (nameOk ? RecordRef.NAMED : 0) | (removal ? RecordRef.REMOVAL : 0)
                            | (valueOk ? RecordRef.VERIFIED : RecordRef.DAMAGED) | RecordRef.REPORTED);
            if (!valueOk) {
                damagedValues.add(ref.loc(i));
            }
            boolean superseded = markers != null && (markers[i >> 3] & (1 << (i & 7))) == 0;
            if (superseded && nameOk) {
                supersededUpTo.merge(new EntryKey(ref.namespace(i), table.name(ref, i)), revision, Math::max);
            }
            if (nameOk) {
                table.offer(ref, i, hash);
            } else if (known) {
                damaged.add(new Unnamed(ref, i, MountScan.Scanned.nameCrc(crcs)));
            } else {
                damage.problems.add("entry at revision " + revision + " has an unknown namespace code " + code + "; skipped");
            }
            nameAt += nameLength;
            valueAt += valueLength;
        }
    }

    private void reportDamagedValue(RecordRef ref, int slot) {
        damage.problems.add(ref.namespace(slot).id() + " entry \"" + Names.display(table.name(ref, slot)) + "\" revision "
                + ref.revision(slot) + ": its value fails its checksum; reads report it as corrupted");
    }

    private void checkCapacity() {
        if (current.used > layout.capacity) {
            damage.problems.add("the partition counts " + current.used + " bytes (names, values and "
                    + LogFormat.ENTRY_CHARGE + " bytes an entry), more than its configured capacity of " + layout.capacity);
        }
    }

    /** Namespace codes this build knows, by code. */
    private static final boolean[] KNOWN = new boolean[256];

    static {
        for (Namespace namespace : Namespace.values()) {
            KNOWN[namespace.code()] = true;
        }
    }

    static boolean known(int namespaceCode) {
        return namespaceCode >= 0 && namespaceCode < KNOWN.length && KNOWN[namespaceCode];
    }

    /** Names an entry whose stored name is damaged by its CRC, if a known name matches; else records it as an orphan. */
    private void identifyDamagedNames(List<Unnamed> damaged, long clearSeq) {
        for (Unnamed d : damaged) {
            RecordRef ref = d.ref();
            int slot = d.slot();
            long revision = ref.revision(slot);
            if (revision < clearSeq) {
                continue;
            }
            int code = ref.namespaceCode(slot);
            long match = 0;
            for (long candidate : table.locations()) {
                RecordRef other = table.record(candidate);
                int otherSlot = EntryTable.slotOf(candidate);
                if (other.namespaceCode(otherSlot) == code && other.revision(otherSlot) >= clearSeq
                        && Checksums.nameCrc(code, table.name(other, otherSlot)) == d.nameCrc()) {
                    match = candidate;
                    break;
                }
            }
            Namespace namespace = ref.namespace(slot);
            if (match != 0) {
                RecordRef other = table.record(match);
                int otherSlot = EntryTable.slotOf(match);
                String name = table.name(other, otherSlot);
                table.renamed.put(ref.loc(slot), name);
                ref.set(slot, RecordRef.NAMED | RecordRef.RENAMED);
                if (revision > other.revision(otherSlot)) {
                    table.put(ref.loc(slot));
                }
                damage.problems.add(namespace.id() + " entry \"" + Names.display(name) + "\" revision " + revision
                        + ": its stored name is damaged; identified by the name's checksum");
            } else {
                long id = DamageLog.damagedId(code, d.nameCrc());
                damage.damagedNames.merge(id, revision, Math::max);
                damage.orphans.put(ref.loc(slot), id);
                damage.problems.add(namespace.id() + " entry at revision " + revision
                        + " has a damaged name; reads of that name report it as corrupted");
            }
        }
    }

    /** Whether any entry of an incomplete record would have been the newest version of its name. */
    private boolean mattered(MountScan.Scanned s) {
        long at = layout.phys(s.pos) + s.header.namesAt();
        for (int i = 0; i < s.count(); i++) {
            long fields = s.fields(i);
            int code = MountScan.Scanned.namespaceCode(fields);
            int nameLength = MountScan.Scanned.nameLength(fields);
            int nameAt = (int) at;
            at += nameLength;
            if (!known(code) || checks.nameCrc(code, nameAt, nameLength) != MountScan.Scanned.nameCrc(s.crcs(i))) {
                return true;
            }
            long newest = table.current(code, nameAt, nameLength);
            if (newest == 0 || table.record(newest).revision(EntryTable.slotOf(newest)) < s.revision(i)) {
                return true;
            }
        }
        return false;
    }

}
