package datastore.images;

import static datastore.images.TestImages.FORMATS;
import static datastore.images.TestImages.encode;
import static datastore.images.TestImages.indexed;
import static datastore.images.TestImages.picture;
import static datastore.images.TestImages.putLe32;
import static datastore.images.TestImages.resource;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

import javax.imageio.ImageWriteParam;

import org.junit.Test;

import datastore.InvalidImageException;
import datastore.image.ImageHeader;
import datastore.image.ImageType;

/**
 * Truncated and randomly mutated images: whatever the bytes, inspection answers a header or an
 * {@link InvalidImageException}, never another exception. The mutations are seeded, so a failure
 * names the image and iteration that reproduce it.
 */
public class HostileInputTest {
    private static final int MUTATIONS_PER_IMAGE = 3000;

    /** Small valid images covering the main code paths of each format, by name. */
    private static Map<String, Sample> samples() {
        Map<String, Sample> samples = new LinkedHashMap<>();
        samples.put("small.png", new Sample(ImageType.PNG, resource("small.png")));
        samples.put("small.bmp", new Sample(ImageType.BMP, resource("small.bmp")));
        samples.put("small.jpg", new Sample(ImageType.JPEG, resource("small.jpg")));
        samples.put("palette.png", new Sample(ImageType.PNG, encode(indexed(9, 7, 8), "png")));
        samples.put("interlaced.png", new Sample(ImageType.PNG, encode(picture(9, 7, BufferedImage.TYPE_INT_ARGB), "png",
                param -> param.setProgressiveMode(ImageWriteParam.MODE_DEFAULT))));
        samples.put("rle8.bmp", new Sample(ImageType.BMP, encode(indexed(19, 6, 8), "bmp", param -> {
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionType("BI_RLE8");
        })));
        samples.put("rle4.bmp", new Sample(ImageType.BMP, encode(indexed(19, 6, 4), "bmp", param -> {
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionType("BI_RLE4");
        })));
        samples.put("bitfields.bmp", new Sample(ImageType.BMP, encode(picture(7, 5, BufferedImage.TYPE_USHORT_565_RGB), "bmp")));
        samples.put("progressive.jpg", new Sample(ImageType.JPEG, encode(picture(24, 16, BufferedImage.TYPE_INT_RGB), "jpeg",
                param -> param.setProgressiveMode(ImageWriteParam.MODE_DEFAULT))));
        return samples;
    }

    @Test
    public void everyTruncationIsRefusedWithTheDocumentedException() {
        for (Map.Entry<String, Sample> entry : samples().entrySet()) {
            Sample sample = entry.getValue();
            assertEquals(entry.getKey(), sample.type(), FORMATS.inspect(ByteBuffer.wrap(sample.bytes()), sample.type()).type());
            for (int length = 0; length < sample.bytes().length; length++) {
                byte[] prefix = Arrays.copyOf(sample.bytes(), length);
                String context = entry.getKey() + " cut to " + length + " bytes";
                try {
                    FORMATS.inspect(ByteBuffer.wrap(prefix), sample.type());
                    fail(context + " was accepted");
                } catch (InvalidImageException expected) {
                    assertEquals(sample.type(), expected.type());
                }
                assertEquals(context, Optional.empty(), inspectAll(prefix, context));
            }
        }
    }

    @Test
    public void randomMutationsNeverEscapeAsAnotherException() {
        long seed = 20_240_601L;
        for (Map.Entry<String, Sample> entry : samples().entrySet()) {
            Sample sample = entry.getValue();
            Random random = new Random(seed++);
            int accepted = 0;
            int refused = 0;
            for (int i = 0; i < MUTATIONS_PER_IMAGE; i++) {
                byte[] mutated = mutate(sample.bytes(), random);
                // Half of the time repair what guards the deeper checks (PNG CRCs, the BMP file
                // size), so that the mutation is judged by those checks and not only by the guard.
                if (random.nextBoolean()) {
                    if (sample.type() == ImageType.PNG) {
                        TestImages.fixCrcs(mutated);
                    } else if (sample.type() == ImageType.BMP && mutated.length >= 6) {
                        putLe32(mutated, 2, mutated.length);
                    }
                }
                String context = entry.getKey() + " mutation " + i + " (seed " + (seed - 1) + ")";
                if (inspectAll(mutated, context).isPresent()) {
                    accepted++;
                } else {
                    refused++;
                }
            }
            // Both outcomes occur, so the mutations reach past the signature and the checks do fire.
            assertTrue(entry.getKey() + " accepted " + accepted, accepted > 0);
            assertTrue(entry.getKey() + " refused " + refused, refused > 0);
        }
    }

    /**
     * Inspects {@code bytes} as every type and detects; answers what detect found. Fails on any
     * exception other than {@link InvalidImageException} and on inconsistent answers.
     */
    private static Optional<ImageHeader> inspectAll(byte[] bytes, String context) {
        ImageHeader valid = null;
        for (ImageType type : ImageType.values()) {
            try {
                ImageHeader header = FORMATS.inspect(ByteBuffer.wrap(bytes), type);
                assertEquals(context, type, header.type());
                assertTrue(context + ": " + header, header.width() > 0 && header.height() > 0);
                if (valid == null) {
                    valid = header;
                }
            } catch (InvalidImageException expected) {
                assertEquals(context, type, expected.type());
                assertTrue(context, expected.reason() != null && !expected.reason().isEmpty());
            } catch (RuntimeException | Error e) {
                throw new AssertionError(context + " as " + type + " threw " + e, e);
            }
        }
        Optional<ImageHeader> detected;
        try {
            detected = FORMATS.detect(ByteBuffer.wrap(bytes));
        } catch (RuntimeException | Error e) {
            throw new AssertionError(context + " detect threw " + e, e);
        }
        assertEquals(context, Optional.ofNullable(valid), detected);
        return detected;
    }

    private static final int[][] EXTREMES = {
        {0x00, 0x00, 0x00, 0x00}, {0xFF, 0xFF, 0xFF, 0xFF}, {0x7F, 0xFF, 0xFF, 0xFF}, {0x80, 0x00, 0x00, 0x00},
        {0xFF, 0xFF, 0xFF, 0x7F}, {0x00, 0x00, 0x00, 0x80}, {0xFF, 0xD9}, {0xFF, 0xDA}, {0xFF, 0x00}, {0x00, 0x01},
    };

    private static byte[] mutate(byte[] original, Random random) {
        byte[] bytes = original.clone();
        int rounds = 1 + random.nextInt(3);
        for (int round = 0; round < rounds && bytes.length > 0; round++) {
            int at = random.nextInt(bytes.length);
            switch (random.nextInt(8)) {
                case 0 -> bytes[at] ^= (byte) (1 << random.nextInt(8));
                case 1 -> bytes[at] = (byte) random.nextInt(256);
                case 2 -> {
                    int[] extreme = EXTREMES[random.nextInt(EXTREMES.length)];
                    for (int i = 0; i < extreme.length && at + i < bytes.length; i++) {
                        bytes[at + i] = (byte) extreme[i];
                    }
                }
                case 3 -> bytes = Arrays.copyOf(bytes, at);
                case 4 -> {
                    byte[] extra = new byte[1 + random.nextInt(8)];
                    random.nextBytes(extra);
                    bytes = TestImages.concat(Arrays.copyOf(bytes, at), extra, Arrays.copyOfRange(bytes, at, bytes.length));
                }
                case 5 -> {
                    int end = Math.min(bytes.length, at + 1 + random.nextInt(16));
                    bytes = TestImages.concat(Arrays.copyOf(bytes, at), Arrays.copyOfRange(bytes, end, bytes.length));
                }
                case 6 -> {
                    int end = Math.min(bytes.length, at + 1 + random.nextInt(32));
                    int to = random.nextInt(bytes.length);
                    bytes = TestImages.concat(Arrays.copyOf(bytes, to), Arrays.copyOfRange(bytes, at, end),
                            Arrays.copyOfRange(bytes, to, bytes.length));
                }
                default -> {
                    byte[] extra = new byte[1 + random.nextInt(4)];
                    random.nextBytes(extra);
                    bytes = TestImages.concat(bytes, extra);
                }
            }
        }
        return bytes;
    }

    private record Sample(ImageType type, byte[] bytes) {
    }
}
