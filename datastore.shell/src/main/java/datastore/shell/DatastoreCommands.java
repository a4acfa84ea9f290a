package datastore.shell;

import static datastore.shell.Sizes.size;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import datastore.DatastoreException;
import datastore.Image;
import datastore.ImageInfo;
import datastore.ImageStore;
import datastore.KvEntry;
import datastore.KvStore;
import datastore.Names;
import datastore.Namespace;
import datastore.Partitions;
import datastore.image.ImageFormat;
import datastore.image.ImageHeader;
import datastore.image.ImageType;
import datastore.system.ApplicationCode;
import datastore.system.ApplicationCodeStore;

import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.apache.felix.service.command.annotations.GogoCommand;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * The Gogo commands of scope {@code datastore} on the store's entries: keys, images and the
 * application's code (list, get, put, remove, each with its partition); {@link SystemCommands} has
 * the ones on the store as a whole. Every service is optional, so the commands work in any product
 * and say which service is missing. Bad input is refused with an exception whose message says what
 * is wrong; the store's own exceptions pass through, since their messages name the key, partition
 * and limit concerned.
 */
@Component(name = "datastore.shell", service = DatastoreCommands.class)
@GogoCommand(scope = "datastore", function = {"kvlist", "kvget", "kvput", "kvremove", "imagelist", "imageget",
        "imageput", "imageremove", "code", "codedeploy", "coderemove"})
public class DatastoreCommands {

    /** How much of a value a listing shows. */
    static final int SHOWN_VALUE_CHARS = 60;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile KvStore kvStore;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile ImageStore imageStore;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile ImageFormat imageFormat;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile ApplicationCodeStore codeStore;

    @Descriptor("lists every visible key with the partition it comes from and the start of its value")
    public String kvlist() {
        KvStore store = kv();
        TextTable table = new TextTable("KEY", "PARTITION", "VALUE");
        for (String key : store.list()) {
            try {
                store.lookup(key).ifPresent(entry -> table.row(Names.display(key), entry.partition(),
                        Names.quote(entry.value(), SHOWN_VALUE_CHARS)));
            } catch (DatastoreException e) {
                table.row(Names.display(key), e.partition().orElse("?"), "<" + e.getMessage() + ">");
            }
        }
        return table.size() == 0 ? "no keys" : table + "\n" + table.size() + (table.size() == 1 ? " key" : " keys");
    }

    @Descriptor("shows the visible value of a key and the partition it comes from")
    public String kvget(
            @Descriptor("read this partition only, whatever the partitions above it hold (default: the lookup order)")
            @Parameter(names = {"-p", "--partition"}, absentValue = "") String partition,
            @Descriptor("the key") String key) {
        if (!partition.isEmpty()) {
            return kv().lookup(key, partition)
                    .map(found -> Names.display(key) + " = " + Names.quote(found.value(), Integer.MAX_VALUE)
                            + "  (partition " + partition + " only)")
                    .orElse("partition " + partition + " has no key " + Names.display(key));
        }
        Optional<KvEntry> entry = kv().lookup(key);
        return entry.map(found -> Names.display(key) + " = " + Names.quote(found.value(), Integer.MAX_VALUE)
                + "  (partition " + found.partition() + ")").orElse("no partition has the key " + Names.display(key));
    }

    @Descriptor("stores a value under a key")
    public String kvput(
            @Descriptor("the partition to write (default: the store's default partition, runtime)")
            @Parameter(names = {"-p", "--partition"}, absentValue = "") String partition,
            @Descriptor("the key") String key,
            @Descriptor("the value") String value) {
        KvStore store = kv();
        if (partition.isEmpty()) {
            store.put(key, value);
        } else {
            store.put(key, value, partition);
        }
        String where = store.lookup(key).map(KvEntry::partition).orElse("?");
        return "stored " + Names.display(key) + " in " + (partition.isEmpty() ? "the default partition" : partition)
                + visibility(partition, where);
    }

    @Descriptor("removes a key from one partition, uncovering a value in a lower partition")
    public String kvremove(
            @Descriptor("the partition to remove it from (default: the store's default partition, runtime)")
            @Parameter(names = {"-p", "--partition"}, absentValue = Partitions.RUNTIME) String partition,
            @Descriptor("the key") String key) {
        KvStore store = kv();
        if (!store.remove(key, partition)) {
            return partition + " had no key " + Names.display(key) + "; nothing changed";
        }
        return "removed " + Names.display(key) + " from " + partition + store.lookup(key)
                .map(entry -> "; now visible: " + Names.quote(entry.value(), SHOWN_VALUE_CHARS) + " from "
                        + entry.partition())
                .orElse("; no partition has it now");
    }

    // ---- images ----

    @Descriptor("lists every visible image with its type, size, dimensions and partition")
    public String imagelist() {
        ImageStore store = images();
        TextTable table = new TextTable("TAG", "TYPE", "SIZE", "PIXELS", "PARTITION");
        for (String tag : store.list()) {
            try {
                store.lookup(tag).ifPresent(info -> table.row(Names.display(tag), info.type(), size(info.size()),
                        info.width() + "x" + info.height(), info.partition()));
            } catch (DatastoreException e) {
                table.row(Names.display(tag), "?", "?", "?", "<" + e.getMessage() + ">");
            }
        }
        return table.size() == 0 ? "no images" : table + "\n" + table.size() + (table.size() == 1 ? " image" : " images");
    }

    @Descriptor("shows the type, size, dimensions and partition of the visible image")
    public String imageget(
            @Descriptor("read this partition only, whatever the partitions above it hold (default: the lookup order)")
            @Parameter(names = {"-p", "--partition"}, absentValue = "") String partition,
            @Descriptor("the tag") String tag) {
        if (!partition.isEmpty()) {
            return images().lookup(tag, partition).map(DatastoreCommands::describe)
                    .orElse("partition " + partition + " has no image " + Names.display(tag));
        }
        return images().lookup(tag).map(DatastoreCommands::describe)
                .orElse("no partition has the image " + Names.display(tag));
    }

    @Descriptor("writes the visible image's bytes to a file")
    public String imageget(
            @Descriptor("read this partition only, whatever the partitions above it hold (default: the lookup order)")
            @Parameter(names = {"-p", "--partition"}, absentValue = "") String partition,
            @Descriptor("the tag") String tag, @Descriptor("the file to write (replaced if it exists)") String file)
            throws IOException {
        ImageStore store = images();
        Image image = partition.isEmpty() ? store.get(tag) : store.find(tag, partition).orElse(Image.NONE);
        if (image.type() == ImageType.NONE) {
            return (partition.isEmpty() ? "no partition has the image " : "partition " + partition + " has no image ")
                    + Names.display(tag) + "; " + file + " not written";
        }
        Path path = Path.of(file);
        ByteBuffer data = image.data();
        byte[] bytes = new byte[data.remaining()];
        data.get(bytes);
        Files.write(path, bytes);
        return "wrote " + size(bytes.length) + " " + image.type() + " " + Names.display(tag) + " to "
                + path.toAbsolutePath();
    }

    @Descriptor("stores an image read from a file; its type is detected unless given")
    public String imageput(
            @Descriptor("the partition to write (default: the store's default partition, runtime)")
            @Parameter(names = {"-p", "--partition"}, absentValue = "") String partition,
            @Descriptor("the image type, PNG, BMP or JPEG (default: detected from the bytes)")
            @Parameter(names = {"-t", "--type"}, absentValue = "") String type,
            @Descriptor("the tag") String tag,
            @Descriptor("the image file") String file) throws IOException {
        ImageStore store = images();
        byte[] data = readImageFile(Path.of(file));
        ImageType imageType = type.isEmpty() ? detect(data, file) : imageType(type);
        if (partition.isEmpty()) {
            store.put(tag, data, imageType);
        } else {
            store.put(tag, data, imageType, partition);
        }
        String where = store.lookup(tag).map(ImageInfo::partition).orElse("?");
        return "stored " + imageType + " " + Names.display(tag) + " (" + size(data.length) + ") in "
                + (partition.isEmpty() ? "the default partition" : partition) + visibility(partition, where);
    }

    @Descriptor("removes an image from one partition, uncovering an image in a lower partition")
    public String imageremove(
            @Descriptor("the partition to remove it from (default: the store's default partition, runtime)")
            @Parameter(names = {"-p", "--partition"}, absentValue = Partitions.RUNTIME) String partition,
            @Descriptor("the tag") String tag) {
        ImageStore store = images();
        if (!store.remove(tag, partition)) {
            return partition + " had no image " + Names.display(tag) + "; nothing changed";
        }
        return "removed " + Names.display(tag) + " from " + partition + store.lookup(tag)
                .map(info -> "; now visible: " + describe(info)).orElse("; no partition has it now");
    }

    // ---- application code ----

    @Descriptor("shows where the application's code comes from: its partition, size and revision")
    public String code() {
        return code(codes().current());
    }

    private static String code(Optional<ApplicationCode> current) {
        return current.map(found -> "application code: " + size(found.source().remaining()) + " from partition "
                + found.partition() + ", revision " + found.revision()).orElse("no partition has application code");
    }

    @Descriptor("deploys the application's code from a file; to the runtime partition unless told otherwise, "
            + "where it survives restarts and overrides the ROM's (an ephemeral copy, as the development API "
            + "deploys, still wins until the next restart)")
    public String codedeploy(
            @Descriptor("the partition to write (default: runtime, where the code is kept across restarts)")
            @Parameter(names = {"-p", "--partition"}, absentValue = Partitions.RUNTIME) String partition,
            @Descriptor("the file holding the application's source") String file) throws IOException {
        Path path = Path.of(file);
        if (!Files.isRegularFile(path)) {
            throw new IllegalArgumentException(file + " is not a regular file");
        }
        long length = Files.size(path);
        if (length > Namespace.CODE.maxValueBytes()) {
            throw new IllegalArgumentException(file + " is " + length + " bytes; application code is at most "
                    + Namespace.CODE.maxValueBytes());
        }
        ApplicationCodeStore store = codes();
        store.deploy(Files.readAllBytes(path), partition);
        return "deployed " + size(length) + " of application code to " + partition + "; now running: "
                + code(store.current()).replaceFirst("^application code: ", "");
    }

    @Descriptor("removes the application's code from one partition, uncovering a lower copy")
    public String coderemove(@Descriptor("the partition to remove it from")
            @Parameter(names = {"-p", "--partition"}, absentValue = Partitions.RUNTIME) String partition) {
        ApplicationCodeStore store = codes();
        if (!store.remove(partition)) {
            return partition + " had no application code; nothing changed";
        }
        return "removed the application code from " + partition + "; " + code(store.current());
    }

    private ApplicationCodeStore codes() {
        ApplicationCodeStore store = codeStore;
        if (store == null) {
            throw new IllegalStateException("no ApplicationCodeStore service is available: is the datastore.store bundle "
                    + "active?");
        }
        return store;
    }

    // ---- a call that fits no form of a command ----

    /**
     * What Gogo reaches when a call fits none of a command's forms (a missing or extra argument):
     * the command's usage, instead of Gogo's "Cannot coerce". Gogo prefers any form whose
     * arguments fit over these catch-alls.
     */
    public String kvget(String... words) {
        throw usage("kvget");
    }

    public String kvput(String... words) {
        throw usage("kvput");
    }

    public String kvremove(String... words) {
        throw usage("kvremove");
    }

    public String imageget(String... words) {
        throw usage("imageget");
    }

    public String imageput(String... words) {
        throw usage("imageput");
    }

    public String imageremove(String... words) {
        throw usage("imageremove");
    }

    public String codedeploy(String... words) {
        throw usage("codedeploy");
    }

    private static IllegalArgumentException usage(String function) {
        return CommandUsage.of(DatastoreCommands.class, function);
    }

    // ---- helpers ----

    private KvStore kv() {
        KvStore store = kvStore;
        if (store == null) {
            throw new IllegalStateException("no KvStore service is available: is the datastore.store bundle active?");
        }
        return store;
    }

    private ImageStore images() {
        ImageStore store = imageStore;
        if (store == null) {
            throw new IllegalStateException("no ImageStore service is available: is the datastore.store bundle active?");
        }
        return store;
    }

    /** Says when the value just written is hidden by a higher partition. */
    private static String visibility(String partition, String visibleFrom) {
        return partition.isEmpty() || partition.equals(visibleFrom) ? ""
                : "; note: the visible one comes from " + visibleFrom + ", which ranks higher";
    }

    private static byte[] readImageFile(Path path) throws IOException {
        if (!Files.isRegularFile(path)) {
            throw new IllegalArgumentException("no file " + path.toAbsolutePath());
        }
        long length = Files.size(path);
        if (length > Namespace.IMAGE.maxValueBytes()) {
            throw new IllegalArgumentException(path + " is " + size(length) + "; an image may be at most "
                    + size(Namespace.IMAGE.maxValueBytes()));
        }
        return Files.readAllBytes(path);
    }

    private ImageType detect(byte[] data, String file) {
        ImageFormat formats = imageFormat;
        if (formats == null) {
            throw new IllegalStateException("no ImageFormat service is available to detect the type; name it with -t");
        }
        return formats.detect(ByteBuffer.wrap(data).asReadOnlyBuffer()).map(ImageHeader::type)
                .orElseThrow(() -> new IllegalArgumentException(file + " is not a valid PNG, BMP or JPEG image; "
                        + "name the type with -t to see what is wrong"));
    }

    static ImageType imageType(String name) {
        String upper = name.strip().toUpperCase(Locale.ROOT);
        if (upper.equals("JPG")) {
            return ImageType.JPEG;
        }
        for (ImageType type : List.of(ImageType.PNG, ImageType.BMP, ImageType.JPEG)) {
            if (type.name().equals(upper)) {
                return type;
            }
        }
        throw new IllegalArgumentException("unknown image type \"" + name + "\"; use PNG, BMP or JPEG");
    }

    private static String describe(ImageInfo info) {
        return Names.display(info.tag()) + ": " + info.type() + ", " + size(info.size()) + ", " + info.width() + "x"
                + info.height() + " pixels, partition " + info.partition();
    }
}
