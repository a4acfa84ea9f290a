package datastore.store;

import java.util.Objects;

import datastore.ImageToken;
import datastore.image.ImageType;

/**
 * An {@link ImageToken} of this store: which store issued it, and which version of which entry of
 * which partition it stands for. The revision is what makes a token either yield exactly the bytes
 * it was issued for or fail as stale.
 */
final class StoreImageToken implements ImageToken {

    final LogicalStore issuer;
    final String partition;
    final long revision;
    private final String tag;
    private final ImageType type;
    private final long size;

    StoreImageToken(LogicalStore issuer, String partition, String tag, long revision, ImageType type, long size) {
        this.issuer = issuer;
        this.partition = partition;
        this.tag = tag;
        this.revision = revision;
        this.type = type;
        this.size = size;
    }

    @Override
    public String tag() {
        return tag;
    }

    @Override
    public ImageType type() {
        return type;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof StoreImageToken token && token.issuer == issuer && token.partition.equals(partition)
                && token.tag.equals(tag) && token.revision == revision;
    }

    @Override
    public int hashCode() {
        return Objects.hash(partition, tag, revision);
    }

    @Override
    public String toString() {
        return "ImageToken[" + tag + " in " + partition + ", revision " + revision + ", " + type + ", " + size + " bytes]";
    }
}
