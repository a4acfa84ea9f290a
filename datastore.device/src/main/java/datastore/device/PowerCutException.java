package datastore.device;

import java.io.IOException;

/**
 * Thrown by {@link FaultInjectingRegion} for an injected power cut: the operation that throws it,
 * and every program, erase and sync after it, did not reach the flash (except the documented
 * prefix of a torn program). It is an {@link IOException} because that is how a real device
 * failure reaches the engine, so the engine's ordinary error paths are the ones under test.
 */
public final class PowerCutException extends IOException {
    private static final long serialVersionUID = 1L;

    public PowerCutException(String message) {
        super(message);
    }
}
