package datastore.rom;

import java.util.function.Supplier;

import datastore.Partitions;
import datastore.ReadOnlyPartitionException;
import datastore.image.ImageFormat;
import datastore.spi.RomContent;
import datastore.spi.RomInfo;
import datastore.spi.RomProvisioning;

/**
 * Development replaces of the application ROM store, over the partition's {@link RomStore}. The
 * partition registers it only in development mode; an instance reached in production refuses every
 * replace, so no path writes the ROM there.
 */
final class RomProvisioningService implements RomProvisioning {
    private final RomStore store;
    private final Supplier<ImageFormat> formats;
    private final boolean development;

    RomProvisioningService(RomStore store, Supplier<ImageFormat> formats, boolean development) {
        this.store = store;
        this.formats = formats;
        this.development = development;
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
        return store.replace(content, format);
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
        return store.install(bytes);
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
