package datastore.devapi;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import datastore.DatastoreException;
import datastore.EntryNotFoundException;
import datastore.ImageInfo;
import datastore.ImageStore;
import datastore.ImageToken;
import datastore.ImageView;
import datastore.KvEntry;
import datastore.KvStore;
import datastore.Names;
import datastore.Namespace;
import datastore.PartitionUnavailableException;
import datastore.Partitions;
import datastore.StaleTokenException;
import datastore.image.ImageType;
import datastore.spi.PartitionUsage;
import datastore.spi.RomProvisioning;
import datastore.system.ApplicationCode;
import datastore.system.ApplicationCodeStore;
import datastore.system.PartitionStatus;
import datastore.system.PartitionRefusal;
import datastore.system.StoreStatus;
import jakarta.servlet.http.HttpServletResponse;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * Read-only views of the store for the browse endpoints and the dev console: the partitions with
 * their ranking and usage (in lookup order, as the store's {@link StoreStatus} reports them), the
 * visible keys and images with the partition each comes from, the application code's origin, and an
 * image's bytes. Every service is optional, so the views work in any product; one partition or entry
 * that fails is reported in its own item without hiding the rest.
 */
@Component(name = StoreBrowser.NAME, service = StoreBrowser.class, enabled = false)
public final class StoreBrowser {

    static final String NAME = "datastore.devapi.browser";

    private static final int IMAGE_OPEN_ATTEMPTS = 3;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile KvStore kvStore;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile ImageStore imageStore;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile ApplicationCodeStore codeStore;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile StoreStatus storeStatus;

    /** Tells which ROM keys are unique-per-dock, so the console can keep their values out of sight. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile RomProvisioning romProvisioning;

    /**
     * Bytes of image copies being sent at once, in KiB: a dozen of the largest images. A request
     * beyond it is answered 503 with Retry-After instead of growing the heap without bound.
     */
    static final int COPY_BUDGET_KIB = 160 * 1024;

    final java.util.concurrent.Semaphore copyBudget = new java.util.concurrent.Semaphore(COPY_BUDGET_KIB);

    /** Takes an image's size from the copy budget; the caller releases what this returns. */
    private int reserve(String tag, int bytes) throws ApiException {
        int kib = Math.max(1, (bytes + 1023) / 1024);
        if (!copyBudget.tryAcquire(kib)) {
            throw new ApiException(ApiException.UNAVAILABLE, "tag: \"" + tag + "\" cannot be sent now: "
                    + "other image downloads use the dock's send budget; try again in a moment");
        }
        return kib;
    }

    /**
     * Every partition in lookup order: name, state {@code mounted}, ranking, read-only, capacity,
     * used, entries per namespace; a partition that fails to report its usage shows its name, state
     * {@code failed}, ranking and error; then every partition that refused its flash, with state
     * {@code refused}, its reason, and an error saying how to format it. Empty without a store status
     * service, as without partitions.
     */
    ArrayNode partitions() {
        StoreStatus status = storeStatus;
        ArrayNode result = JsonNodeFactory.instance.arrayNode();
        if (status == null) {
            return result;
        }
        for (PartitionStatus each : status.partitions()) {
            ObjectNode item = result.addObject();
            PartitionUsage usage = each.usage();
            if (usage == null) {
                item.put("name", each.name()).put("state", "failed").put("ranking", each.ranking())
                        .put("error", each.error());
                continue;
            }
            item.put("name", each.name()).put("state", "mounted").put("ranking", each.ranking())
                    .put("readOnly", each.readOnly()).put("capacity", usage.capacity()).put("used", usage.used());
            ObjectNode entries = item.putObject("entries");
            for (Namespace namespace : Namespace.values()) {
                entries.put(namespace.id(), usage.entries().getOrDefault(namespace, 0));
            }
        }
        for (PartitionRefusal each : status.refused()) {
            result.addObject().put("name", each.name()).put("state", "refused").put("reason", each.reason())
                    .put("error", "refused, not mounted and not written: " + each.reason()
                            + " (datastore:format -f " + each.name() + " erases and formats it)");
        }
        return result;
    }

    /**
     * Every visible key with its value and source partition, sorted by key.
     *
     * @throws ApiException 503 if there is no key-value store
     */
    ArrayNode keys() throws ApiException {
        return keys(false);
    }

    /**
     * Every visible key as {@link #keys()} lists it; with {@code maskUniquePerDock}, the value of a
     * key served from the ROM's unique-per-dock section (an enrolment token, say) is left out and the
     * entry marked {@code masked}, for a page that shows it only when asked ({@link #reveal}).
     */
    ArrayNode keys(boolean maskUniquePerDock) throws ApiException {
        KvStore store = kvStore;
        if (store == null) {
            throw ApiException.unavailable("key-value store");
        }
        ArrayNode result = JsonNodeFactory.instance.arrayNode();
        java.util.Set<String> hidden = maskUniquePerDock ? uniquePerDockKeys() : java.util.Set.of();
        for (String key : listed(store::list)) {
            try {
                Optional<KvEntry> entry = store.lookup(key);
                // A key removed since list() is simply no longer there.
                entry.ifPresent(found -> {
                    ObjectNode item = result.addObject().put("key", found.key());
                    if (maskUniquePerDock && Partitions.ROM.equals(found.partition())
                            && (hidden == null || hidden.contains(found.key()))) {
                        item.putNull("value").put("masked", true);
                    } else {
                        item.put("value", found.value());
                    }
                    item.put("partition", found.partition());
                });
            } catch (DatastoreException e) {
                result.addObject().put("key", key).put("error", e.getMessage());
            }
        }
        return result;
    }

    /**
     * Every visible image: tag, type, media type, size, dimensions and source partition, sorted by tag.
     *
     * @throws ApiException 503 if there is no image store
     */
    ArrayNode images() throws ApiException {
        ImageStore store = imageStore;
        if (store == null) {
            throw ApiException.unavailable("image store");
        }
        ArrayNode result = JsonNodeFactory.instance.arrayNode();
        for (String tag : listed(store::list)) {
            try {
                Optional<ImageInfo> info = store.lookup(tag);
                info.ifPresent(found -> result.addObject().put("tag", found.tag()).put("type", found.type().name())
                        .put("mediaType", found.type().mediaType()).put("size", found.size())
                        .put("width", found.width()).put("height", found.height())
                        .put("partition", found.partition()));
            } catch (DatastoreException e) {
                result.addObject().put("tag", tag).put("error", e.getMessage());
            }
        }
        return result;
    }

    /**
     * The keys the named partition holds, each with its value there, whatever the partitions above it
     * hold (the explicit form of the lookup order), sorted by key.
     *
     * @throws ApiException 404 if no partition of that name is present, 503 without a key-value store
     */
    ArrayNode keysIn(String partition) throws ApiException {
        KvStore store = kvStore;
        if (store == null) {
            throw ApiException.unavailable("key-value store");
        }
        ArrayNode result = JsonNodeFactory.instance.arrayNode();
        for (String key : listed(store::list)) {
            try {
                store.lookup(key, partition).ifPresent(found -> result.addObject().put("key", found.key())
                        .put("value", found.value()).put("partition", partition));
            } catch (datastore.NoSuchPartitionException e) {
                throw new ApiException(ApiException.NOT_FOUND, "partition: " + e.getMessage());
            } catch (DatastoreException e) {
                result.addObject().put("key", key).put("error", e.getMessage());
            }
        }
        return result;
    }

    /** The ROM's unique-per-dock keys; empty without the ROM's provisioning service (production, no ROM). */
    private java.util.Set<String> uniquePerDockKeys() {
        RomProvisioning rom = romProvisioning;
        if (rom == null) {
            return java.util.Set.of();
        }
        try {
            return java.util.Set.copyOf(rom.uniquePerDockNames(Namespace.KV));
        } catch (RuntimeException e) {
            // Without the list nothing can be told apart: everything from the ROM is hidden instead.
            return null;
        }
    }

    /**
     * One key's visible value and partition, for a console that shows a masked value on request.
     *
     * @throws ApiException 404 if no partition has the key, 503 without a key-value store
     */
    ObjectNode reveal(String key) throws ApiException {
        KvStore store = kvStore;
        if (store == null) {
            throw ApiException.unavailable("key-value store");
        }
        Optional<KvEntry> entry;
        try {
            entry = store.lookup(key);
        } catch (DatastoreException e) {
            throw new ApiException(ApiException.BAD_REQUEST, "key: " + e.getMessage());
        }
        KvEntry found = entry.orElseThrow(
                () -> new ApiException(ApiException.NOT_FOUND, "key: no key " + Names.quote(key, 64)));
        return JsonNodeFactory.instance.objectNode().put("key", found.key()).put("value", found.value())
                .put("partition", found.partition());
    }

    /** A store's listing; a partition that cannot list (one refused, say) is a 503 naming it. */
    private static List<String> listed(java.util.function.Supplier<List<String>> list) throws ApiException {
        try {
            return list.get();
        } catch (PartitionUnavailableException e) {
            throw new ApiException(ApiException.UNAVAILABLE, e.getMessage());
        }
    }

    /**
     * The current application code's origin: {@code present}, and when present its partition, size
     * and revision. The code itself is not shown.
     *
     * @throws ApiException 503 if there is no application code store
     */
    ObjectNode code() throws ApiException {
        ApplicationCodeStore store = codeStore;
        if (store == null) {
            throw ApiException.unavailable("application code store");
        }
        ObjectNode result = JsonNodeFactory.instance.objectNode();
        try {
            Optional<ApplicationCode> current = store.current();
            result.put("present", current.isPresent());
            current.ifPresent(code -> result.put("partition", code.partition()).put("size", code.source().remaining())
                    .put("revision", code.revision()));
        } catch (DatastoreException e) {
            result.put("present", false).put("error", e.getMessage());
        }
        return result;
    }

    /**
     * Sends the bytes the named partition holds for {@code tag}, whatever the partitions above it hold.
     *
     * @throws ApiException 404 if that partition (or the partition itself) lacks the tag, 503 without an image store
     */
    void sendImageIn(String tag, String partition, HttpServletResponse response) throws ApiException, IOException {
        ImageStore store = imageStore;
        if (store == null) {
            throw ApiException.unavailable("image store");
        }
        datastore.Image image;
        try {
            image = store.find(tag, partition).orElseThrow(() -> new ApiException(ApiException.NOT_FOUND,
                    "tag: partition " + partition + " has no image tagged " + Names.quote(tag, 64)));
        } catch (datastore.NoSuchPartitionException e) {
            throw new ApiException(ApiException.NOT_FOUND, "partition: " + e.getMessage());
        } catch (DatastoreException e) {
            throw new ApiException(ApiException.BAD_REQUEST, "tag: " + e.getMessage());
        }
        // find() answers a copy, so a slow client holds heap, not the store.
        ByteBuffer bytes = image.data();
        byte[] copy = new byte[bytes.remaining()];
        bytes.get(copy);
        imageHeaders(response, image.type(), copy.length);
        try (OutputStream out = response.getOutputStream()) {
            out.write(copy);
        }
    }

    /** The status and headers of an image answer (nosniff is set for every answer by {@link ApiServlet}). */
    private static void imageHeaders(HttpServletResponse response, ImageType type, int length) {
        response.setStatus(HttpServletResponse.SC_OK);
        response.setContentType(type.mediaType());
        response.setHeader("Cache-Control", "no-store");
        response.setContentLengthLong(length);
    }

    /**
     * Sends the visible image's bytes with its media type, straight from the store's read-only view.
     *
     * @throws ApiException 404 if no partition has the tag, 503 if there is no image store
     */
    void sendImage(String tag, HttpServletResponse response) throws ApiException, IOException {
        ImageStore store = imageStore;
        if (store == null) {
            throw ApiException.unavailable("image store");
        }
        for (int attempt = 1;; attempt++) {
            ImageToken token;
            try {
                token = store.getToken(tag);
            } catch (EntryNotFoundException e) {
                throw new ApiException(ApiException.NOT_FOUND, "tag: no image tagged " + Names.quote(tag, 64));
            } catch (DatastoreException e) {
                throw new ApiException(ApiException.BAD_REQUEST, "tag: " + e.getMessage());
            }
            // The image may be replaced between the token and the view; then the token is stale: ask again.
            // The bytes are copied out and the view closed before anything is sent: a slow or stalled
            // client then holds heap, within the budget, never the flash (which a ROM replace or a
            // garbage collection may need) and never longer than the HTTP idle timeout.
            byte[] copy;
            ImageType type;
            int reserved;
            try (ImageView view = store.open(token)) {
                ByteBuffer bytes = view.bytes();
                reserved = reserve(tag, bytes.remaining());
                try {
                    copy = new byte[bytes.remaining()];
                    bytes.get(copy);
                    type = view.type();
                } catch (RuntimeException e) {
                    copyBudget.release(reserved);
                    throw e;
                }
            } catch (StaleTokenException e) {
                if (attempt == IMAGE_OPEN_ATTEMPTS) {
                    throw new ApiException(ApiException.CONFLICT, "tag: the image \"" + tag
                            + "\" kept changing while it was being read; try again");
                }
                continue;
            }
            OutputStream out;
            try {
                imageHeaders(response, type, copy.length);
                out = response.getOutputStream();
                out.write(copy);
            } finally {
                // Given back before the close that sends the last bytes, so a client that has the whole
                // answer finds the budget whole again.
                copyBudget.release(reserved);
            }
            out.close();
            return;
        }
    }
}
