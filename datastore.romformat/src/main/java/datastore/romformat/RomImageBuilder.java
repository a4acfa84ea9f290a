package datastore.romformat;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import datastore.InvalidImageException;
import datastore.Limits;
import datastore.Names;
import datastore.Namespace;
import datastore.image.ImageFormat;
import datastore.image.ImageType;
import datastore.romformat.RomImageFormat.Source;
import datastore.spi.InvalidRomContentException;
import datastore.spi.InvalidRomContentException.Problem;
import datastore.spi.RomContent;
import datastore.system.ApplicationCodeStore;

/**
 * Makes ROM images from {@link RomContent}: validates every part first (names per {@link Limits},
 * values within their namespace's limit, images valid for their stated type, the payload within the
 * capacity and the image within a slot), reporting each problem with its field the way the REST
 * request names it ({@code code}, {@code kvStore.<name>}, {@code images.<tag>.type},
 * {@code images.<tag>.data}, {@code payload}); then encodes the application image, the
 * unique-per-dock (UPD) section, or a whole flash image for one dock at manufacture. Needs no OSGi
 * framework; thread-safe.
 *
 * <p>The payload capacity is shared: application payload plus UPD payload must fit it. The
 * application's code is stored in the {@code CODE} namespace under {@link ApplicationCodeStore#MAIN}.
 */
public final class RomImageBuilder {
    /** The field of problems about the whole content's size. */
    public static final String PAYLOAD_FIELD = "payload";
    /** Prefix of the fields of UPD problems in {@link #buildFlash}. */
    public static final String UPD_PREFIX = "upd.";

    private final ImageFormat formats;
    private final long capacity;
    private final RomLayout layout;

    /**
     * @param formats validates images
     * @param capacity payload bytes the ROM holds (application plus UPD)
     * @param layout the ROM region's layout, which bounds the image sizes
     */
    public RomImageBuilder(ImageFormat formats, long capacity, RomLayout layout) {
        this.formats = Objects.requireNonNull(formats, "formats");
        this.capacity = capacity;
        this.layout = Objects.requireNonNull(layout, "layout");
    }

    public long capacity() {
        return capacity;
    }

    public RomLayout layout() {
        return layout;
    }

    /**
     * Every problem of {@code content} as an application ROM store next to {@code reservedPayload}
     * bytes of UPD payload; empty when it can be built.
     */
    public List<Problem> check(RomContent content, long reservedPayload) {
        List<Problem> problems = new ArrayList<>();
        collect(content, false, reservedPayload, problems);
        return problems;
    }

    /** Every problem of {@code upd} as unique-per-dock data; empty when it can be built. */
    public List<Problem> checkUpd(RomContent upd) {
        List<Problem> problems = new ArrayList<>();
        collect(upd, true, 0, problems);
        return problems;
    }

    /** The payload (UTF-8 names plus values) {@code content} would take; meaningful for valid content. */
    public long payloadOf(RomContent content) {
        List<Problem> ignored = new ArrayList<>();
        return collect(content, false, 0, ignored).stream().mapToLong(RomImageBuilder::payloadOf).sum();
    }

    /**
     * Validates and encodes an unsigned application image.
     *
     * @param reservedPayload the payload of the UPD data that shares the capacity
     * @throws InvalidRomContentException listing every problem
     */
    public byte[] buildApplication(RomContent content, long reservedPayload) {
        List<Problem> problems = new ArrayList<>();
        List<Source> sources = collect(content, false, reservedPayload, problems);
        if (!problems.isEmpty()) {
            throw new InvalidRomContentException(problems);
        }
        return RomImageFormat.encode(RomImageFormat.KIND_APPLICATION, sources, layout.formatVersion());
    }

    /**
     * Validates and encodes an application image bound to {@code generation} and signed with
     * {@code signingKey}, as {@link datastore.spi.RomProvisioning#install} takes it.
     *
     * @throws InvalidRomContentException listing every problem
     */
    public byte[] buildSignedApplication(RomContent content, long reservedPayload, PrivateKey signingKey,
            long generation) {
        return RomImageFormat.sign(RomImageFormat.bind(buildApplication(content, reservedPayload), generation, ""),
                signingKey);
    }

    /**
     * Validates and encodes an unsigned UPD section: key-value settings and images only, no code.
     *
     * @throws InvalidRomContentException listing every problem
     */
    public byte[] buildUpd(RomContent upd) {
        List<Problem> problems = new ArrayList<>();
        List<Source> sources = collect(upd, true, 0, problems);
        if (!problems.isEmpty()) {
            throw new InvalidRomContentException(problems);
        }
        return RomImageFormat.encode(RomImageFormat.KIND_UPD, sources, layout.formatVersion());
    }

    /**
     * {@link #buildFlash(RomContent, RomContent, PrivateKey, long)} for a ROM region at the start of
     * its device (the dock's default partition table).
     */
    public byte[] buildFlash(RomContent app, RomContent upd, PrivateKey signingKey) {
        return buildFlash(app, upd, signingKey, 0);
    }

    /**
     * Validates both parts and makes the whole ROM region of one dock as it leaves manufacture: the
     * application image in slot 0 committed as generation 1, the UPD section (none when {@code upd}
     * is null or empty), in format 3 the application image with the copy of its header and page table,
     * the UPD image twice and the commit record in both blocks of the first group, carrying the
     * region's identity; everything else erased
     * ({@code 0xFF}). Both images are signed when {@code signingKey} is given.
     *
     * @param signingKey an Ed25519 private key, or null for unsigned images
     * @param deviceOffset where the ROM region starts on the dock's flash, as its partition table says
     * @throws InvalidRomContentException listing every problem of both parts, UPD fields prefixed
     *         with {@value #UPD_PREFIX}
     */
    public byte[] buildFlash(RomContent app, RomContent upd, PrivateKey signingKey, long deviceOffset) {
        return buildFlash(app, upd, signingKey, deviceOffset, -1, null);
    }

    /**
     * {@link #buildFlash(RomContent, RomContent, PrivateKey, long)} with both images bound before they
     * are signed (format 3, a signing key given): the application image to {@code generation}, the UPD
     * section to {@code generation} and {@code dockId}, so their signatures cover them (see
     * {@link RomImageFormat#bind}).
     *
     * @param generation the signed generation, 0 or more; negative: images not bound
     * @param dockId the dock the UPD section is for, or null or empty for none
     * @throws IllegalArgumentException if the generation or dock id cannot be bound, or the region is
     *         format 2, which has no room for them
     */
    public byte[] buildFlash(RomContent app, RomContent upd, PrivateKey signingKey, long deviceOffset,
            long generation, String dockId) {
        boolean bind = signingKey != null && generation >= 0;
        if (bind && layout.formatVersion() < RomImageFormat.VERSION) {
            throw new IllegalArgumentException("a format " + layout.formatVersion() + " region's images carry no "
                    + "signed generation or dock id");
        }
        List<Problem> problems = new ArrayList<>();
        List<Source> updSources = List.of();
        if (upd != null) {
            List<Problem> updProblems = new ArrayList<>();
            updSources = collect(upd, true, 0, updProblems);
            for (Problem problem : updProblems) {
                problems.add(new Problem(UPD_PREFIX + problem.field(), problem.message()));
            }
        }
        long updPayload = updSources.stream().mapToLong(RomImageBuilder::payloadOf).sum();
        List<Source> appSources = collect(app, false, updPayload, problems);
        if (!problems.isEmpty()) {
            throw new InvalidRomContentException(problems);
        }
        long size = layout.geometry().size();
        if (size > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a ROM region of " + size + " bytes exceeds 2 GiB");
        }
        int version = layout.formatVersion();
        byte[] flash = new byte[(int) size];
        Arrays.fill(flash, (byte) 0xFF);
        byte[] appImage = RomImageFormat.encode(RomImageFormat.KIND_APPLICATION, appSources, version);
        if (bind) {
            appImage = RomImageFormat.bind(appImage, generation, "");
        }
        if (signingKey != null) {
            appImage = RomImageFormat.sign(appImage, signingKey);
        }
        place(flash, appImage, layout.slotOffset(0), layout.slotCopyOffset(0));
        if (!updSources.isEmpty()) {
            byte[] updImage = RomImageFormat.encode(RomImageFormat.KIND_UPD, updSources, version);
            if (bind) {
                updImage = RomImageFormat.bind(updImage, generation, dockId == null ? "" : dockId);
            }
            if (signingKey != null) {
                updImage = RomImageFormat.sign(updImage, signingKey);
            }
            System.arraycopy(updImage, 0, flash, (int) layout.updOffset(), updImage.length);
            if (layout.updCopyOffset() >= 0) {
                System.arraycopy(updImage, 0, flash, (int) layout.updCopyOffset(), updImage.length);
            }
        }
        RomIdentity identity = version == 2 ? null : new RomIdentity(datastore.Partitions.ROM, version, deviceOffset,
                size, layout.geometry().eraseBlockSize(), layout.geometry().programSize());
        ByteBuffer commit = new CommitRecord(0, 1, appImage.length, RomImageFormat.digestOf(appImage), identity)
                .encode(layout.commitRecordSize());
        for (int copy = 0; copy < layout.recordCopies(); copy++) {
            commit.duplicate().get(flash, (int) layout.recordOffset(copy, 0), commit.remaining());
        }
        return flash;
    }

    /** Copies an image to {@code at} and its header and page table to {@code copyAt} (unless -1). */
    private static void place(byte[] flash, byte[] image, long at, long copyAt) {
        System.arraycopy(image, 0, flash, (int) at, image.length);
        if (copyAt >= 0) {
            System.arraycopy(image, 0, flash, (int) copyAt, RomImageFormat.metadataLength(image));
        }
    }

    private List<Source> collect(RomContent content, boolean upd, long reservedPayload, List<Problem> problems) {
        List<Source> sources = new ArrayList<>();
        if (content == null) {
            problems.add(new Problem(PAYLOAD_FIELD, "no content"));
            return sources;
        }
        byte[] code = content.code();
        if (upd && code.length > 0) {
            problems.add(new Problem("code", "unique-per-dock data holds no application code; the code belongs in the "
                    + "application ROM store"));
        } else if (code.length > Namespace.CODE.maxValueBytes()) {
            problems.add(new Problem("code", code.length + " bytes; the limit is " + Namespace.CODE.maxValueBytes()));
        } else if (code.length > 0) {
            sources.add(new Source(Namespace.CODE, ApplicationCodeStore.MAIN, 0, ByteBuffer.wrap(code)));
        }
        for (Map.Entry<String, String> entry : content.kvStore().entrySet()) {
            String field = "kvStore." + Names.display(entry.getKey());
            Optional<String> nameProblem = Names.problem(entry.getKey());
            if (nameProblem.isPresent()) {
                problems.add(new Problem(field, "invalid name: " + nameProblem.get()));
            }
            ByteBuffer value = null;
            if (entry.getValue() == null) {
                problems.add(new Problem(field, "must be a string, not null"));
            } else {
                try {
                    value = StandardCharsets.UTF_8.newEncoder().onMalformedInput(CodingErrorAction.REPORT)
                            .onUnmappableCharacter(CodingErrorAction.REPORT).encode(CharBuffer.wrap(entry.getValue()));
                    if (value.remaining() > Namespace.KV.maxValueBytes()) {
                        problems.add(new Problem(field, "value of " + value.remaining() + " bytes in UTF-8; the limit is "
                                + Namespace.KV.maxValueBytes()));
                        value = null;
                    }
                } catch (CharacterCodingException e) {
                    problems.add(new Problem(field, "value is not well-formed UTF-16 (an unpaired surrogate); it "
                            + "cannot be stored as UTF-8"));
                }
            }
            if (nameProblem.isEmpty() && value != null) {
                sources.add(new Source(Namespace.KV, entry.getKey(), 0, value));
            }
        }
        for (Map.Entry<String, RomContent.RomImage> entry : content.images().entrySet()) {
            String field = "images." + Names.display(entry.getKey());
            Optional<String> nameProblem = Names.problem(entry.getKey());
            if (nameProblem.isPresent()) {
                problems.add(new Problem(field, "invalid tag: " + nameProblem.get()));
            }
            RomContent.RomImage image = entry.getValue();
            if (image == null) {
                problems.add(new Problem(field, "missing: an image needs a type and data"));
                continue;
            }
            ImageType type = image.type();
            if (type == null || type == ImageType.NONE) {
                problems.add(new Problem(field + ".type", (type == null ? "missing" : "NONE is not an image type")
                        + "; one of PNG, BMP, JPEG"));
                type = null;
            }
            byte[] data = image.data();
            if (data == null || data.length == 0) {
                problems.add(new Problem(field + ".data", data == null ? "missing" : "empty"));
                continue;
            }
            if (data.length > Namespace.IMAGE.maxValueBytes()) {
                problems.add(new Problem(field + ".data", data.length + " bytes; the limit is "
                        + Namespace.IMAGE.maxValueBytes()));
                continue;
            }
            if (type == null) {
                continue;
            }
            try {
                formats.inspect(ByteBuffer.wrap(data), type);
            } catch (InvalidImageException e) {
                problems.add(new Problem(field + ".data", "not a valid " + type + ": " + e.reason()));
                continue;
            }
            if (nameProblem.isEmpty()) {
                sources.add(new Source(Namespace.IMAGE, entry.getKey(), type.code(), ByteBuffer.wrap(data)));
            }
        }
        long payload = sources.stream().mapToLong(RomImageBuilder::payloadOf).sum();
        // Sizes are judged only on content that is otherwise valid: a total over sources that were
        // dropped would understate it.
        if (problems.isEmpty()) {
            if (payload + reservedPayload > capacity) {
                problems.add(new Problem(PAYLOAD_FIELD, payload + " bytes of names and values"
                        + (reservedPayload > 0 ? " plus " + reservedPayload + " bytes of unique-per-dock data" : "")
                        + " exceed the ROM capacity of " + capacity + " bytes"));
            } else {
                long needed = RomImageFormat.encodedLength(sources);
                long room = upd ? layout.updImageRoom() : layout.slotImageRoom();
                if (needed > room) {
                    problems.add(new Problem(PAYLOAD_FIELD, "the " + (upd ? "unique-per-dock section" : "image")
                            + " needs " + needed + " bytes with its index and alignment for " + sources.size()
                            + " entries, but " + (upd ? "the section" : "a slot") + " holds " + room + " bytes"));
                }
            }
        }
        return sources;
    }

    private static long payloadOf(Source source) {
        return source.name().getBytes(StandardCharsets.UTF_8).length + (long) source.data().remaining();
    }
}
