package datastore.testsupport;

import static org.junit.Assert.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.Test;

public class FreePortTest {

    @Test
    public void theRangeIsReadWhole() throws Exception {
        Path range = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
        if (Files.isReadable(range)) {
            // The first number of the file, read through a stream that takes it all at once.
            String first = new String(Files.newInputStream(range).readAllBytes()).trim().split("\\s+")[0];
            assertTrue(first, FreePort.ephemeralStart() == Integer.parseInt(first));
        }
        assertTrue(FreePort.ephemeralStart() > 1024);
    }

    @Test
    public void aPickedPortIsBelowTheRangeAndFree() throws Exception {
        for (int i = 0; i < 20; i++) {
            int port = FreePort.pick();
            assertTrue(port + " should be below " + FreePort.ephemeralStart(), port < FreePort.ephemeralStart());
            try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                assertTrue(socket.isBound());
            }
        }
    }
}
