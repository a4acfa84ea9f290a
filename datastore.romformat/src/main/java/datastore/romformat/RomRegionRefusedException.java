package datastore.romformat;

import java.io.IOException;

/**
 * The ROM region holds something this code must neither mount nor write: commit records written for
 * another geometry or place (the partition table changed), a format newer than this code, or bytes
 * that are neither erased nor a ROM. The region is left exactly as it was; {@link RomStore#format}
 * is the explicit act that makes it usable again, destroying what it held.
 */
public class RomRegionRefusedException extends IOException {
    private static final long serialVersionUID = 1L;

    public RomRegionRefusedException(String reason) {
        super(reason);
    }

    /** What was found and what was expected, both sides named. */
    public String reason() {
        return getMessage();
    }
}
