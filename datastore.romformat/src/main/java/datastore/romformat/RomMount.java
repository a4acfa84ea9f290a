package datastore.romformat;

import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;

import datastore.CorruptedEntryException;
import datastore.Namespace;
import datastore.spi.RomInfo.SignatureState;

/**
 * What a {@link RomStore} serves: the application image of the newest commit record that verifies
 * (or none) and the unique-per-dock (UPD) section with its second copy, each with the problems the
 * mount found. Immutable; a replace swaps it whole.
 */
record RomMount(int slot, long generation, RomImage app, SignatureState signature, List<String> appProblems,
        RomImage upd, RomImage updCopy, List<String> updProblems) {
    private static final System.Logger LOG = System.getLogger(RomStore.class.getName());

    /**
     * Chooses what to serve: the newest committed application image that reads, matches its record
     * and passes {@code admission}, and the UPD section if it verifies. A refused image is a problem
     * reported, not a failure.
     */
    static RomMount mount(ByteBuffer map, RomLayout layout, RomCommitArea commits, RomAdmission admission,
            long newestAccepted) {
        RomCommitArea.Scan scan = commits.scan();
        List<String> problems = new ArrayList<>();
        RomMount chosen = null;
        for (RomCommitArea.Placed placed : scan.records()) {
            CommitRecord record = placed.record();
            try {
                RomImage image = RomImage.read(map, layout.slotOffset(record.slot()), layout.slotImageRoom(),
                        RomImageFormat.KIND_APPLICATION, layout.slotCopyOffset(record.slot()), record.digest());
                if (image.length() != record.imageLength() || !Arrays.equals(image.digest(), record.digest())) {
                    throw new RomImageException("the slot holds an image of " + image.length() + " bytes with digest "
                            + image.digestHex() + ", not the committed " + record.imageLength() + " bytes with digest "
                            + RomImageFormat.hex(record.digest()));
                }
                SignatureState signature = admission.checkSignature(image);
                admission.checkGeneration(image, newestAccepted);
                chosen = new RomMount(record.slot(), record.generation(), image, signature, List.of(), null, null,
                        List.of());
                break;
            } catch (RomImageException e) {
                problems.add("application image generation " + record.generation() + " in slot " + record.slot()
                        + " refused: " + e.getMessage());
            }
        }
        if (!problems.isEmpty()) {
            problems.add(chosen == null ? "no committed application image verifies; the ROM serves no application data"
                    : "serving the older generation " + chosen.generation() + " from slot " + chosen.slot());
        }
        RomImage upd = null;
        List<String> updProblems = new ArrayList<>();
        long updOffset = layout.updOffset();
        long updCopy = layout.updCopyOffset();
        // The copy is looked at too: a whole erased first block of the section leaves only the copy.
        if (!RomImage.isErased(map, updOffset) || updCopy >= 0 && !RomImage.isErased(map, updCopy)) {
            try {
                upd = RomImage.read(map, updOffset, layout.updImageRoom(), RomImageFormat.KIND_UPD, updCopy, null);
                admission.checkSignature(upd);
                admission.checkDock(upd);
            } catch (RomImageException e) {
                upd = null;
                updProblems.add("unique-per-dock section refused, its data is not served: " + e.getMessage());
            }
        }
        RomImage updSecond = null;
        if (upd != null && updCopy >= 0) {
            // The whole copy, checked against the same digest: a page damaged in one is read from the other.
            try {
                updSecond = RomImage.read(map, updCopy, layout.updImageRoom(), RomImageFormat.KIND_UPD, updOffset,
                        upd.digest());
            } catch (RomImageException e) {
                updProblems.add("the copy of the unique-per-dock section at region offset " + updCopy + " is damaged ("
                        + e.getMessage() + "); the first copy is served");
            }
        }
        for (String problem : problems) {
            LOG.log(Level.ERROR, "ROM: " + problem);
        }
        for (String problem : updProblems) {
            LOG.log(Level.ERROR, "ROM: " + problem);
        }
        if (chosen == null) {
            return new RomMount(0, 0, null, SignatureState.UNSIGNED, List.copyOf(problems), upd, updSecond,
                    List.copyOf(updProblems));
        }
        return new RomMount(chosen.slot(), chosen.generation(), chosen.app(), chosen.signature(),
                List.copyOf(problems), upd, updSecond, List.copyOf(updProblems));
    }

    /** This mount with {@code app} served from {@code slot} as {@code generation}; the UPD section unchanged. */
    RomMount withApplication(int slot, long generation, RomImage app, SignatureState signature) {
        return new RomMount(slot, generation, app, signature, List.of(), upd, updCopy, updProblems);
    }

    /** Payload bytes of the application image and the UPD section served. */
    long payload() {
        return (app == null ? 0 : app.payload()) + (upd == null ? 0 : upd.payload());
    }

    /** Pages of the served images hashed so far. */
    int verifiedPages() {
        return (app == null ? 0 : app.verifiedPages()) + (upd == null ? 0 : upd.verifiedPages());
    }

    /** Every problem known so far: the mount's refusals and the damage found in the images since. */
    List<String> problems() {
        List<String> problems = new ArrayList<>(appProblems);
        if (app != null) {
            problems.addAll(app.problems());
        }
        problems.addAll(updProblems);
        if (upd != null) {
            problems.addAll(upd.problems());
        }
        if (updCopy != null) {
            problems.addAll(updCopy.problems());
        }
        return problems;
    }

    /** The names in a namespace of the UPD section (either copy), sorted; unmodifiable. */
    List<String> uniquePerDockNames(Namespace namespace) {
        TreeSet<String> names = new TreeSet<>();
        if (upd != null) {
            names.addAll(upd.names(namespace));
        }
        if (updCopy != null) {
            names.addAll(updCopy.names(namespace));
        }
        return List.copyOf(names);
    }

    /** The names in a namespace, UPD and application together, sorted; unmodifiable. */
    List<String> names(Namespace namespace) {
        if (upd == null) {
            return app == null ? List.of() : app.names(namespace);
        }
        if (app == null && updCopy == null) {
            return upd.names(namespace);
        }
        TreeSet<String> names = new TreeSet<>(upd.names(namespace));
        if (app != null) {
            names.addAll(app.names(namespace));
        }
        if (updCopy != null) {
            names.addAll(updCopy.names(namespace));
        }
        return List.copyOf(names);
    }

    /** A name's record in the UPD section: the copy that answers soundly, and the record in it. */
    record UpdEntry(RomImage image, int record) {
    }

    /**
     * Looks a name up in the UPD section: in its first copy, or in the second where the first cannot
     * answer soundly (a damaged index or data page).
     *
     * @return the entry, or null when the section is absent or holds no such name
     * @throws CorruptedEntryException if neither copy can answer soundly
     */
    UpdEntry uniquePerDock(Namespace namespace, String name) {
        RomImage section = upd;
        if (section == null) {
            return null;
        }
        int code = namespace.code();
        int r = section.lookup(code, name);
        if (r == RomImage.DAMAGED || r >= 0 && !section.dataSound(r)) {
            RomImage copy = updCopy;
            int c = copy == null ? RomImage.DAMAGED : copy.lookup(code, name);
            if (c == RomImage.ABSENT || c >= 0 && copy.dataSound(c)) {
                section = copy;
                r = c;
            } else if (r == RomImage.DAMAGED) {
                throw section.refuse(namespace, name, "unique-per-dock index record or a hash table slot before it");
            } else {
                throw section.refuse(namespace, name, "unique-per-dock bytes");
            }
        }
        return r >= 0 ? new UpdEntry(section, r) : null;
    }
}
