package datastore.images;

import static datastore.images.TestImages.assertInvalid;
import static datastore.images.TestImages.assertValid;
import static datastore.images.TestImages.be16;
import static datastore.images.TestImages.concat;
import static datastore.images.TestImages.encode;
import static datastore.images.TestImages.jpegSegment;
import static datastore.images.TestImages.picture;
import static datastore.images.TestImages.putBe16;
import static datastore.images.TestImages.resource;
import static datastore.images.TestImages.slice;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.awt.image.BufferedImage;

import javax.imageio.ImageWriteParam;

import org.junit.Test;

import datastore.image.ImageType;

public class JpegFormatTest {
    private static final ImageType JPEG = ImageType.JPEG;
    private static final int SOF0 = 0xC0;
    private static final int SOS = 0xDA;
    private final byte[] small = resource("small.jpg");
    /** Offsets in the sample, checked in {@link #theSampleHasTheLayoutTheseTestsAssume()}. */
    private static final int SAMPLE_SOF0 = 158;
    private static final int SAMPLE_SOS = 609;
    private static final int SAMPLE_ENTROPY = 623;

    @Test
    public void theSampleHasTheLayoutTheseTestsAssume() {
        assertEquals(SAMPLE_SOF0, jpegSegment(small, SOF0));
        assertEquals(SAMPLE_SOS, jpegSegment(small, SOS));
        assertEquals(SAMPLE_ENTROPY, SAMPLE_SOS + 2 + be16(small, SAMPLE_SOS + 2));
    }

    @Test
    public void acceptsTheSample() {
        assertValid(small, JPEG, 64, 48);
    }

    @Test
    public void acceptsColourAndGreyOfSeveralSizes() {
        int[][] sizes = {{1, 1}, {17, 9}, {64, 48}, {640, 480}, {8, 1000}};
        for (int[] size : sizes) {
            assertValid(encode(picture(size[0], size[1], BufferedImage.TYPE_INT_RGB), "jpeg"), JPEG, size[0], size[1]);
            assertValid(encode(picture(size[0], size[1], BufferedImage.TYPE_BYTE_GRAY), "jpeg"), JPEG, size[0], size[1]);
        }
    }

    @Test
    public void acceptsProgressiveJpegWithSeveralScans() {
        byte[] bytes = encode(picture(120, 90, BufferedImage.TYPE_INT_RGB), "jpeg",
                param -> param.setProgressiveMode(ImageWriteParam.MODE_DEFAULT));
        assertTrue(jpegSegment(bytes, 0xC2) > 0);
        assertValid(bytes, JPEG, 120, 90);
    }

    @Test
    public void acceptsHighQualityImagesFullOfStuffedBytes() {
        byte[] bytes = encode(picture(200, 100, BufferedImage.TYPE_INT_RGB), "jpeg", param -> {
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality(1.0f);
        });
        assertValid(bytes, JPEG, 200, 100);
    }

    @Test
    public void acceptsRestartMarkersFillBytesAndTem() {
        int inside = SAMPLE_ENTROPY + 40;
        while ((small[inside - 1] & 0xFF) == 0xFF) {
            inside++;
        }
        byte[] restart = insert(small, inside, 0xFF, 0xD3);
        assertValid(restart, JPEG, 64, 48);
        assertValid(insert(small, 20, 0xFF, 0xFF, 0xFF), JPEG, 64, 48);
        assertValid(insert(small, 2, 0xFF, 0x01), JPEG, 64, 48);
        assertValid(insert(small, small.length - 2, 0xFF, 0xFF), JPEG, 64, 48);
    }

    @Test
    public void acceptsOtherFrameTypesWithTheirPrecisions() {
        assertValid(with(small, SAMPLE_SOF0 + 1, 0xC1), JPEG, 64, 48);
        assertValid(with(with(small, SAMPLE_SOF0 + 1, 0xC1), SAMPLE_SOF0 + 4, 12), JPEG, 64, 48);
        assertValid(with(small, SAMPLE_SOF0 + 1, 0xC2), JPEG, 64, 48);
        assertValid(with(with(small, SAMPLE_SOF0 + 1, 0xC3), SAMPLE_SOF0 + 4, 16), JPEG, 64, 48);
        assertValid(with(with(small, SAMPLE_SOF0 + 1, 0xCB), SAMPLE_SOF0 + 4, 2), JPEG, 64, 48);
    }

    @Test
    public void refusesBadSignature() {
        assertInvalid(with(small, 1, 0xD9), JPEG, "bad signature: expected FF D8 (SOI), found FF D9");
        assertInvalid(resource("small.png"), JPEG, "bad signature: expected FF D8 (SOI), found 89 50");
        assertInvalid(slice(small, 0, 1), JPEG, "truncated: SOI marker at offset 0 needs 2 bytes, 1 remain");
    }

    @Test
    public void refusesTruncatedSegments() {
        assertInvalid(slice(small, 0, SAMPLE_SOF0 + 2 + 5), JPEG,
                "truncated: SOF0 segment at offset 158 declares 17 bytes from offset 160, 5 remain");
        assertInvalid(slice(small, 0, 2), JPEG, "truncated: data ends at offset 2 without EOI");
        assertInvalid(slice(small, 0, 3), JPEG, "truncated: data ends at offset 3 inside a marker, without EOI");
        assertInvalid(slice(small, 0, 5), JPEG, "truncated: APP0 segment length at offset 4 needs 2 bytes, 1 remain");
    }

    @Test
    public void refusesAFileWithoutEoi() {
        assertInvalid(slice(small, 0, small.length - 2), JPEG,
                "truncated: entropy-coded data from offset 623 ends at offset 950 without EOI");
        assertInvalid(slice(small, 0, small.length - 1), JPEG, "ends at offset 951 without EOI");
        assertInvalid(slice(small, 0, SAMPLE_ENTROPY), JPEG, "ends at offset 623 without EOI");
    }

    @Test
    public void refusesTrailingBytesAfterEoi() {
        assertInvalid(concat(small, new byte[] {0}), JPEG, "1 trailing bytes after EOI, from offset 952");
        assertInvalid(concat(small, small), JPEG, "952 trailing bytes after EOI, from offset 952");
    }

    @Test
    public void refusesZeroHeightAndWidth() {
        byte[] noHeight = small.clone();
        putBe16(noHeight, SAMPLE_SOF0 + 5, 0);
        assertInvalid(noHeight, JPEG,
                "SOF0 segment at offset 158: height 0 (to be defined by a later DNL segment) is not supported");
        byte[] noWidth = small.clone();
        putBe16(noWidth, SAMPLE_SOF0 + 7, 0);
        assertInvalid(noWidth, JPEG, "SOF0 segment at offset 158: width 0, must be positive");
    }

    @Test
    public void readsDimensionsUpTo65535() {
        byte[] big = small.clone();
        putBe16(big, SAMPLE_SOF0 + 5, 0xFFFF);
        putBe16(big, SAMPLE_SOF0 + 7, 0xFFFE);
        assertValid(big, JPEG, 0xFFFE, 0xFFFF);
    }

    @Test
    public void refusesPrecisionsTheProcessDoesNotHave() {
        assertInvalid(with(small, SAMPLE_SOF0 + 4, 12), JPEG, "sample precision 12, baseline JPEG needs 8");
        assertInvalid(with(with(small, SAMPLE_SOF0 + 1, 0xC1), SAMPLE_SOF0 + 4, 9), JPEG,
                "SOF1 segment at offset 158: sample precision 9, DCT-based JPEG needs 8 or 12");
        assertInvalid(with(with(small, SAMPLE_SOF0 + 1, 0xC3), SAMPLE_SOF0 + 4, 1), JPEG,
                "sample precision 1, lossless JPEG needs 2..16");
        assertInvalid(with(with(small, SAMPLE_SOF0 + 1, 0xCF), SAMPLE_SOF0 + 4, 17), JPEG,
                "SOF15 segment at offset 158: sample precision 17, lossless JPEG needs 2..16");
    }

    @Test
    public void refusesBadComponentLists() {
        assertInvalid(with(small, SAMPLE_SOF0 + 9, 0), JPEG, "0 components, must be 1..255");
        assertInvalid(with(small, SAMPLE_SOF0 + 9, 2), JPEG, "length 17, a frame header with 2 components needs 14");
        assertInvalid(with(with(small, SAMPLE_SOF0 + 1, 0xC2), SAMPLE_SOF0 + 9, 5), JPEG,
                "5 components, must be 1..4 for progressive JPEG");
        int first = SAMPLE_SOF0 + 10;
        assertInvalid(with(small, first + 3, small[first] & 0xFF), JPEG, "component id 1 appears twice");
        assertInvalid(with(small, first + 1, 0x00), JPEG, "component 1 has sampling factors 0x0, each must be 1..4");
        assertInvalid(with(small, first + 1, 0x51), JPEG, "component 1 has sampling factors 5x1");
        assertInvalid(with(small, first + 2, 4), JPEG, "component 1 names quantization table 4, must be 0..3");
        byte[] shortFrame = small.clone();
        putBe16(shortFrame, SAMPLE_SOF0 + 2, 7);
        assertInvalid(shortFrame, JPEG, "SOF0 segment at offset 158: length 7, a frame header needs at least 8");
    }

    @Test
    public void refusesAScanWithoutFrameAndASecondFrame() {
        assertInvalid(with(small, SAMPLE_SOF0 + 1, 0xEF), JPEG,
                "SOS segment at offset 609: scan before any frame header (SOFn)");
        byte[] sof = slice(small, SAMPLE_SOF0, SAMPLE_SOF0 + 19);
        byte[] twice = concat(slice(small, 0, SAMPLE_SOF0 + 19), sof, slice(small, SAMPLE_SOF0 + 19, small.length));
        assertInvalid(twice, JPEG, "second frame header SOF0 segment at offset 177 (hierarchical JPEG is not supported)");
    }

    @Test
    public void refusesBadScanHeaders() {
        int ns = SAMPLE_SOS + 4;
        assertInvalid(with(small, ns, 0), JPEG, "SOS segment at offset 609: 0 components in a scan, must be 1..4");
        assertInvalid(with(small, ns, 5), JPEG, "5 components in a scan, must be 1..4");
        assertInvalid(with(small, ns, 2), JPEG, "length 12, a scan header with 2 components needs 10");
        assertInvalid(with(small, ns + 1, 9), JPEG, "component 9 is not in the frame header");
        assertInvalid(with(small, ns + 2, 0x40), JPEG, "names entropy tables 4/0, each must be 0..3");
        assertInvalid(with(small, ns + 2, 0x04), JPEG, "names entropy tables 0/4, each must be 0..3");
        byte[] shortScan = small.clone();
        putBe16(shortScan, SAMPLE_SOS + 2, 2);
        assertInvalid(shortScan, JPEG, "SOS segment at offset 609: length 2, a scan header needs at least 3");
    }

    @Test
    public void refusesEoiBeforeAnyScan() {
        byte[] header = concat(slice(small, 0, 2), slice(small, SAMPLE_SOF0, SAMPLE_SOF0 + 19), new byte[] {(byte) 0xFF, (byte) 0xD9});
        assertInvalid(header, JPEG, "EOI at offset 21 before any scan (SOS)");
    }

    @Test
    public void refusesSegmentLengthsBelowTwo() {
        byte[] bytes = small.clone();
        putBe16(bytes, 22, 1);
        assertInvalid(bytes, JPEG, "DQT segment at offset 20: length 1, must be at least 2");
        putBe16(bytes, 22, 0);
        assertInvalid(bytes, JPEG, "DQT segment at offset 20: length 0, must be at least 2");
    }

    @Test
    public void refusesBytesThatAreNotMarkersBetweenSegments() {
        assertInvalid(insert(small, 2, 0x00), JPEG, "expected a marker at offset 2, found byte 00");
        assertInvalid(insert(small, 2, 0xFF, 0x00), JPEG, "stuffed byte FF 00 at offset 2 outside entropy-coded data");
        assertInvalid(insert(small, 2, 0xFF, 0xD8), JPEG, "second SOI at offset 2");
        assertInvalid(insert(small, 2, 0xFF, 0x02, 0x00, 0x02), JPEG, "reserved marker FF 02 at offset 2");
        assertInvalid(insert(small, 2, 0xFF, 0xFF, 0xBF, 0x00, 0x02), JPEG, "reserved marker FF BF at offset 3");
    }

    private static byte[] with(byte[] bytes, int offset, int value) {
        byte[] copy = bytes.clone();
        copy[offset] = (byte) value;
        return copy;
    }

    private static byte[] insert(byte[] bytes, int offset, int... values) {
        return concat(slice(bytes, 0, offset), TestImages.Chunk.bytes(values), slice(bytes, offset, bytes.length));
    }
}
