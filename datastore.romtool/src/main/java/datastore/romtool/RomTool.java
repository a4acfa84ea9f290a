package datastore.romtool;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

import datastore.Namespace;
import datastore.flash.FlashGeometry;
import datastore.flash.FlashRegion;
import datastore.flashtable.DefaultFlashLayout;
import datastore.image.ImageType;
import datastore.images.ImageFormats;
import datastore.romformat.RomEntry;
import datastore.romformat.RomImage;
import datastore.romformat.RomImageBuilder;
import datastore.romformat.RomImageException;
import datastore.romformat.RomImageFormat;
import datastore.romformat.RomLayout;
import datastore.romformat.RomSigningKeys;
import datastore.romformat.RomStore;
import datastore.spi.EntryView;
import datastore.spi.InvalidRomContentException;
import datastore.spi.RomContent;
import datastore.spi.RomInfo;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * The {@code rom} commands: {@code build} makes the ROM flash image of one dock from a ROM store
 * description (plus its unique-per-dock data, optionally signed), {@code inspect} mounts an image the
 * way the dock does and lists what it would serve, {@code verify} checks every page's hash and the
 * signatures against a public key, {@code keygen} makes an Ed25519 signing key. Exit codes: 0 success,
 * 1 invalid content or an image with problems, 2 bad usage or I/O failure.
 */
@Command(name = "rom", mixinStandardHelpOptions = true, version = "rom tools 1.2 (writes ROM image format "
        + RomImageFormat.VERSION + ", reads " + RomImageFormat.OLDEST_READABLE + " to " + RomImageFormat.VERSION + ")",
        description = "Builds, inspects and verifies Dock Datastore ROM flash images.",
        subcommands = {RomTool.Build.class, RomTool.Inspect.class, RomTool.Verify.class, RomTool.Keygen.class})
public final class RomTool implements Runnable {
    static final int EXIT_INVALID = DockTool.EXIT_INVALID;
    static final int EXIT_FAILURE = DockTool.EXIT_FAILURE;

    @Spec
    CommandSpec spec;

    /** Runs {@code rom} with the given arguments and output streams; returns the exit code. */
    static int run(String[] args, PrintWriter out, PrintWriter err) {
        String[] all = new String[args.length + 1];
        all[0] = "rom";
        System.arraycopy(args, 0, all, 1, args.length);
        return DockTool.run(all, out, err);
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a command: build, inspect, verify or keygen");
    }

    /** The ROM region's geometry, as the dock's partition table configures it. */
    static class Geometry {
        @Option(names = "--region-size", defaultValue = "" + DefaultFlashLayout.ROM_SIZE,
                description = "Size of the ROM flash region in bytes (default ${DEFAULT-VALUE}).")
        long regionSize;

        @Option(names = "--erase-block-size", defaultValue = "" + DefaultFlashLayout.ERASE_BLOCK_SIZE,
                description = "Erase block size in bytes (default ${DEFAULT-VALUE}).")
        int eraseBlockSize;

        @Option(names = "--program-size", defaultValue = "" + DefaultFlashLayout.PROGRAM_SIZE,
                description = "Program granularity in bytes (default ${DEFAULT-VALUE}).")
        int programSize;

        @Option(names = "--device-offset", defaultValue = "" + DefaultFlashLayout.ROM_OFFSET,
                description = "Where the ROM region starts on the dock's flash, as its partition table says (default "
                        + "${DEFAULT-VALUE}); format 3 records it, and a dock whose table differs refuses the image.")
        long deviceOffset;

        @Option(names = "--capacity", defaultValue = "" + DefaultFlashLayout.ROM_PAYLOAD,
                description = "Payload capacity in bytes, application plus unique-per-dock data (default ${DEFAULT-VALUE}).")
        long capacity;
    }

    @Command(name = "build", mixinStandardHelpOptions = true,
            description = "Builds the ROM flash image of one dock: the application image committed in slot 0 "
                    + "and the unique-per-dock section.")
    static final class Build implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--config", required = true, description = "The ROM store description (YAML).")
        Path config;

        @Option(names = "--out", required = true, description = "The flash image file to write.")
        Path out;

        @Option(names = "--upd", description = "Unique-per-dock data (YAML with kv_store and images, no code).")
        Path upd;

        @CommandLine.Mixin
        Signing signing = new Signing();

        @Option(names = "--dock-id", description = "The dock the unique-per-dock section is for (with --sign and "
                + "--upd, required): signed into the section, which any other dock refuses; the dock's ROM "
                + "configuration dock_id (or framework property datastore.dock.id) names it.")
        String dockId;

        @Option(names = "--allow-outside-paths", description = "Also read files outside the descriptions' folders "
                + "(by default a description may name only files in its own folder, so an untrusted one cannot "
                + "reach the signing key or other files of this machine).")
        boolean allowOutside;

        @Option(names = "--app-image", description = "Write only the application image (signed with --sign), as a "
                + "running dock installs it (POST /api/docks/application/romimage), instead of the ROM region.")
        boolean appImage;

        @CommandLine.Mixin
        Geometry geometry = new Geometry();

        @Override
        public Integer call() throws IOException {
            PrintWriter err = spec.commandLine().getErr();
            if (appImage && upd != null) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--app-image writes the application "
                        + "image alone; the unique-per-dock section (--upd) is programmed at manufacture");
            }
            signing.check(spec.commandLine());
            if (signing.signs() && upd != null && (dockId == null || dockId.isBlank())) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--sign with --upd needs --dock-id: the "
                        + "dock the unique-per-dock section is signed for");
            }
            if (!signing.signs() && dockId != null) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--dock-id is signed into the "
                        + "unique-per-dock section, so it needs --sign");
            }
            if (dockId != null) {
                Optional<String> problem = RomImageFormat.dockIdProblem(dockId);
                if (problem.isPresent()) {
                    throw new CommandLine.ParameterException(spec.commandLine(), "--dock-id: " + problem.get());
                }
            }
            RomLayout layout = RomLayout.of(new FlashGeometry(geometry.regionSize, geometry.eraseBlockSize,
                    geometry.programSize));
            RomImageBuilder builder = new RomImageBuilder(new ImageFormats(), geometry.capacity, layout);
            RomContent updContent = null;
            long updPayload = 0;
            boolean invalid = false;
            if (upd != null) {
                try {
                    updContent = RomDescription.readUpd(upd, builder, allowOutside);
                    updPayload = builder.payloadOf(updContent);
                } catch (InvalidRomContentException e) {
                    report(err, upd, e);
                    invalid = true;
                }
            }
            RomContent app = null;
            try {
                app = RomDescription.read(config, builder, updPayload, allowOutside);
            } catch (InvalidRomContentException e) {
                report(err, config, e);
                invalid = true;
            }
            if (invalid) {
                return EXIT_INVALID;
            }
            PrivateKey key = signing.key();
            byte[] flash = !appImage ? builder.buildFlash(app, updContent, key, geometry.deviceOffset,
                    signing.generationOrNone(), dockId)
                    : key == null ? builder.buildApplication(app, 0)
                    : builder.buildSignedApplication(app, 0, key, signing.generationOrNone());
            Path target = out.toAbsolutePath();
            if (target.getParent() != null) {
                Files.createDirectories(target.getParent());
            }
            // Written beside and moved into place, so a failed build never leaves half an image.
            Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
            Files.write(tmp, flash);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            PrintWriter stdout = spec.commandLine().getOut();
            stdout.println("wrote " + target + " (" + flash.length + " bytes, " + (key == null ? "unsigned"
                    : "signed with " + signing.sign + ", generation " + signing.generation + (upd == null ? "" : ", dock id " + dockId))
                    + ")");
            return Inspect.describe(target, geometry, List.of(), null, false, stdout);
        }
    }

    static void report(PrintWriter err, Path file, InvalidRomContentException e) {
        for (InvalidRomContentException.Problem problem : e.problems()) {
            err.println(file + ": " + problem.field() + ": " + problem.message());
        }
    }

    @Command(name = "inspect", mixinStandardHelpOptions = true,
            description = "Mounts a ROM flash image (or a bare application or UPD image) as the dock would, checks "
                    + "every page's hash and lists what it serves.")
    static final class Inspect implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "IMAGE", description = "The flash image or image file.")
        Path image;

        @Option(names = "--public-key", description = "Base64 X.509 Ed25519 public key the images must be signed "
                + "with; repeat it for every key the dock accepts (any of them verifies).")
        List<String> publicKeys = new java.util.ArrayList<>();

        @Option(names = "--dock-id", description = "The dock's id: with --public-key, a unique-per-dock section "
                + "signed for another dock (or for none) is refused, as that dock would.")
        String dockId;

        @CommandLine.Mixin
        Geometry geometry = new Geometry();

        @Override
        public Integer call() throws IOException {
            List<PublicKey> keys = new java.util.ArrayList<>();
            for (String publicKey : publicKeys) {
                PublicKey key = RomSigningKeys.publicKey(publicKey);
                if (key != null) {
                    keys.add(key);
                }
            }
            return describe(image, geometry, keys, dockId, false, spec.commandLine().getOut());
        }

        /**
         * Mounts and lists an image; with {@code requireSigned}, an image that is not signed with one of
         * {@code keys} is a failure too.
         */
        static int describe(Path file, Geometry geometry, List<PublicKey> keys, String dockId, boolean requireSigned,
                PrintWriter out) throws IOException {
            byte[] head = new byte[1];
            try (var in = Files.newInputStream(file)) {
                if (in.read(head) != 1) {
                    throw new IOException(file + " is empty");
                }
            }
            if (head[0] == (byte) 0x89) {
                return describeImage(file, keys, requireSigned, out);
            }
            // A whole device dump names its ROM region in its own partition table.
            Optional<datastore.flashtable.FlashTableImage.Table> table = datastore.flashtable.FlashTableImage.read(file);
            Optional<datastore.flashtable.FlashTableImage.Region> rom = table.flatMap(t -> t.region(datastore.Partitions.ROM));
            if (rom.isPresent()) {
                out.println("device dump " + file + ": ROM region [0x" + Long.toHexString(rom.get().offset()) + ", 0x"
                        + Long.toHexString(rom.get().end()) + ") by its partition table");
                FlashGeometry chip = table.get().geometry();
                ImageFileRegion region = ImageFileRegion.of(file, ImageFileRegion.map(file), datastore.Partitions.ROM,
                        rom.get().offset(), rom.get().size(), chip.eraseBlockSize(), chip.programSize());
                return describe(region, file.toString(), Long.MAX_VALUE, keys, dockId, requireSigned, out);
            }
            ImageFileRegion region = new ImageFileRegion(file, geometry.eraseBlockSize, geometry.programSize,
                    geometry.deviceOffset);
            return describe(region, file.toString(), geometry.capacity, keys, dockId, requireSigned, out);
        }

        /** Mounts a ROM region as the dock would, checks every page and lists what it serves. */
        static int describe(FlashRegion region, String file, long capacity, List<PublicKey> keys, String dockId,
                boolean requireSigned, PrintWriter out) throws IOException {
            Optional<String> refusal = RomStore.refusal(region);
            if (refusal.isPresent()) {
                out.println("flash image " + file + " refused: " + refusal.get());
                return EXIT_INVALID;
            }
            // A format 2 image has the format 2 layout, whose slots are larger: mount with the most the
            // smaller of the two layouts takes, then report the layout the store chose.
            long slotRoom = RomLayout.legacy(region.geometry()).slotImageRoom();
            try {
                slotRoom = Math.min(slotRoom, RomLayout.of(region.geometry()).slotImageRoom());
            } catch (IllegalArgumentException tooSmallForFormat3) {
                // A format 2 image of a region format 3 cannot lay out: mounted with its own layout.
            }
            long room = RomImageFormat.roomFor(slotRoom);
            RomStore store = new RomStore(region, Math.min(capacity, room), keys, dockId, null, Duration.ZERO);
            RomLayout layout = store.layout();
            store.verifyAll();
            RomInfo info = store.info();
            out.println("flash image " + file + ": ROM format " + layout.formatVersion() + ", "
                    + region.geometry().size() + " bytes, slots of " + layout.slotSize() + " bytes, UPD section of "
                    + layout.updSize() + " bytes");
            out.println("generation " + info.generation() + " in slot " + info.slot() + ", signed generation "
                    + store.signedGeneration() + ", sha256 "
                    + (info.sha256().isEmpty() ? "-" : info.sha256()) + ", "
                    + (keys.isEmpty() ? "signature not checked" : "signature " + info.signature()) + ", payload "
                    + info.payloadBytes() + " of " + info.capacity() + " bytes");
            for (Namespace namespace : Namespace.values()) {
                for (String name : store.names(namespace)) {
                    try {
                        Optional<EntryView> view = store.open(namespace, name);
                        if (view.isPresent()) {
                            try (EntryView v = view.get()) {
                                out.println("  " + namespace.id() + " " + name + " " + describe(namespace, v.format())
                                        + v.data().remaining() + " bytes");
                            }
                        }
                    } catch (datastore.CorruptedEntryException e) {
                        out.println("  " + namespace.id() + " " + name + " CORRUPTED");
                    }
                }
            }
            if (info.problem().isPresent()) {
                out.println("problems: " + info.problem().get());
                return EXIT_INVALID;
            }
            if (requireSigned && info.signature() != RomInfo.SignatureState.VERIFIED) {
                out.println("problems: the application image is " + (info.sha256().isEmpty() ? "missing"
                        : "not signed") + "; a verified image is signed with one of the given keys");
                return EXIT_INVALID;
            }
            out.println(requireSigned ? "verified" : "sound");
            return 0;
        }

        private static int describeImage(Path file, List<PublicKey> keys, boolean requireSigned, PrintWriter out)
                throws IOException {
            byte[] bytes = Files.readAllBytes(file);
            ByteBuffer map = ByteBuffer.wrap(bytes).asReadOnlyBuffer();
            int kind = bytes.length > 10 ? bytes[10] : 0;
            RomImage image;
            try {
                image = RomImage.read(map, 0, bytes.length, kind);
            } catch (RomImageException e) {
                out.println(file + ": " + e.getMessage());
                return EXIT_INVALID;
            }
            out.println((kind == RomImageFormat.KIND_UPD ? "unique-per-dock section " : "application image ") + file
                    + ": format " + image.version() + ", " + image.length() + " bytes, sha256 " + image.digestHex() + ", "
                    + (image.signed() ? "signed" : "unsigned") + (image.bound() ? ", signed generation "
                            + image.signedGeneration() + (image.dockId().isEmpty() ? "" : ", dock id " + image.dockId())
                            : "") + ", payload " + image.payload() + " bytes");
            for (RomEntry entry : image.entries()) {
                out.println("  " + entry.namespace().id() + " " + entry.name() + " "
                        + describe(entry.namespace(), entry.format()) + entry.length() + " bytes"
                        + (image.verify(entry) ? "" : " CORRUPTED"));
            }
            List<String> problems = new java.util.ArrayList<>(image.verifyAll());
            if (requireSigned && !image.signed()) {
                problems.add("the image is not signed");
            } else if (!keys.isEmpty() && keys.stream().noneMatch(image::signatureVerifies)) {
                problems.add("its signature does not verify with " + (keys.size() == 1 ? "the given key"
                        : "any of the " + keys.size() + " given keys"));
            }
            if (!problems.isEmpty()) {
                out.println("problems: " + String.join("; ", problems));
                return EXIT_INVALID;
            }
            out.println(requireSigned ? "verified" : "sound");
            return 0;
        }

        private static String describe(Namespace namespace, int format) {
            if (namespace != Namespace.IMAGE) {
                return "";
            }
            try {
                return ImageType.ofCode(format) + " ";
            } catch (IllegalArgumentException e) {
                return "format " + format + " ";
            }
        }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = "Verifies a ROM flash image (or a bare application or UPD image) against a public key: "
                    + "the hash of every page and the signature of every image; exit status 0 only when all of them "
                    + "pass, else 1 with the reason.")
    static final class Verify implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "IMAGE", description = "The flash image or image file.")
        Path image;

        @Option(names = "--key", required = true, description = "The public key: a file holding it (as keygen "
                + "--public writes it) or the base64 X.509 text itself; repeat it for every key the dock accepts.")
        List<String> keys = new java.util.ArrayList<>();

        @Option(names = "--dock-id", description = "The dock's id: a unique-per-dock section signed for another "
                + "dock (or for none) fails, as that dock would refuse it.")
        String dockId;

        @CommandLine.Mixin
        Geometry geometry = new Geometry();

        @Override
        public Integer call() throws IOException {
            List<PublicKey> publicKeys = new java.util.ArrayList<>();
            for (String key : keys) {
                publicKeys.add(publicKey(key));
            }
            return Inspect.describe(image, geometry, publicKeys, dockId, true, spec.commandLine().getOut());
        }
    }

    /** A public key given as a file holding it or as its base64 text. */
    static PublicKey publicKey(String key) throws IOException {
        Path file = Path.of(key);
        String text = key.length() < 4096 && Files.isRegularFile(file) ? Files.readString(file).strip() : key.strip();
        PublicKey publicKey = RomSigningKeys.publicKey(text);
        if (publicKey == null) {
            throw new IOException("the public key " + key + " is empty");
        }
        return publicKey;
    }

    @Command(name = "keygen", mixinStandardHelpOptions = true,
            description = "Makes an Ed25519 key pair: writes the private key (PEM) and prints the public key as the "
                    + "ROM partition's public.key configuration takes it.")
    static final class Keygen implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--private", required = true, description = "Where to write the private key; never overwritten.")
        Path privateKey;

        @Option(names = "--public", description = "Also write the public key (base64 X.509) to this file.")
        Path publicKey;

        @Override
        public Integer call() throws IOException {
            KeyPair pair = RomSigningKeys.generate();
            // Created exclusively and owner-only in one step: never over an existing file (or one
            // another process put there a moment ago), never readable by others even for an instant.
            java.util.Set<java.nio.file.OpenOption> options = java.util.Set.of(java.nio.file.StandardOpenOption.CREATE_NEW,
                    java.nio.file.StandardOpenOption.WRITE);
            boolean posix = java.nio.file.FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
            try (java.nio.channels.FileChannel out = posix
                    ? java.nio.channels.FileChannel.open(privateKey, options, java.nio.file.attribute.PosixFilePermissions
                            .asFileAttribute(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")))
                    : java.nio.channels.FileChannel.open(privateKey, options)) {
                java.nio.ByteBuffer pem = java.nio.ByteBuffer.wrap(RomSigningKeys.pem(pair.getPrivate())
                        .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                while (pem.hasRemaining()) {
                    out.write(pem);
                }
                out.force(true);
            } catch (java.nio.file.FileAlreadyExistsException e) {
                throw new IOException(privateKey + " exists; a signing key is never overwritten", e);
            }
            String encoded = RomSigningKeys.encode(pair.getPublic());
            if (publicKey != null) {
                Files.writeString(publicKey, encoded + "\n");
            }
            spec.commandLine().getOut().println(encoded);
            return 0;
        }
    }
}
