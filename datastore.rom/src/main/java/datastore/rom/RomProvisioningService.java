package datastore.rom;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

import org.osgi.service.event.Event;
import org.osgi.service.event.EventAdmin;

import datastore.ChangeEvents;
import datastore.Namespace;
import datastore.Partitions;
import datastore.ReadOnlyPartitionException;
import datastore.image.ImageFormat;
import datastore.romformat.RomReplaceException;
import datastore.romformat.RomStore;
import datastore.spi.RomContent;
import datastore.spi.RomInfo;
import datastore.spi.RomProvisioning;

/**
 * Development replaces of the application ROM store, over the partition's {@link RomStore}. The
 * partition registers it only in development mode; an instance reached in production refuses every
 * replace, so no path writes the ROM there. A replace posts the store's change events
 * ({@link ChangeEvents}, partition {@code rom}) for every key, image and code it changed, like any
 * other write, so the dev console refreshes and the application learns that its code changed.
 */
final class RomProvisioningService implements RomProvisioning {
    private final RomStore store;
    private final Supplier<ImageFormat> formats;
    private final boolean development;
    private final Supplier<EventAdmin> events;

    RomProvisioningService(RomStore store, Supplier<ImageFormat> formats, boolean development) {
        this(store, formats, development, () -> null);
    }

    /** @param events where the change events of a replace are posted; it may supply null (none posted) */
    RomProvisioningService(RomStore store, Supplier<ImageFormat> formats, boolean development,
            Supplier<EventAdmin> events) {
        this.store = store;
        this.formats = formats;
        this.development = development;
        this.events = events;
    }

    /** One entry of the ROM: its namespace and name. */
    record EntryKey(Namespace namespace, String name) {
    }

    /** A digest of every entry the ROM serves, to tell after a replace what it changed. */
    Map<EntryKey, String> digests() {
        Map<EntryKey, String> digests = new HashMap<>();
        for (Namespace namespace : Namespace.values()) {
            for (String name : store.names(namespace)) {
                store.read(namespace, name, RomProvisioningService::digest)
                        .ifPresent(digest -> digests.put(new EntryKey(namespace, name), digest));
            }
        }
        return digests;
    }

    private static String digest(ByteBuffer data) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(data.duplicate());
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java platform", e);
        }
    }

    /**
     * The change events a replace from {@code before} to {@code after} posts, as every write of the
     * store does ({@link ChangeEvents}): a put for each entry added or changed, a removal for each
     * entry gone, none for an entry whose bytes stayed the same; ordered by namespace and name.
     */
    static List<Event> changes(Map<EntryKey, String> before, Map<EntryKey, String> after) {
        TreeMap<String, Event> events = new TreeMap<>();
        for (Map.Entry<EntryKey, String> entry : after.entrySet()) {
            if (!entry.getValue().equals(before.get(entry.getKey()))) {
                events.put(order(entry.getKey()), event(entry.getKey(), ChangeEvents.PUT));
            }
        }
        for (EntryKey key : before.keySet()) {
            if (!after.containsKey(key)) {
                events.put(order(key), event(key, ChangeEvents.REMOVED));
            }
        }
        return List.copyOf(events.values());
    }

    private static String order(EntryKey key) {
        return key.namespace().id() + "/" + key.name();
    }

    private static Event event(EntryKey key, String change) {
        return new Event(ChangeEvents.topic(key.namespace(), change), Map.of(ChangeEvents.PARTITION, Partitions.ROM,
                ChangeEvents.NAMESPACE, key.namespace().id(), ChangeEvents.NAME, key.name()));
    }

    /** Runs a replace and posts the events for what it changed, once it has succeeded. */
    private synchronized RomInfo replacing(Supplier<RomInfo> replace) {
        EventAdmin admin = events.get();
        Map<EntryKey, String> before = admin == null ? Map.of() : digests();
        RomInfo info = replace.get();
        if (admin != null) {
            changes(before, digests()).forEach(admin::postEvent);
        }
        return info;
    }

    /**
     * {@inheritDoc}
     *
     * @throws RomReplaceException if no image-format service is there to validate images, images must
     *         be signed, open views pin the slot, or the flash fails
     */
    @Override
    public RomInfo replace(RomContent content) {
        if (!development) {
            throw new ReadOnlyPartitionException(Partitions.ROM, null);
        }
        ImageFormat format = formats.get();
        if (format == null) {
            throw new RomReplaceException("no image-format service is available to validate the ROM store's images; "
                    + "deploy the datastore.images bundle");
        }
        return replacing(() -> store.replace(content, format));
    }

    /**
     * {@inheritDoc}
     *
     * @throws RomReplaceException if the image is refused (its format or size, an accepted key's
     *         signature, its signed generation against the rollback index), open views pin the slot, or the
     *         flash fails
     */
    @Override
    public RomInfo install(java.nio.ByteBuffer image) {
        if (!development) {
            throw new ReadOnlyPartitionException(Partitions.ROM, null);
        }
        byte[] bytes = new byte[image.remaining()];
        image.duplicate().get(bytes);
        return replacing(() -> store.install(bytes));
    }

    @Override
    public java.util.List<String> uniquePerDockNames(datastore.Namespace namespace) {
        return store.uniquePerDockNames(namespace);
    }

    @Override
    public RomInfo info() {
        return store.info();
    }
}
