package datastore.testsupport;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import datastore.Namespace;
import datastore.spi.InvalidRomContentException;
import datastore.spi.RomContent;
import datastore.spi.RomInfo;
import datastore.spi.RomProvisioning;

/**
 * ROM provisioning that keeps the last content replaced and the last image installed, each a new
 * generation; it refuses with the problems in {@link #refuse}, if any.
 */
public final class FakeRomProvisioning implements RomProvisioning {
    /** The content now in the ROM; a small one at first. */
    public volatile RomContent content = new RomContent(new byte[] {'o', 'l', 'd'}, Map.of("old", "value"), Map.of());
    public volatile long generation = 1;
    /** When not empty, every replace and install fails with these problems. */
    public volatile List<InvalidRomContentException.Problem> refuse = List.of();
    /** The KV names the ROM keeps per dock. */
    public volatile List<String> uniquePerDock = List.of();
    /** The last image installed, or null. */
    public volatile byte[] installed;

    @Override
    public List<String> uniquePerDockNames(Namespace namespace) {
        return namespace == Namespace.KV ? uniquePerDock : List.of();
    }

    @Override
    public synchronized RomInfo replace(RomContent replacement) {
        if (!refuse.isEmpty()) {
            throw new InvalidRomContentException(refuse);
        }
        content = replacement;
        generation++;
        return info();
    }

    @Override
    public synchronized RomInfo install(ByteBuffer image) {
        if (!refuse.isEmpty()) {
            throw new InvalidRomContentException(refuse);
        }
        byte[] bytes = new byte[image.remaining()];
        image.duplicate().get(bytes);
        installed = bytes;
        generation++;
        return info();
    }

    @Override
    public RomInfo info() {
        return new RomInfo((int) (generation % 2), generation, "ab".repeat(32), RomInfo.SignatureState.UNSIGNED,
                content.code().length, 13 << 20, Optional.empty());
    }
}
