package datastore.romtool;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import datastore.flash.FlashGeometry;
import datastore.flash.FlashRegion;

/**
 * A ROM flash image file seen as a read-only flash region, so the dock's own mount code inspects it.
 * Programs and erases are refused: inspecting never changes the file.
 */
final class ImageFileRegion implements FlashRegion {
    private final Path file;
    private final String name;
    private final FlashGeometry geometry;
    private final ByteBuffer map;
    private final long deviceOffset;

    private ImageFileRegion(Path file, String name, FlashGeometry geometry, ByteBuffer map, long deviceOffset) {
        this.file = file;
        this.name = name;
        this.geometry = geometry;
        this.map = map;
        this.deviceOffset = deviceOffset;
    }

    /** The whole of {@code file} mapped read-only. */
    static ByteBuffer map(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            if (channel.size() > Integer.MAX_VALUE) {
                throw new IOException(file + " is over the 2 GiB a single memory map can hold");
            }
            // The mapping stays valid after the channel is closed.
            return channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size());
        }
    }

    /** The region {@code [offset, offset + size)} of a whole device dump mapped as {@code whole}. */
    static ImageFileRegion of(Path file, ByteBuffer whole, String name, long offset, long size, int eraseBlockSize,
            int programSize) {
        return new ImageFileRegion(file, name, new FlashGeometry(size, eraseBlockSize, programSize),
                whole.slice((int) offset, (int) size), offset);
    }

    ImageFileRegion(Path file, int eraseBlockSize, int programSize, long deviceOffset) throws IOException {
        this.file = file;
        this.name = "rom";
        this.deviceOffset = deviceOffset;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size == 0 || size % eraseBlockSize != 0 || size > Integer.MAX_VALUE) {
                throw new IOException(file + " is " + size + " bytes, not a positive multiple of the erase block size "
                        + eraseBlockSize + " of at most 2 GiB");
            }
            this.geometry = new FlashGeometry(size, eraseBlockSize, programSize);
            // The mapping stays valid after the channel is closed.
            this.map = channel.map(FileChannel.MapMode.READ_ONLY, 0, size);
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public FlashGeometry geometry() {
        return geometry;
    }

    /** Where the dock's partition table puts the ROM region, as the command line says. */
    @Override
    public long deviceOffset() {
        return deviceOffset;
    }

    @Override
    public void read(long offset, ByteBuffer dst) {
        dst.put(map.slice((int) offset, dst.remaining()));
    }

    @Override
    public void program(long offset, ByteBuffer src) throws IOException {
        throw new IOException(file + " is opened read-only for inspection");
    }

    @Override
    public void erase(int block) throws IOException {
        throw new IOException(file + " is opened read-only for inspection");
    }

    @Override
    public void sync() {
    }

    @Override
    public ByteBuffer map() {
        return map.duplicate();
    }

    @Override
    public long eraseCount(int block) {
        return 0;
    }
}
