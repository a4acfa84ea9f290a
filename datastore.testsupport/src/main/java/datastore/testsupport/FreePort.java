package datastore.testsupport;

import java.io.BufferedReader;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A TCP port on the loopback address for a dock to listen on, chosen below the kernel's ephemeral
 * range. A port asked of the kernel ({@code new ServerSocket(0)}) comes from that range, so once it is
 * closed the kernel may hand it to the next socket bound to port 0 (the dock's own internal Jetty
 * connector, for one) or to any outgoing connection before the dock binds it. A port below the range is
 * never handed out by the kernel; it can only be taken by a process that picks it on purpose.
 */
public final class FreePort {
    private static final int LOWEST = 10_000;

    private FreePort() {
    }

    /** A port below the ephemeral range that nothing listens on now. */
    public static int pick() throws IOException {
        int below = ephemeralStart();
        if (below <= LOWEST + 1_000) {
            throw new IOException("the ephemeral port range starts at " + below + ": no room below it for test ports");
        }
        ThreadLocalRandom random = ThreadLocalRandom.current();
        IOException last = null;
        for (int attempt = 0; attempt < 100; attempt++) {
            int port = random.nextInt(LOWEST, below);
            try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                return socket.getLocalPort();
            } catch (IOException e) {
                last = e; // taken: try another
            }
        }
        throw new IOException("no free port in [" + LOWEST + ", " + below + ") after 100 tries", last);
    }

    /** Where the kernel's ephemeral port range starts (Linux; the IANA range elsewhere). */
    static int ephemeralStart() {
        Path range = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
        // One read into a large buffer: a sysctl file read a byte at a time (as Files.readString
        // does with a file of size 0) answers its first byte only.
        try (BufferedReader reader = Files.newBufferedReader(range)) {
            return Integer.parseInt(reader.readLine().trim().split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return 49_152;
        }
    }
}
