package datastore.images;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.Consumer;
import java.util.zip.CRC32;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

import datastore.InvalidImageException;
import datastore.image.ImageHeader;
import datastore.image.ImageType;

/** Test images: the bundled samples, images encoded by ImageIO, and byte-level surgery on them. */
final class TestImages {
    static final ImageFormats FORMATS = new ImageFormats();

    private TestImages() {
    }

    static byte[] resource(String name) {
        try (InputStream in = TestImages.class.getResourceAsStream(name)) {
            assertNotNull("test resource " + name, in);
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An image with gradients and shapes, so encoders produce realistic, non-trivial data. */
    static BufferedImage picture(int width, int height, int imageType) {
        BufferedImage image = new BufferedImage(width, height, imageType);
        paint(image);
        return image;
    }

    /** An indexed image with {@code 1 << bits} palette entries. */
    static BufferedImage indexed(int width, int height, int bits) {
        int size = 1 << bits;
        byte[] r = new byte[size];
        byte[] g = new byte[size];
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            r[i] = (byte) (i * 255 / (size - 1));
            g[i] = (byte) (255 - i * 255 / (size - 1));
            b[i] = (byte) (i * 37);
        }
        IndexColorModel model = new IndexColorModel(bits, size, r, g, b);
        BufferedImage image = new BufferedImage(width, height,
                bits <= 4 ? BufferedImage.TYPE_BYTE_BINARY : BufferedImage.TYPE_BYTE_INDEXED, model);
        paint(image);
        return image;
    }

    private static void paint(BufferedImage image) {
        Graphics2D g = image.createGraphics();
        int w = image.getWidth();
        int h = image.getHeight();
        for (int x = 0; x < w; x++) {
            g.setColor(new Color((x * 255 / Math.max(1, w - 1)), 128, 255 - x * 255 / Math.max(1, w - 1), 200));
            g.drawLine(x, 0, x, h - 1);
        }
        g.setColor(Color.YELLOW);
        g.fillOval(w / 4, h / 4, Math.max(1, w / 2), Math.max(1, h / 2));
        g.dispose();
    }

    static byte[] encode(BufferedImage image, String format) {
        return encode(image, format, param -> { });
    }

    static byte[] encode(BufferedImage image, String format, Consumer<ImageWriteParam> settings) {
        Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName(format);
        assertTrue("ImageIO writer for " + format, writers.hasNext());
        ImageWriter writer = writers.next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
            writer.setOutput(out);
            ImageWriteParam param = writer.getDefaultWriteParam();
            settings.accept(param);
            writer.write(null, new IIOImage(image, null, null), param);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }

    static ImageHeader inspect(byte[] bytes, ImageType type) {
        return FORMATS.inspect(ByteBuffer.wrap(bytes), type);
    }

    static void assertValid(byte[] bytes, ImageType type, int width, int height) {
        assertEquals(new ImageHeader(type, width, height), inspect(bytes, type));
    }

    /** Asserts that inspection fails for {@code type} with a reason containing {@code fragment}. */
    static InvalidImageException assertInvalid(byte[] bytes, ImageType type, String fragment) {
        try {
            ImageHeader header = inspect(bytes, type);
            fail("expected InvalidImageException containing \"" + fragment + "\", got " + header);
            return null;
        } catch (InvalidImageException e) {
            assertEquals(type, e.type());
            assertTrue("reason \"" + e.reason() + "\" should contain \"" + fragment + "\"", e.reason().contains(fragment));
            assertTrue(e.getMessage().contains(e.reason()));
            return e;
        }
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    static byte[] slice(byte[] bytes, int from, int to) {
        return java.util.Arrays.copyOfRange(bytes, from, to);
    }

    static void putLe16(byte[] bytes, int offset, int value) {
        bytes[offset] = (byte) value;
        bytes[offset + 1] = (byte) (value >> 8);
    }

    static void putLe32(byte[] bytes, int offset, long value) {
        putLe16(bytes, offset, (int) value);
        putLe16(bytes, offset + 2, (int) (value >> 16));
    }

    static void putBe16(byte[] bytes, int offset, int value) {
        bytes[offset] = (byte) (value >> 8);
        bytes[offset + 1] = (byte) value;
    }

    static void putBe32(byte[] bytes, int offset, long value) {
        putBe16(bytes, offset, (int) (value >> 16));
        putBe16(bytes, offset + 2, (int) value);
    }

    static int be16(byte[] bytes, int offset) {
        return (bytes[offset] & 0xFF) << 8 | bytes[offset + 1] & 0xFF;
    }

    static long be32(byte[] bytes, int offset) {
        return (long) be16(bytes, offset) << 16 | be16(bytes, offset + 2);
    }

    /** One PNG chunk, for taking valid files apart and building variants with correct CRCs. */
    record Chunk(String type, byte[] data) {
        Chunk(String type, int... data) {
            this(type, bytes(data));
        }

        static byte[] bytes(int... values) {
            byte[] out = new byte[values.length];
            for (int i = 0; i < values.length; i++) {
                out[i] = (byte) values[i];
            }
            return out;
        }
    }

    static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};

    /** The chunks of a valid PNG, in order. */
    static List<Chunk> chunks(byte[] png) {
        List<Chunk> chunks = new ArrayList<>();
        int at = 8;
        while (at < png.length) {
            int length = (int) be32(png, at);
            String type = new String(png, at + 4, 4, java.nio.charset.StandardCharsets.US_ASCII);
            chunks.add(new Chunk(type, slice(png, at + 8, at + 8 + length)));
            at += 12 + length;
        }
        return chunks;
    }

    /** A PNG made of the signature and {@code chunks}, each with its correct CRC. */
    static byte[] png(List<Chunk> chunks) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(PNG_SIGNATURE);
        for (Chunk chunk : chunks) {
            byte[] length = new byte[4];
            putBe32(length, 0, chunk.data().length);
            out.writeBytes(length);
            byte[] typeAndData = concat(chunk.type().getBytes(java.nio.charset.StandardCharsets.ISO_8859_1), chunk.data());
            out.writeBytes(typeAndData);
            CRC32 crc = new CRC32();
            crc.update(typeAndData);
            byte[] crcBytes = new byte[4];
            putBe32(crcBytes, 0, crc.getValue());
            out.writeBytes(crcBytes);
        }
        return out.toByteArray();
    }

    /**
     * Rewrites the CRC of every chunk that fits in the data, so that a mutation is judged by the
     * checks behind the CRC and not only by the CRC itself.
     */
    static void fixCrcs(byte[] png) {
        long at = 8;
        while (at + 12 <= png.length) {
            long length = be32(png, (int) at);
            if (length > png.length - at - 12) {
                return;
            }
            CRC32 crc = new CRC32();
            crc.update(png, (int) at + 4, (int) length + 4);
            putBe32(png, (int) (at + 8 + length), crc.getValue());
            at += 12 + length;
        }
    }

    /** Offset of the first segment with {@code marker} in a valid JPEG's header segments. */
    static int jpegSegment(byte[] jpeg, int marker) {
        int at = 2;
        while (at + 4 <= jpeg.length) {
            int found = jpeg[at + 1] & 0xFF;
            if (found == marker) {
                return at;
            }
            if (found == 0xDA) {
                break;
            }
            at += 2 + be16(jpeg, at + 2);
        }
        throw new AssertionError("no marker FF " + Integer.toHexString(marker) + " before the first scan");
    }
}
