package datastore.flashtable;

import static datastore.flashtable.FlashLayout.hex;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.zip.CRC32C;

import datastore.flash.FlashGeometry;

/**
 * The partition table as the flash carries it (format 1, see the device's FORMAT.md): the geometry it
 * was written for and each region's name, offset and size, with a sequence number that tells the newer
 * of two intact copies and a CRC32C over all of it. Entries may overlap only as history allows: writing an
 * entry drops every other entry over the same bytes.
 *
 * @param geometry the flash the table was written for
 * @param sequence higher for each rewrite
 * @param entries the regions, unmodifiable
 */
public record FlashTable(FlashGeometry geometry, long sequence, List<FlashLayout.Region> entries) {
    public static final int MAGIC = 0x44445054; // "DDPT"
    public static final int FORMAT = 1;
    static final int T_MAGIC = 0;
    public static final int T_FORMAT = 4;
    static final int T_SEQUENCE = 8;
    static final int T_SIZE = 16;
    static final int T_BLOCK_SIZE = 24;
    static final int T_PROGRAM_SIZE = 28;
    static final int T_ENTRIES = 32;
    public static final int HEADER = 40;
    static final int NAME = 32;
    static final int ENTRY = NAME + 16;
    /** More entries than this is damage: two partitions use the table today, room is left for fonts and more. */
    static final int MAX_ENTRIES = 64;
    /** The longest table, which every erase block the layout accepts must hold. */
    static final int MAX_BYTES = HEADER + MAX_ENTRIES * ENTRY + 4;

    public FlashTable {
        entries = List.copyOf(entries);
    }

    /** The table the configuration describes. */
    public static FlashTable of(FlashLayout layout, long sequence) {
        return new FlashTable(layout.geometry(), sequence, layout.regions());
    }

    public Optional<FlashLayout.Region> entry(String name) {
        return entries.stream().filter(region -> region.name().equals(name)).findFirst();
    }

    /** This table with {@code region}'s entry in place of its old one and of every entry over its bytes. */
    public FlashTable with(FlashLayout.Region region, long sequence) {
        List<FlashLayout.Region> kept = new ArrayList<>();
        for (FlashLayout.Region entry : entries) {
            boolean overlaps = entry.offset() < region.end() && region.offset() < entry.end();
            if (!entry.name().equals(region.name()) && !overlaps) {
                kept.add(entry);
            }
        }
        kept.add(region);
        kept.sort((a, b) -> Long.compare(a.offset(), b.offset()));
        return new FlashTable(geometry, sequence, kept);
    }

    /** The encoded table, padded with {@code 0xFF} to a multiple of {@code unit}. */
    public ByteBuffer encode(int unit) {
        if (entries.size() > MAX_ENTRIES) {
            throw new IllegalArgumentException("a partition table holds at most " + MAX_ENTRIES + " regions, not "
                    + entries.size());
        }
        int length = HEADER + entries.size() * ENTRY + 4;
        ByteBuffer out = ByteBuffer.allocate((length + unit - 1) / unit * unit);
        while (out.hasRemaining()) {
            out.put((byte) 0xFF);
        }
        out.putInt(T_MAGIC, MAGIC).putInt(T_FORMAT, FORMAT).putLong(T_SEQUENCE, sequence)
                .putLong(T_SIZE, geometry.size()).putInt(T_BLOCK_SIZE, geometry.eraseBlockSize())
                .putInt(T_PROGRAM_SIZE, geometry.programSize()).putInt(T_ENTRIES, entries.size()).putInt(36, 0);
        int at = HEADER;
        for (FlashLayout.Region entry : entries) {
            byte[] name = entry.name().getBytes(StandardCharsets.UTF_8);
            if (name.length == 0 || name.length >= NAME) {
                throw new IllegalArgumentException("region name \"" + entry.name() + "\" must be 1 to " + (NAME - 1)
                        + " bytes of UTF-8");
            }
            out.put(at, (byte) name.length).put(at + 1, name);
            for (int i = 1 + name.length; i < NAME; i++) {
                out.put(at + i, (byte) 0);
            }
            out.putLong(at + NAME, entry.offset()).putLong(at + NAME + 8, entry.size());
            at += ENTRY;
        }
        out.putInt(at, crc(out, at));
        return out.clear();
    }

    /** What one copy's bytes hold. */
    public sealed interface Copy {
    }

    /** Every byte {@code 0xFF}. */
    public record Erased() implements Copy {
    }

    /** A table of this format whose checksum passes. */
    public record Valid(FlashTable table) implements Copy {
    }

    /** The magic with a format above {@link #FORMAT}. */
    public record Newer(int format) implements Copy {
    }

    /**
     * Anything else: damage, or bytes that were never a table.
     *
     * @param torn whether it looks like a table whose program was cut: the magic, and erased bytes
     *        after the longest table
     */
    public record Unreadable(String what, boolean torn) implements Copy {
    }

    /** Decodes one copy from {@code bytes} (a whole erase block, or at least {@link #MAX_BYTES}). */
    public static Copy decode(ByteBuffer bytes) {
        boolean erased = true;
        for (int i = 0; i < bytes.limit() && erased; i++) {
            erased = bytes.get(i) == (byte) 0xFF;
        }
        if (erased) {
            return new Erased();
        }
        if (bytes.limit() < HEADER + 4 || bytes.getInt(T_MAGIC) != MAGIC) {
            return new Unreadable("bytes that are not a partition table (no magic DDPT)", false);
        }
        boolean torn = true;
        for (int i = MAX_BYTES; i < bytes.limit() && torn; i++) {
            torn = bytes.get(i) == (byte) 0xFF;
        }
        int format = bytes.getInt(T_FORMAT);
        if (format > FORMAT) {
            return new Newer(format);
        }
        int count = bytes.getInt(T_ENTRIES);
        if (format != FORMAT || count < 0 || count > MAX_ENTRIES || HEADER + count * ENTRY + 4 > bytes.limit()) {
            return new Unreadable("a damaged partition table (format " + format + ", " + count + " entries)", torn);
        }
        int end = HEADER + count * ENTRY;
        if (bytes.getInt(end) != crc(bytes, end)) {
            return new Unreadable("a damaged partition table (checksum mismatch)", torn);
        }
        List<FlashLayout.Region> entries = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int at = HEADER + i * ENTRY;
            int length = bytes.get(at) & 0xFF;
            if (length == 0 || length >= NAME) {
                return new Unreadable("a partition table with an entry name of " + length + " bytes", torn);
            }
            byte[] name = new byte[length];
            bytes.get(at + 1, name);
            entries.add(new FlashLayout.Region(new String(name, StandardCharsets.UTF_8), bytes.getLong(at + NAME),
                    bytes.getLong(at + NAME + 8)));
        }
        FlashGeometry geometry = new FlashGeometry(bytes.getLong(T_SIZE), bytes.getInt(T_BLOCK_SIZE),
                bytes.getInt(T_PROGRAM_SIZE));
        return new Valid(new FlashTable(geometry, bytes.getLong(T_SEQUENCE), entries));
    }

    private static int crc(ByteBuffer bytes, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes.slice(0, length));
        return (int) crc.getValue();
    }

    /** The geometry as a reason names it. */
    public static String describe(FlashGeometry geometry) {
        return "flash size " + hex(geometry.size()) + ", erase block " + hex(geometry.eraseBlockSize())
                + ", program size " + geometry.programSize();
    }

    public static String describe(FlashLayout.Region region) {
        return region.name() + " at [" + hex(region.offset()) + ", " + hex(region.end()) + ") (size "
                + hex(region.size()) + ")";
    }
}
