package datastore.device;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

import datastore.Partitions;
import datastore.flash.FlashRegion;

/**
 * The partition table: opens the flash file and registers one {@link FlashRegion} service per
 * partition, with the service property {@code region=<partition name>}, for as long as it is active.
 * The layout is configuration (PID {@code datastore.device.FlashPartitionTable}); an invalid layout,
 * or a flash file that does not match it, fails activation with a message naming the numbers. A
 * configuration change deactivates and activates the table again, so the partitions bound to the
 * regions restart on the new layout.
 */
@Component(immediate = true)
@Designate(ocd = FlashPartitionTable.Config.class)
public final class FlashPartitionTable {
    /** Framework property naming the folder of the dock's persistent data, where the flash file goes by default. */
    public static final String DATA_DIR = "datastore.data.dir";
    /** The flash file's name inside the data folder. */
    public static final String FLASH_FILE = "flash.img";

    private static final long MIB = 1024 * 1024;

    @ObjectClassDefinition(name = "Dock Datastore flash",
            description = "The flash device and its partition table. Offsets and sizes are in bytes and must be "
                    + "multiples of the erase block size; a partition of size 0 is not registered. Changing the "
                    + "flash size or erase block size of an existing flash file is refused.")
    @interface Config {
        @AttributeDefinition(name = "Flash file",
                description = "The file holding the flash image. Empty: flash.img in the folder named by the "
                        + "datastore.data.dir framework property, else in the framework storage folder.")
        String path() default "";

        @AttributeDefinition(name = "Flash size", description = "The size of the whole flash device in bytes "
                + "(default 128 MiB, a 1 Gbit NOR chip). Partitions need not fill it.")
        long size() default 128 * MIB;

        @AttributeDefinition(name = "Erase block size",
                description = "The size of one erase block in bytes, a power of two.")
        int erase_block_size() default 65536;

        @AttributeDefinition(name = "Program size", description = "The program granularity in bytes: a power of "
                + "two no larger than the erase block; programs are aligned to it.")
        int program_size() default 16;

        @AttributeDefinition(name = "ROM offset", description = "Where the ROM (factory) partition starts.")
        long rom_offset() default 0;

        @AttributeDefinition(name = "ROM size", description = "The ROM partition's size in bytes (default 28 MiB: "
                + "two slots of 13 MiB payload, their indexes and a commit record).")
        long rom_size() default 28 * MIB;

        @AttributeDefinition(name = "Runtime offset", description = "Where the runtime partition starts (default "
                + "32 MiB, leaving 4 MiB after the ROM that it can grow into without moving the runtime partition).")
        long runtime_offset() default 32 * MIB;

        @AttributeDefinition(name = "Runtime size", description = "The runtime partition's size in bytes (default "
                + "80 MiB: 13 MiB payload in up to 131072 entries with their record overhead, room for the largest "
                + "single write and for garbage collection to move the largest record while values stay contiguous; "
                + "the runtime partition needs 1223 blocks of 64 KiB for its default configuration).")
        long runtime_size() default 80 * MIB;
    }

    private final List<ServiceRegistration<FlashRegion>> registrations = new ArrayList<>();
    private NorFlash flash;

    /**
     * Validates the layout, opens the flash file and registers the regions.
     *
     * @throws IllegalArgumentException if the layout is invalid
     * @throws IOException if the flash file cannot be opened or does not match the layout
     */
    @Activate
    void activate(BundleContext context, Config config) throws IOException {
        FlashLayout layout = layout(config);
        Path file = flashFile(config.path(), context);
        flash = NorFlash.open(file, layout.geometry().size(), layout.geometry().eraseBlockSize(),
                layout.geometry().programSize());
        try {
            for (FlashLayout.Region region : layout.regions()) {
                FlashRegion service = flash.region(region.name(), region.offset(), region.size());
                registrations.add(context.registerService(FlashRegion.class, service, FrameworkUtil.asDictionary(Map.of(
                        FlashRegion.REGION, region.name(),
                        Constants.SERVICE_DESCRIPTION, "Flash " + region + " of " + file))));
            }
        } catch (RuntimeException e) {
            deactivate();
            throw e;
        }
    }

    /** Unregisters the regions first, so their partitions stop before the flash file closes under them. */
    @Deactivate
    void deactivate() throws IOException {
        for (ServiceRegistration<FlashRegion> registration : registrations) {
            try {
                registration.unregister();
            } catch (IllegalStateException alreadyGone) {
                // The framework unregisters a stopping bundle's services itself.
            }
        }
        registrations.clear();
        NorFlash closing = flash;
        flash = null;
        if (closing != null) {
            closing.close();
        }
    }

    static FlashLayout layout(Config config) {
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
