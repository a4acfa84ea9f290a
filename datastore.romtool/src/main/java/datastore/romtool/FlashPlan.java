package datastore.romtool;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

import datastore.Partitions;
import datastore.flash.FlashGeometry;
import datastore.flashtable.DefaultFlashLayout;
import datastore.flashtable.FlashTableImage;
import datastore.flashtable.ReservedBlocks;
import datastore.romformat.RomImageFormat;
import datastore.romformat.RomLayout;
import datastore.logstore.RuntimePromise;

/**
 * The layout of one chip for manufacture: its geometry, the ROM and runtime regions and the payload
 * each promises. The regions are computed from the promises and the engines' needs (the ROM: the
 * smallest region whose slots hold the ROM promise; the runtime: {@link RuntimePromise#requiredBlocks}),
 * the ROM first, the runtime right after it, and the rollback index and partition table in the last
 * four erase blocks; or they are given by a layout file and checked against the promises. The dock's
 * default chip (128 MiB, 64 KiB erase blocks, 16-byte programs) with the default promises gets the
 * dock's default table, so a dock configured with its defaults accepts the flash as it is.
 *
 * @param table the partition table, validated as the device validates it
 * @param romPromise payload bytes the ROM keeps (application plus unique-per-dock data)
 * @param runtimePromise payload bytes the runtime partition keeps
 */
record FlashPlan(FlashTableImage.Table table, long romPromise, long runtimePromise) {
    static final long MIB = 1024 * 1024;

    private static final Set<String> KEYS = Set.of("chip_size", "erase_block_size", "program_size", "rom_payload",
            "runtime_payload", "rom", "runtime");

    FlashGeometry geometry() {
        return table.geometry();
    }

    FlashTableImage.Region rom() {
        return table.region(Partitions.ROM).orElseThrow();
    }

    FlashTableImage.Region runtime() {
        return table.region(Partitions.RUNTIME).orElseThrow();
    }

    /** The ROM region's own layout. */
    RomLayout romLayout() {
        return RomLayout.of(new FlashGeometry(rom().size(), geometry().eraseBlockSize(), geometry().programSize()));
    }

    /** The ROM payload a region of {@code blocks} erase blocks holds (its slot's room), or -1 if too small. */
    static long romRoom(long blocks, int blockSize, int programSize) {
        try {
            return RomImageFormat.roomFor(RomLayout.of(new FlashGeometry(blocks * blockSize, blockSize, programSize))
                    .slotImageRoom());
        } catch (IllegalArgumentException tooSmall) {
            return -1;
        }
    }

    /**
     * The layout of a chip of {@code chipSize} bytes for these promises.
     *
     * @throws IllegalArgumentException when the chip cannot keep them, with the numbers
     */
    static FlashPlan compute(long chipSize, int block, int program, long romPromise, long runtimePromise) {
        if (romPromise <= 0 || runtimePromise < 0) {
            throw new IllegalArgumentException("the ROM promise must be positive and the runtime promise not negative, "
                    + "not " + romPromise + " and " + runtimePromise);
        }
        if (chipSize == DefaultFlashLayout.CHIP_SIZE && block == DefaultFlashLayout.ERASE_BLOCK_SIZE && program == DefaultFlashLayout.PROGRAM_SIZE
                && romPromise == DefaultFlashLayout.ROM_PAYLOAD && runtimePromise == DefaultFlashLayout.RUNTIME_PAYLOAD) {
            return checked(new FlashTableImage.Table(new FlashGeometry(chipSize, block, program), List.of(
                    new FlashTableImage.Region(Partitions.ROM, DefaultFlashLayout.ROM_OFFSET, DefaultFlashLayout.ROM_SIZE),
                    new FlashTableImage.Region(Partitions.RUNTIME, DefaultFlashLayout.RUNTIME_OFFSET,
                            DefaultFlashLayout.RUNTIME_SIZE))),
                    romPromise, runtimePromise);
        }
        FlashGeometry geometry = new FlashGeometry(chipSize, block, program);
        long romBlocks = RomLayout.MIN_BLOCKS;
        long chipBlocks = chipSize / block;
        while (romRoom(romBlocks, block, program) < romPromise) {
            romBlocks++;
            if (romBlocks > chipBlocks + 1) {
                break;
            }
        }
        long runtimeBlocks;
        try {
            runtimeBlocks = RuntimePromise.requiredBlocks(runtimePromise, geometry);
        } catch (IllegalArgumentException tooLarge) {
            runtimeBlocks = Long.MAX_VALUE / 4;
        }
        long needed = romBlocks + runtimeBlocks + ReservedBlocks.TOTAL;
        if (chipSize % block != 0 || needed > chipBlocks) {
            throw new IllegalArgumentException("a chip of " + size(chipSize) + " (" + chipBlocks + " erase blocks of "
                    + size(block) + ") cannot keep the promise: the ROM needs " + romBlocks + " blocks ("
                    + size(romBlocks * block) + ") for " + romPromise + " payload bytes, the runtime partition "
                    + runtimeBlocks + " blocks (" + size(runtimeBlocks * block) + ") for " + runtimePromise
                    + " bytes (names, values and " + RuntimePromise.ENTRY_CHARGE + " bytes an entry), the rollback index "
                    + "and the partition table " + ReservedBlocks.TOTAL + " blocks: " + needed + " blocks ("
                    + size(needed * block) + "), " + (needed - chipBlocks) + " more than the chip has");
        }
        return checked(new FlashTableImage.Table(geometry, List.of(
                new FlashTableImage.Region(Partitions.ROM, 0, romBlocks * block),
                new FlashTableImage.Region(Partitions.RUNTIME, romBlocks * block, runtimeBlocks * block))),
                romPromise, runtimePromise);
    }

    /**
     * Checks a table as the device does, and that its regions keep the promises.
     *
     * @throws IllegalArgumentException naming the numbers
     */
    static FlashPlan checked(FlashTableImage.Table table, long romPromise, long runtimePromise) {
        FlashTableImage.Table valid = FlashTableImage.validate(table);
        FlashGeometry geometry = valid.geometry();
        List<String> problems = new ArrayList<>();
        FlashTableImage.Region rom = valid.region(Partitions.ROM).orElse(null);
        FlashTableImage.Region runtime = valid.region(Partitions.RUNTIME).orElse(null);
        if (rom == null) {
            problems.add("the layout has no ROM region");
        } else {
            long room = romRoom(rom.size() / geometry.eraseBlockSize(), geometry.eraseBlockSize(), geometry.programSize());
            if (room < romPromise) {
                problems.add("the ROM region of " + size(rom.size()) + " holds " + Math.max(room, 0)
                        + " payload bytes in a slot, less than the promise of " + romPromise);
            }
        }
        if (runtime == null) {
            problems.add("the layout has no runtime region");
        } else {
            long needed = RuntimePromise.requiredBlocks(runtimePromise, geometry);
            long blocks = runtime.size() / geometry.eraseBlockSize();
            if (needed > blocks) {
                problems.add("the runtime region of " + blocks + " erase blocks (" + size(runtime.size()) + ") is "
                        + "smaller than the " + needed + " blocks (" + size(needed * geometry.eraseBlockSize())
                        + ") a capacity of " + runtimePromise + " bytes (names, values and "
                        + RuntimePromise.ENTRY_CHARGE + " bytes an entry) needs");
            }
        }
        long reserved = geometry.size() - (long) ReservedBlocks.TOTAL * geometry.eraseBlockSize();
        for (FlashTableImage.Region region : valid.regions()) {
            if (region.end() > reserved) {
                problems.add("the " + region.name() + " region reaches into [" + hex(reserved) + ", "
                        + hex(geometry.size()) + "), the last four erase blocks that keep the rollback index and the "
                        + "partition table");
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("the layout cannot keep its promise: " + String.join("; ", problems));
        }
        return new FlashPlan(valid, romPromise, runtimePromise);
    }

    /**
     * Reads a layout file (YAML): {@code chip_size}, optional {@code erase_block_size}, {@code program_size},
     * {@code rom_payload} and {@code runtime_payload}, and optional {@code rom} and {@code runtime} regions
     * ({@code offset}, {@code size}) that replace the computed ones. Sizes are bytes, or a number with KiB,
     * MiB or GiB.
     *
     * @throws IllegalArgumentException naming the key at fault, or the numbers of a layout that cannot
     *         keep its promise
     */
    static FlashPlan read(Path file) throws IOException {
        Object root;
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            root = new Yaml(new SafeConstructor(options)).load(reader);
        } catch (YAMLException e) {
            throw new IllegalArgumentException(file + ": not readable YAML: " + e.getMessage().replace('\n', ' '));
        }
        if (!(root instanceof Map<?, ?> map)) {
            throw new IllegalArgumentException(file + ": a layout file is a mapping of " + String.join(", ",
                    new java.util.TreeSet<>(KEYS)));
        }
        for (Object key : map.keySet()) {
            if (!KEYS.contains(String.valueOf(key))) {
                throw new IllegalArgumentException(file + ": unknown key " + key + "; expected one of " + String.join(
                        ", ", new java.util.TreeSet<>(KEYS)));
            }
        }
        if (!map.containsKey("chip_size")) {
            throw new IllegalArgumentException(file + ": chip_size is missing");
        }
        long chip = size(file, "chip_size", map.get("chip_size"));
        int block = (int) (map.containsKey("erase_block_size") ? size(file, "erase_block_size",
                map.get("erase_block_size")) : DefaultFlashLayout.ERASE_BLOCK_SIZE);
        int program = (int) (map.containsKey("program_size") ? size(file, "program_size", map.get("program_size"))
                : DefaultFlashLayout.PROGRAM_SIZE);
        long romPromise = map.containsKey("rom_payload") ? size(file, "rom_payload", map.get("rom_payload"))
                : DefaultFlashLayout.ROM_PAYLOAD;
        long runtimePromise = map.containsKey("runtime_payload") ? size(file, "runtime_payload",
                map.get("runtime_payload")) : DefaultFlashLayout.RUNTIME_PAYLOAD;
        if (!map.containsKey("rom") && !map.containsKey("runtime")) {
            return compute(chip, block, program, romPromise, runtimePromise);
        }
        if (!map.containsKey("rom") || !map.containsKey("runtime")) {
            throw new IllegalArgumentException(file + ": give both the rom and the runtime region, or neither (then "
                    + "they are computed from the promises)");
        }
        FlashGeometry geometry = new FlashGeometry(chip, block, program);
        return checked(new FlashTableImage.Table(geometry, List.of(region(file, Partitions.ROM, map.get("rom")),
                region(file, Partitions.RUNTIME, map.get("runtime")))), romPromise, runtimePromise);
    }

    private static FlashTableImage.Region region(Path file, String name, Object value) {
        if (!(value instanceof Map<?, ?> map) || !map.containsKey("offset") || !map.containsKey("size")
                || map.size() != 2) {
            throw new IllegalArgumentException(file + ": " + name + " is a mapping of offset and size");
        }
        return new FlashTableImage.Region(name, size(file, name + ".offset", map.get("offset")),
                size(file, name + ".size", map.get("size")));
    }

    private static long size(Path file, String key, Object value) {
        try {
            return parseSize(String.valueOf(value));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + key + ": " + e.getMessage());
        }
    }

    /** Bytes of "33554432", "0x2000000", "32MiB", "32 MiB", "32M", "64KiB", "1GiB". */
    static long parseSize(String text) {
        String t = text.strip().toUpperCase(Locale.ROOT).replace(" ", "").replace("_", "");
        long unit = 1;
        for (String[] suffix : new String[][] {{"GIB", "" + (1L << 30)}, {"MIB", "" + MIB}, {"KIB", "1024"},
            {"G", "" + (1L << 30)}, {"M", "" + MIB}, {"K", "1024"}, {"B", "1"}}) {
            if (t.endsWith(suffix[0]) && !t.startsWith("0X")) {
                unit = Long.parseLong(suffix[1]);
                t = t.substring(0, t.length() - suffix[0].length());
                break;
            }
        }
        long number;
        try {
            number = t.startsWith("0X") ? Long.parseLong(t.substring(2), 16) : Long.parseLong(t);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("\"" + text + "\" is not a size (bytes, or a number with KiB, MiB or GiB)");
        }
        if (number < 0 || number > Long.MAX_VALUE / unit) {
            throw new IllegalArgumentException("\"" + text + "\" is out of range");
        }
        return number * unit;
    }

    /** A size as people read it: "32 MiB", "64 KiB", else bytes. */
    static String size(long bytes) {
        if (bytes > 0 && bytes % MIB == 0) {
            return bytes / MIB + " MiB";
        }
        if (bytes > 0 && bytes % 1024 == 0) {
            return bytes / 1024 + " KiB";
        }
        return bytes + " bytes";
    }

    static String hex(long value) {
        return "0x" + Long.toHexString(value);
    }
}
