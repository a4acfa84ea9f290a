package datastore.romformat;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.PublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.concurrent.locks.LockSupport;

import datastore.CorruptedEntryException;
import datastore.Namespace;
import datastore.Partitions;
import datastore.flash.FlashRegion;
import datastore.flash.RollbackIndex;
import datastore.image.ImageFormat;
import datastore.spi.InvalidRomContentException;
import datastore.spi.EntryView;
import datastore.spi.PartitionUsage;
import datastore.spi.RomContent;
import datastore.spi.RomInfo;
import datastore.spi.RomInfo.SignatureState;

/**
 * The ROM engine on a flash region laid out by {@link RomLayout}: mounts the newest committed
 * application image that verifies plus the unique-per-dock (UPD) section, serves entries as slices
 * of the region's memory map, and replaces the application image atomically by writing the slot not
 * being served and then appending a {@link CommitRecord}. Mounting reads the commit records and
 * checks the header and page table of the chosen image (a few kilobytes per 4 MiB of image, whatever
 * the entry count); lookups go through the image's on-flash hash table, and each page is hashed
 * before its bytes are first served. Reads take no lock. UPD entries win over application entries
 * of the same namespace and name. Thread-safe; replaces are serialized.
 */
public final class RomStore {
    private static final System.Logger LOG = System.getLogger(RomStore.class.getName());
    /** UPD entries' revisions: above every application revision, which is generation &lt;&lt; 32 | entry. */
    private static final long UPD_REVISION = 1L << 62;

    /**
     * Each thread's window on the image map it last read a value from: {@code [map, view]}, where
     * {@code view} is a read-only duplicate of {@code map}, repositioned for every read, and null
     * while a decoder runs on it. A value read allocates only what its decoder makes; a slice per
     * read cost 64 bytes. The array holds JDK types only, so no class of this bundle outlives it in
     * a long-lived thread; the duplicate keeps the map's memory reachable until the thread reads
     * from another map or ends.
     */
    private static final ThreadLocal<ByteBuffer[]> WINDOW = ThreadLocal.withInitial(() -> new ByteBuffer[2]);

    private final RomLayout layout;
    private final long capacity;
    /** The keys, dock id and rollback index images are checked against. */
    private final RomAdmission admission;
    private final RomCommitArea commits;
    private final long pinWaitNanos;
    private final ByteBuffer map;
    /** Open views per slot; a replace erases a slot only while its count is zero. */
    private final AtomicInteger[] pins = {new AtomicInteger(), new AtomicInteger()};
    private final Object replaceLock = new Object();
    private volatile RomMount mounted;

    /**
     * Mounts the ROM of {@code region}. A damaged or refused image does not fail the mount: the store
     * serves the newest image that verifies (or nothing) and reports the problem in {@link #info()}.
     *
     * @param capacity payload bytes promised (application plus UPD)
     * @param publicKey the key images must be signed with, or null to accept unsigned images
     * @param pinWait how long a replace waits for open views of the slot it overwrites to close
     * @throws IllegalArgumentException if the region is too small for a ROM, or cannot hold the capacity
     * @throws RomRegionRefusedException if the region holds a ROM written for another geometry or place,
     *         a newer format, or foreign bytes; nothing was written
     * @throws IOException if the region cannot be mapped
     */
    public RomStore(FlashRegion region, long capacity, PublicKey publicKey, Duration pinWait) throws IOException {
        this(region, capacity, publicKey == null ? List.of() : List.of(publicKey), null, null, pinWait);
    }

    /**
     * Mounts the ROM of {@code region} for a dock that accepts images signed with any of
     * {@code publicKeys}. With keys, a signed application image whose signed generation is older than
     * the rollback index is refused, the index advances to the generation served, and a UPD section
     * must be bound to {@code dockId}. Without keys, neither is checked, as for the constructor above.
     *
     * @param publicKeys the keys images must be signed with (any of them), or empty to accept unsigned images
     * @param dockId this dock's id, which a signed UPD section must carry; null or blank: not checked
     * @param rollbackIndex the device's rollback index, or null: signed generations are not checked
     * @throws IllegalArgumentException as above
     * @throws RomRegionRefusedException as above
     * @throws IOException if the region cannot be mapped, or the rollback index cannot be read or advanced
     */
    public RomStore(FlashRegion region, long capacity, List<PublicKey> publicKeys, String dockId,
            RollbackIndex rollbackIndex, Duration pinWait) throws IOException {
        ByteBuffer mapped = region.map();
        this.map = mapped.isReadOnly() ? mapped : mapped.asReadOnlyBuffer();
        RomRegionCheck.Verdict verdict = RomRegionCheck.examine(region, map);
        if (verdict.refusal() != null) {
            throw new RomRegionRefusedException(verdict.refusal());
        }
        this.layout = verdict.layout();
        long room = RomImageFormat.roomFor(layout.slotImageRoom());
        if (capacity <= 0 || capacity > room) {
            throw new IllegalArgumentException("a ROM capacity of " + capacity + " payload bytes does not fit "
                    + region.name() + " region " + region.geometry() + ": its slots of " + layout.slotSize()
                    + " bytes (" + layout.slotImageRoom() + " for the image beside the copy of its header and page "
                    + "table) hold at most " + room + " payload bytes");
        }
        this.capacity = capacity;
        this.admission = new RomAdmission(publicKeys, dockId, rollbackIndex);
        this.commits = new RomCommitArea(region, layout, map);
        this.pinWaitNanos = pinWait.toNanos();
        RollbackIndex accepted = admission.rollbackIndex();
        this.mounted = RomMount.mount(map, layout, commits, admission, accepted == null ? 0 : accepted.highest());
        RomMount m = mounted;
        if (accepted != null && m.app() != null) {
            // What is served is committed and durable: no older image may be served from now on.
            try {
                accepted.advance(m.app().signedGeneration());
            } catch (IOException e) {
                // Serving stays safe (the image passed the index as it is); only a later rollback check is weaker.
                LOG.log(Level.ERROR, "ROM: the rollback index could not be advanced to the served signed generation "
                        + m.app().signedGeneration() + " (" + e.getMessage() + "); it is retried at the next mount");
            }
        }
    }

    /**
     * Why the ROM region cannot be mounted or written as it is, if it cannot: read-only, so a refused
     * region is left byte for byte as it was.
     *
     * @throws IOException if the region cannot be mapped
     */
    public static Optional<String> refusal(FlashRegion region) throws IOException {
        return Optional.ofNullable(RomRegionCheck.examine(region, region.map()).refusal());
    }

    /**
     * Erases every block of the region, destroying whatever it held: the explicit act that makes a
     * refused region usable. It then mounts as a fresh, empty ROM.
     *
     * @throws IOException if an erase or the sync fails
     */
    public static void format(FlashRegion region) throws IOException {
        for (int block = 0; block < region.geometry().blocks(); block++) {
            region.erase(block);
        }
        region.sync();
        LOG.log(Level.WARNING, "ROM: formatted the " + region.name() + " region (" + RomIdentity.of(region)
                + "): every block erased");
    }

    /** The signed generation of the application image served (0 for none, or one that is not bound). */
    public long signedGeneration() {
        RomImage app = mounted.app();
        return app == null ? 0 : app.signedGeneration();
    }

    /** The region's layout. */
    public RomLayout layout() {
        return layout;
    }

    /**
     * Opens an entry: the UPD section's if it has one, else the application image's. Lock-free: one
     * hash table search per image, a pin counter for the application slot, one object for the view.
     *
     * @throws CorruptedEntryException if a page holding the entry's record or bytes fails its hash;
     *         they are never served
     */
    public Optional<EntryView> open(Namespace namespace, String name) {
        RomMount m = mounted;
        int code = namespace.code();
        RomMount.UpdEntry hit = m.uniquePerDock(namespace, name);
        if (hit != null) {
            RomImage upd = hit.image();
            int r = hit.record();
            // The UPD section is never rewritten while the dock runs, so its views pin nothing.
            return Optional.of(new RomEntryView(namespace, name, upd.formatAt(r), UPD_REVISION | upd.positionOf(r),
                    upd.map(), upd.dataOffsetAt(r), upd.dataLengthAt(r), null));
        }
        while (true) {
            RomImage app = m.app();
            if (app == null) {
                return Optional.empty();
            }
            AtomicInteger pin = pins[m.slot()];
            pin.incrementAndGet();
            // A replace publishes the new image before it waits for the other slot's pins: if it has
            // moved on since m was read, this slot may be about to be erased, so back out and retry.
            if (mounted != m) {
                pin.decrementAndGet();
                m = mounted;
                continue;
            }
            boolean handedOut = false;
            try {
                int r = app.lookup(code, name);
                if (r == RomImage.ABSENT) {
                    return Optional.empty();
                }
                if (r == RomImage.DAMAGED) {
                    throw app.refuse(namespace, name, "index record in application image generation " + m.generation()
                            + " or a hash table slot before it");
                }
                if (!app.dataSound(r)) {
                    throw app.refuse(namespace, name, "bytes in application image generation " + m.generation());
                }
                RomEntryView view = new RomEntryView(namespace, name, app.formatAt(r),
                        m.generation() << 32 | app.positionOf(r), app.map(), app.dataOffsetAt(r), app.dataLengthAt(r),
                        pin);
                handedOut = true;
                return Optional.of(view);
            } finally {
                if (!handedOut) {
                    pin.decrementAndGet();
                }
            }
        }
    }

    /**
     * Decodes an entry's value without a view, as {@link #readOrNull} does.
     *
     * @throws CorruptedEntryException if a page holding the entry's record or bytes fails its hash
     * @throws NullPointerException if the decoder returns null
     */
    public <T> Optional<T> read(Namespace namespace, String name, Function<ByteBuffer, T> decoder) {
        return Optional.ofNullable(readOrNull(namespace, name, decoder));
    }

    /**
     * Decodes an entry's value without a view: the same search and checks as {@link #open}, the
     * application slot pinned only while {@code decoder} runs on a read-only buffer over the map
     * whose position and limit bound the value (not a slice: its position need not be zero).
     *
     * @return the decoded value, or null if the entry is absent
     * @throws CorruptedEntryException if a page holding the entry's record or bytes fails its hash
     * @throws NullPointerException if the decoder returns null
     */
    public <T> T readOrNull(Namespace namespace, String name, Function<ByteBuffer, T> decoder) {
        RomMount m = mounted;
        int code = namespace.code();
        RomMount.UpdEntry hit = m.uniquePerDock(namespace, name);
        if (hit != null) {
            RomImage upd = hit.image();
            return decoded(decoder, upd.map(), upd.dataOffsetAt(hit.record()), upd.dataLengthAt(hit.record()));
        }
        while (true) {
            RomImage app = m.app();
            if (app == null) {
                return null;
            }
            AtomicInteger pin = pins[m.slot()];
            pin.incrementAndGet();
            try {
                // As in open: a replace that moved on since m was read may be erasing this slot.
                if (mounted != m) {
                    m = mounted;
                    continue;
                }
                int r = app.lookup(code, name);
                if (r == RomImage.ABSENT) {
                    return null;
                }
                if (r == RomImage.DAMAGED) {
                    throw app.refuse(namespace, name, "index record in application image generation " + m.generation()
                            + " or a hash table slot before it");
                }
                if (!app.dataSound(r)) {
                    throw app.refuse(namespace, name, "bytes in application image generation " + m.generation());
                }
                return decoded(decoder, app.map(), app.dataOffsetAt(r), app.dataLengthAt(r));
            } finally {
                pin.decrementAndGet();
            }
        }
    }

    /**
     * Runs the decoder on the bytes {@code [offset, offset + length)} of an image's read-only map,
     * through the thread's {@link #WINDOW} when it is free, else through a slice of its own.
     */
    private static <T> T decoded(Function<ByteBuffer, T> decoder, ByteBuffer map, int offset, int length) {
        ByteBuffer[] window = WINDOW.get();
        ByteBuffer source = window[0];
        ByteBuffer view = window[1];
        if (source != null && view == null) {
            // The window is in use by a read further up this thread's stack (a decoder that reads).
            return Objects.requireNonNull(decoder.apply(map.slice(offset, length)), "the decoder returned null");
        }
        if (source != map) {
            view = map.duplicate();
            window[0] = map;
        }
        window[1] = null;
        try {
            // Set afresh, so that nothing an earlier decoder left on it (a mark, the byte order) carries over.
            view.clear().limit(offset + length).position(offset).order(ByteOrder.BIG_ENDIAN);
            return Objects.requireNonNull(decoder.apply(view), "the decoder returned null");
        } finally {
            window[1] = view;
        }
    }

    /**
     * Whether {@link #open} might find the entry or report it damaged: a probe of the served images'
     * on-flash hash tables (the UPD section's, then the application image's), with no heap structure
     * of its own and no allocation for an ASCII name. It answers {@code false} only when both searches
     * came out absent, on the images served at one instant during the call; a damaged table or record
     * answers {@code true}, so that the read reports the damage.
     */
    public boolean mayContain(Namespace namespace, String name) {
        RomMount m = mounted;
        int code = namespace.code();
        RomImage upd = m.upd();
        if (upd != null && upd.lookup(code, name) != RomImage.ABSENT) {
            return true; // present, or damaged: the read decides (and may consult the second copy)
        }
        while (true) {
            RomImage app = m.app();
            if (app == null) {
                return false;
            }
            AtomicInteger pin = pins[m.slot()];
            pin.incrementAndGet();
            try {
                // As in open: a replace that moved on since m was read may be erasing this slot.
                if (mounted != m) {
                    m = mounted;
                    continue;
                }
                return app.lookup(code, name) != RomImage.ABSENT;
            } finally {
                pin.decrementAndGet();
            }
        }
    }

    /** Pages of the served images hashed so far: what reading has cost in checking (mounting hashes none). */
    public int verifiedPages() {
        return mounted.verifiedPages();
    }

    /** The names in a namespace of the unique-per-dock section (either copy), sorted; unmodifiable. */
    public List<String> uniquePerDockNames(Namespace namespace) {
        return mounted.uniquePerDockNames(namespace);
    }

    /** The names in a namespace, UPD and application together, sorted; unmodifiable. */
    public List<String> names(Namespace namespace) {
        return mounted.names(namespace);
    }

    /** Capacity, payload of both images, and the visible entries per namespace. */
    public PartitionUsage usage() {
        RomMount m = mounted;
        Map<Namespace, Integer> entries = new EnumMap<>(Namespace.class);
        for (Namespace namespace : Namespace.values()) {
            entries.put(namespace, names(namespace).size());
        }
        return new PartitionUsage(Partitions.ROM, capacity, m.payload(), entries);
    }

    /** What is served, with every problem known so far (mount refusals and corrupted entries found). */
    public RomInfo info() {
        RomMount m = mounted;
        List<String> problems = m.problems();
        return new RomInfo(m.slot(), m.generation(), m.app() == null ? "" : m.app().digestHex(), m.signature(),
                m.payload(), capacity,
                problems.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", problems)));
    }

    /**
     * Hashes every served entry not yet checked, so corruption is reported even in entries nobody
     * reads; returns the problems known afterwards. Stops early, leaving the rest to be checked as it
     * is read, if the calling thread is interrupted.
     */
    public List<String> verifyAll() {
        RomMount m = mounted;
        List<String> found = new ArrayList<>();
        if (m.app() != null) {
            m.app().checkCopy(layout.slotCopyOffset(m.slot()), layout.slotImageRoom());
            found.addAll(m.app().verifyAll());
        }
        if (m.upd() != null) {
            found.addAll(m.upd().verifyAll());
        }
        if (m.updCopy() != null) {
            found.addAll(m.updCopy().verifyAll());
        }
        for (String problem : found) {
            LOG.log(Level.ERROR, "ROM: " + problem);
        }
        return Collections.unmodifiableList(found);
    }

    /**
     * Validates {@code content}, writes it as a new application image into the slot not being served,
     * and commits it: entirely the old or entirely the new image is the ROM after a power cut at any
     * point. Views opened before stay valid (their slot is untouched); their entries' revisions change.
     *
     * @param formats validates the content's images
     * @throws datastore.spi.InvalidRomContentException listing every problem; nothing was written
     * @throws RomReplaceException if images must be signed, the target slot stays pinned by open views
     *         longer than the configured wait, or the flash fails; the ROM is as it was
     */
    public RomInfo replace(RomContent content, ImageFormat formats) {
        synchronized (replaceLock) {
            RomMount current = mounted;
            if (admission.requiresSignature()) {
                throw new RomReplaceException("this dock accepts only ROM images signed with its public key, and a "
                        + "development replace cannot sign; build a signed image with the ROM tools instead");
            }
            RomImageBuilder builder = new RomImageBuilder(formats, capacity, layout);
            byte[] image = builder.buildApplication(content, current.upd() == null ? 0 : current.upd().payload());
            return commitImage(current, image, SignatureState.UNSIGNED);
        }
    }

    /**
     * Writes {@code image}, a whole application image signed with one of this dock's keys (as the ROM
     * tools build it), into the slot not being served and commits it, like {@link #replace}; then
     * advances the rollback index to its signed generation. Refused, with nothing written, when the
     * image does not read as an application image of this region's format, does not fit, is not
     * signed with an accepted key, or is older than the rollback index (a rollback).
     *
     * @throws InvalidRomContentException naming field {@code image} and why it is refused; the ROM is as it was
     * @throws RomReplaceException if open views pin the slot or the flash fails; the ROM is as it was
     */
    public RomInfo install(byte[] image) {
        synchronized (replaceLock) {
            RomMount current = mounted;
            RomImage candidate;
            try {
                if (image.length > layout.slotImageRoom()) {
                    throw new RomImageException("its " + image.length + " bytes exceed the " + layout.slotImageRoom()
                            + " bytes a slot of this region takes");
                }
                candidate = RomImage.read(ByteBuffer.wrap(image).asReadOnlyBuffer(), 0, image.length,
                        RomImageFormat.KIND_APPLICATION);
                if (candidate.length() != image.length || candidate.version() != layout.formatVersion()) {
                    throw new RomImageException("it is an image of format " + candidate.version() + " and "
                            + candidate.length() + " bytes in " + image.length + " bytes; this region takes format "
                            + layout.formatVersion() + ", one image exactly");
                }
                List<String> damaged = candidate.verifyAll();
                if (!damaged.isEmpty()) {
                    throw new RomImageException(String.join("; ", damaged));
                }
                long updPayload = current.upd() == null ? 0 : current.upd().payload();
                if (candidate.payload() + updPayload > capacity) {
                    throw new RomImageException("its " + candidate.payload() + " payload bytes and the " + updPayload
                            + " of the unique-per-dock section exceed the capacity of " + capacity);
                }
                admission.checkSignature(candidate);
                RollbackIndex accepted = admission.rollbackIndex();
                admission.checkGeneration(candidate, accepted == null ? 0 : accepted.highest());
            } catch (RomImageException | IOException e) {
                throw new InvalidRomContentException(List.of(new InvalidRomContentException.Problem("image",
                        "the ROM image is refused: " + e.getMessage() + "; the ROM still serves generation "
                                + current.generation())));
            }
            RomInfo info = commitImage(current, image, candidate.signed() && admission.requiresSignature()
                    ? SignatureState.VERIFIED : SignatureState.UNSIGNED);
            RollbackIndex rollbackIndex = admission.rollbackIndex();
            if (rollbackIndex != null) {
                try {
                    // After the commit is durable: a cut before this leaves the index lower, never the image unserved.
                    rollbackIndex.advance(candidate.signedGeneration());
                } catch (IOException e) {
                    throw new RomReplaceException("the ROM image generation " + candidate.signedGeneration()
                            + " is committed and served, but the rollback index could not be advanced to it ("
                            + e.getMessage() + "); it advances at the next start", e);
                }
            }
            return info;
        }
    }

    private RomInfo commitImage(RomMount current, byte[] image, SignatureState signature) {
        int target = current.app() == null ? 0 : 1 - current.slot();
        awaitUnpinned(target, current);
        try {
            commits.claim(current);
            commits.writeSlot(target, image);
            RomCommitArea.Scan scan = commits.scan();
            long generation = Math.max(scan.maxGeneration(), current.generation()) + 1;
            commits.append(scan, current, new CommitRecord(target, generation, image.length,
                    RomImageFormat.digestOf(image), commits.identity()));
            RomImage fresh = RomImage.read(map, layout.slotOffset(target), layout.slotImageRoom(),
                    RomImageFormat.KIND_APPLICATION, layout.slotCopyOffset(target), RomImageFormat.digestOf(image));
            RomMount next = current.withApplication(target, generation, fresh, signature);
            mounted = next;
            LOG.log(Level.DEBUG, "ROM replaced: generation " + generation + " in slot " + target + ", "
                    + fresh.pageCount() + " pages, " + fresh.payload() + " payload bytes");
            return info();
        } catch (IOException e) {
            throw new RomReplaceException("writing the new ROM image to slot " + target + " failed ("
                    + e.getMessage() + "); the ROM still serves generation " + current.generation(), e);
        } catch (RomImageException e) {
            throw new RomReplaceException("the new ROM image in slot " + target + " does not read back: "
                    + e.getMessage(), e);
        }
    }

    private void awaitUnpinned(int slot, RomMount current) {
        // Readers pin first and then check that what they read is still served (see open), so once
        // the served image is another slot's, a zero count here stays zero for this slot.
        long deadline = System.nanoTime() + pinWaitNanos;
        while (pins[slot].get() > 0) {
            if (System.nanoTime() - deadline >= 0) {
                throw new RomReplaceException("slot " + slot + " of the ROM is still read through " + pins[slot].get()
                        + " open view(s) of an earlier generation after " + TimeUnit.NANOSECONDS.toMillis(pinWaitNanos)
                        + " ms; close them and retry. The ROM still serves generation " + current.generation());
            }
            LockSupport.parkNanos(Math.min(1_000_000L, Math.max(1, deadline - System.nanoTime())));
            if (Thread.interrupted()) {
                Thread.currentThread().interrupt();
                throw new RomReplaceException("interrupted while waiting for views of slot " + slot + " to close; the "
                        + "ROM still serves generation " + current.generation());
            }
        }
    }
}
