package datastore.device;

import static datastore.device.NorFlash.hex;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.stream.Collectors;

import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.Designate;

import datastore.Partitions;
import datastore.flash.FlashRegion;
import datastore.flash.RollbackIndex;
import datastore.flashtable.FlashLayout;
import datastore.flashtable.FlashTable;
import datastore.flashtable.FlashTableImage;
import datastore.flashtable.ReservedBlocks;
import datastore.flashtable.RollbackIndexArea;
import datastore.spi.PartitionStore;
import datastore.spi.RefusedPartition;

/**
 * The partition table: opens the flash file and registers one {@link FlashRegion} service per
 * partition, with the service property {@code region=<partition name>}, for as long as it is active.
 * The layout is configuration (PID {@code datastore.device.FlashPartitionTable}); an invalid layout,
 * or a flash file that does not match it, fails activation with a message naming the numbers. The
 * flash carries its own copy of the table in its last two erase blocks ({@link FlashTableArea}), written
 * when that area is erased (a fresh flash, or one from a build without it). A region whose entry there
 * differs from the configuration - or every region, for a table of another geometry, a newer format or
 * bytes that are no table - is not registered: a {@link RefusedPartition} service stands in its place,
 * naming both sides, with every byte of the flash left as it was until its {@link RefusedPartition#format()}
 * (or {@code accept.table.change}) erases the region and records it in the table. A configuration change
 * deactivates and activates the table again, so the partitions bound to the regions restart on the new
 * layout.
 */
@Component(immediate = true)
@Designate(ocd = FlashConfiguration.class)
public final class FlashPartitionTable {
    /** Framework property naming the folder of the dock's persistent data, where the flash file goes by default. */
    public static final String DATA_DIR = "datastore.data.dir";
    /** The flash file's name inside the data folder. */
    public static final String FLASH_FILE = "flash.img";

    private static final System.Logger LOG = System.getLogger(FlashPartitionTable.class.getName());

    private final List<ServiceRegistration<?>> registrations = new ArrayList<>();
    /** The regions refused at activation and not formatted since; guarded by this. */
    private final List<RefusedRegion> refused = new ArrayList<>();
    private NorFlash flash;
    private BundleContext context;
    private Path file;
    private FlashLayout layout;
    private FlashTableArea area;

    /**
     * Validates the layout, opens the flash file, checks the flash's own partition table against the
     * layout and registers the regions that agree (and a refused partition for each that does not).
     * Services are registered under this component's lock, so a concurrent {@code format()} or
     * deactivation sees all of them or none.
     *
     * @throws IllegalArgumentException if the layout is invalid
     * @throws IOException if the flash file cannot be opened or does not match the layout
     */
    @Activate
    synchronized void activate(BundleContext context, FlashConfiguration config) throws IOException {
        String described = context.getProperty(FlashRegion.FLASH_FILE);
        Path file;
        FlashLayout layout;
        if (described != null && !described.isBlank()) {
            file = Path.of(described.strip());
            layout = describedLayout(file);
            LOG.log(System.Logger.Level.INFO, "flash " + file + " (framework property " + FlashRegion.FLASH_FILE
                    + ") served with the layout of its own partition table: " + layout.regions()
                    + "; the configured layout is not used");
        } else {
            layout = layout(config);
            file = flashFile(config.path(), context);
        }
        keepPrivate(context.getProperty(DATA_DIR));
        this.flash = NorFlash.open(file, layout.geometry().size(), layout.geometry().eraseBlockSize(),
                layout.geometry().programSize());
        this.context = context;
        this.file = file;
        this.layout = layout;
        try {
            area = new FlashTableArea(flash);
            FlashTableArea.Found found = area.read();
            Map<String, String> refusals = refusals(found, layout);
            if (found.erased()) {
                area.write(FlashTable.of(layout, found.nextSequence()), found);
                LOG.log(System.Logger.Level.INFO, "wrote the partition table to the erased table area of " + file);
            } else if (!refusals.isEmpty() && config.accept_table_change()) {
                for (FlashLayout.Region region : layout.regions()) {
                    String reason = refusals.get(region.name());
                    if (reason != null) {
                        LOG.log(System.Logger.Level.WARNING, "accept.table.change is set: erasing the " + region
                                + " of " + file + " and accepting the configured table; " + reason);
                        erase(region);
                    }
                }
                area.write(FlashTable.of(layout, found.nextSequence()), found);
                refusals.clear();
            } else if (refusals.isEmpty() && !found.intact() && found.newer().isEmpty() && found.table()
                    .filter(table -> table.geometry().equals(layout.geometry())).isPresent()) {
                // One copy damaged, or a rewrite cut between the copies: rewrite the table in force.
                FlashTable table = found.table().orElseThrow();
                LOG.log(System.Logger.Level.WARNING, found.describe() + "; rewriting both copies of the table in force");
                area.write(new FlashTable(table.geometry(), found.nextSequence(), table.entries()), found);
            }
            // Before the regions, so a partition that binds to both finds the index as it starts.
            registerRollbackIndex(layout);
            for (FlashLayout.Region region : layout.regions()) {
                String reason = refusals.get(region.name());
                if (reason == null) {
                    register(region);
                } else {
                    LOG.log(System.Logger.Level.ERROR, "partition " + region.name() + " refused: " + reason);
                    RefusedRegion refusal = new RefusedRegion(region, reason);
                    refused.add(refusal);
                    // At the partition's own rank, so the store keeps its place in the lookup order and
                    // nothing answers from below it; a partition without a known rank registers none.
                    OptionalInt rank = Partitions.ranking(region.name());
                    Map<String, Object> properties = rank.isPresent()
                            ? PartitionStore.serviceProperties(region.name(), rank.getAsInt())
                            : new java.util.HashMap<>(Map.of(RefusedPartition.PARTITION, region.name()));
                    properties.put(Constants.SERVICE_DESCRIPTION, "Refused flash " + region + " of " + file);
                    refusal.registration = context.registerService(RefusedPartition.class, refusal,
                            FrameworkUtil.asDictionary(properties));
                    registrations.add(refusal.registration);
                }
            }
        } catch (IOException | RuntimeException e) {
            deactivate();
            throw e;
        }
    }

    /** Unregisters the regions first, so their partitions stop before the flash file closes under them. */
    @Deactivate
    synchronized void deactivate() throws IOException {
        for (ServiceRegistration<?> registration : registrations) {
            try {
                registration.unregister();
            } catch (IllegalStateException alreadyGone) {
                // The framework unregisters a stopping bundle's services itself.
            }
        }
        registrations.clear();
        refused.clear();
        NorFlash closing = flash;
        flash = null;
        if (closing != null) {
            closing.close();
        }
    }

    /**
     * Why each configured region must not be registered, by name; empty when the flash's table agrees
     * with the configuration or the table area is erased.
     */
    static Map<String, String> refusals(FlashTableArea.Found found, FlashLayout layout) {
        Map<String, String> refusals = new LinkedHashMap<>();
        if (found.erased()) {
            return refusals;
        }
        Optional<Integer> newer = found.newer();
        Optional<FlashTable> table = found.table();
        for (FlashLayout.Region region : layout.regions()) {
            String configured = "the configuration has " + FlashTable.describe(region);
            String reason;
            if (newer.isPresent()) {
                reason = "the flash's partition table is in format " + newer.get() + ", newer than this build's "
                        + FlashTable.FORMAT + "; " + configured;
            } else if (table.isEmpty()) {
                reason = found.describe() + ", neither a partition table nor erased; " + configured;
            } else if (!table.get().geometry().equals(layout.geometry())) {
                reason = "the flash's partition table was written for " + FlashTable.describe(table.get().geometry())
                        + ", the configuration has " + FlashTable.describe(layout.geometry());
            } else {
                Optional<FlashLayout.Region> entry = table.get().entry(region.name());
                if (entry.isPresent() && entry.get().equals(region)) {
                    continue;
                }
                reason = entry.map(old -> "the flash's partition table has " + FlashTable.describe(old))
                        .orElse("the flash's partition table has no " + region.name() + " region (it lists "
                                + (table.get().entries().isEmpty() ? "none"
                                        : table.get().entries().stream().map(FlashTable::describe)
                                                .collect(Collectors.joining(", ")))
                                + ")")
                        + ", " + configured;
            }
            refusals.put(region.name(), reason + "; the region is not registered and its bytes are left as they are "
                    + "until the partition is formatted (" + RefusedPartition.class.getName()
                    + ".format) or the table change is accepted (accept.table.change)");
        }
        return refusals;
    }

    /** Erases a refused region, records it in the flash's table, then registers it in place of its refusal. */
    void format(RefusedRegion refusal) throws IOException {
        synchronized (this) {
            if (flash == null || !refused.contains(refusal)) {
                throw new IOException("the " + refusal.region + " of the flash is no longer refused: the partition "
                        + "table was deactivated or the region formatted already");
            }
            LOG.log(System.Logger.Level.WARNING, "formatting the " + refusal.region + " of " + file
                    + " on request, which erases it; it was refused because " + refusal.reason);
            erase(refusal.region);
            FlashTableArea.Found found = area.read();
            FlashTable base = found.newer().isPresent() ? null
                    : found.table().filter(table -> table.geometry().equals(layout.geometry())).orElse(null);
            if (base == null) {
                base = new FlashTable(layout.geometry(), 0, List.of());
            }
            area.write(base.with(refusal.region, found.nextSequence()), found);
            refused.remove(refusal);
            registrations.remove(refusal.registration);
            try {
                refusal.registration.unregister();
            } catch (IllegalStateException alreadyGone) {
                // The bundle is stopping.
            }
            register(refusal.region);
        }
    }

    private void erase(FlashLayout.Region region) throws IOException {
        FlashRegion target = flash.region(region.name(), region.offset(), region.size());
        for (int block = 0; block < target.geometry().blocks(); block++) {
            target.erase(block);
        }
        target.sync();
    }

    /**
     * Registers the rollback index on the two erase blocks before the partition table, unless a
     * configured region reaches into them or they hold another region's bytes: then it is left out and
     * the log says why (partitions that refuse older images then work without it, as unsigned docks do).
     */
    private void registerRollbackIndex(FlashLayout layout) throws IOException {
        long blockSize = layout.geometry().eraseBlockSize();
        long start = RollbackIndexArea.offset(layout.geometry().size(), layout.geometry().eraseBlockSize());
        if (start < 0) {
            LOG.log(System.Logger.Level.WARNING, "no rollback index: the flash has no room for it before the "
                    + "partition table");
            return;
        }
        for (FlashLayout.Region region : layout.regions()) {
            if (region.end() > start && region.offset() < start + ReservedBlocks.ROLLBACK_INDEX * blockSize) {
                LOG.log(System.Logger.Level.WARNING, "no rollback index: the " + region + " reaches into ["
                        + hex(start) + ", " + hex(start + ReservedBlocks.ROLLBACK_INDEX * blockSize)
                        + "), the two erase blocks before the partition table that keep it; signed ROM images "
                        + "are not checked against rollback");
                return;
            }
        }
        RollbackIndexArea index;
        try {
            index = new RollbackIndexArea(flash.region(RollbackIndexArea.NAME, start,
                    ReservedBlocks.ROLLBACK_INDEX * blockSize));
        } catch (IllegalStateException e) {
            LOG.log(System.Logger.Level.ERROR, "no rollback index: " + e.getMessage());
            return;
        }
        registrations.add(context.registerService(RollbackIndex.class, index, FrameworkUtil.asDictionary(Map.of(
                Constants.SERVICE_DESCRIPTION, "ROM rollback index of " + file))));
    }

    private void register(FlashLayout.Region region) {
        FlashRegion service = flash.region(region.name(), region.offset(), region.size());
        registrations.add(context.registerService(FlashRegion.class, service, FrameworkUtil.asDictionary(Map.of(
                FlashRegion.REGION, region.name(),
                Constants.SERVICE_DESCRIPTION, "Flash " + region + " of " + file))));
    }

    /** A region the flash's table disagrees with, registered as a {@link RefusedPartition} in its place. */
    final class RefusedRegion implements RefusedPartition {
        final FlashLayout.Region region;
        final String reason;
        ServiceRegistration<RefusedPartition> registration;

        RefusedRegion(FlashLayout.Region region, String reason) {
            this.region = region;
            this.reason = reason;
        }

        @Override
        public String name() {
            return region.name();
        }

        @Override
        public String reason() {
            return reason;
        }

        /** Erases the region (destroying what it held), records it in the flash's table and registers it. */
        @Override
        public void format() throws IOException {
            FlashPartitionTable.this.format(this);
        }

        @Override
        public String toString() {
            return "refused " + region + ": " + reason;
        }
    }

    /**
     * Makes the dock's data folder its owner's alone (0700), creating it so if missing: it holds the
     * flash, the configuration and the credentials, which no other user of the machine may read,
     * however the dock was started (./dock sets a umask of its own; a plain java -jar may not).
     */
    static void keepPrivate(String dataDir) throws IOException {
        if (dataDir == null || dataDir.isBlank()
                || !java.nio.file.FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            return;
        }
        Path folder = Path.of(dataDir.strip());
        if (!java.nio.file.Files.isDirectory(folder)) {
            java.nio.file.Files.createDirectories(folder, NorFlash.ownerOnlyFolder());
        }
        java.util.Set<java.nio.file.attribute.PosixFilePermission> ownerOnly =
                java.nio.file.attribute.PosixFilePermissions.fromString("rwx------");
        if (!java.nio.file.Files.getPosixFilePermissions(folder).equals(ownerOnly)) {
            java.nio.file.Files.setPosixFilePermissions(folder, ownerOnly);
            LOG.log(System.Logger.Level.INFO, "data folder " + folder + " made private to its owner (0700)");
        }
    }

    /**
     * The layout a flash file's own partition table names, for a flash built for manufacture or a device
     * dump ({@link FlashRegion#FLASH_FILE}): its geometry and its ROM and runtime regions (a region the
     * table lacks is left out).
     *
     * @throws IOException if the file is missing or holds no intact partition table
     */
    static FlashLayout describedLayout(Path file) throws IOException {
        if (!java.nio.file.Files.isRegularFile(file)) {
            throw new IOException("flash file " + file + " (framework property " + FlashRegion.FLASH_FILE
                    + ") does not exist");
        }
        FlashTableImage.Table table = FlashTableImage.read(file).orElseThrow(() -> new IOException("flash file "
                + file + " (framework property " + FlashRegion.FLASH_FILE + ") holds no intact partition table in "
                + "its last two erase blocks, so it does not describe its own layout; configure the layout instead"));
        // Only the regions this dock has partitions for; the rest of the table is left as it is.
        return FlashTableImage.layout(new FlashTableImage.Table(table.geometry(), table.regions().stream()
                .filter(region -> region.name().equals(Partitions.ROM) || region.name().equals(Partitions.RUNTIME))
                .toList()));
    }

    static FlashLayout layout(FlashConfiguration config) {
        return FlashLayout.of(config.size(), config.erase_block_size(), config.program_size(),
                new FlashLayout.Region(Partitions.ROM, config.rom_offset(), config.rom_size()),
                new FlashLayout.Region(Partitions.RUNTIME, config.runtime_offset(), config.runtime_size()));
    }

    /**
     * The configured path as given (relative to the working folder), else {@code flash.img} in the
     * {@value #DATA_DIR} folder, else in the framework storage folder, else in this bundle's data
     * area (which lives inside the framework storage).
     */
    static Path flashFile(String configured, BundleContext context) {
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured.strip());
        }
        for (String property : new String[] {DATA_DIR, Constants.FRAMEWORK_STORAGE}) {
            String folder = context.getProperty(property);
            if (folder != null && !folder.isBlank()) {
                return Path.of(folder.strip(), FLASH_FILE);
            }
        }
        File data = context.getDataFile(FLASH_FILE);
        if (data == null) {
            throw new IllegalArgumentException("no flash file: configure path, or set the " + DATA_DIR
                    + " framework property (the framework has no storage area to fall back on)");
        }
        return data.toPath();
    }
}
