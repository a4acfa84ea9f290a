package datastore.spi;

import java.util.Map;

import datastore.image.ImageType;

/**
 * The application ROM store as a development replace or a ROM builder receives it: the Java shape of
 * the REST {@code romstore} request and of the ROM store description YAML. Not yet validated: the
 * provisioning service validates every part and reports each problem with its field.
 *
 * @param code the application's source, empty for none
 * @param kvStore name to value; unmodifiable copy, iteration order kept
 * @param images tag to image; unmodifiable copy, iteration order kept
 */
public record RomContent(byte[] code, Map<String, String> kvStore, Map<String, RomImage> images) {

    public RomContent {
        code = code == null ? new byte[0] : code.clone();
        kvStore = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(kvStore));
        images = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(images));
    }

    @Override
    public byte[] code() {
        return code.clone();
    }

    /**
     * One image of a {@link RomContent}.
     *
     * @param type the stated type
     * @param data the encoded bytes (copied)
     */
    public record RomImage(ImageType type, byte[] data) {

        public RomImage {
            data = data == null ? null : data.clone();
        }

        @Override
        public byte[] data() {
            return data == null ? null : data.clone();
        }
    }
}
