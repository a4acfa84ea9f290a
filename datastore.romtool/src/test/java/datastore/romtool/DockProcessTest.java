package datastore.romtool;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The supervision of a dock's JVM, with shell commands in its place: the shell is sent {@code lb} first and
 * stopping closes its input; the bnd launcher's "framework stopped" status is a clean stop; any other status is
 * reported and returned; the child ignores SIGINT; only a second stop at least half a second after the first
 * forces the child down (the clock is the test's).
 */
public class DockProcessTest {
    @Rule
    public TemporaryFolder temp = new TemporaryFolder();

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();
    private final AtomicLong clock = new AtomicLong(1_000);

    private DockProcess dock(String script) {
        return new DockProcess(List.of("/bin/sh", "-c", script), new PrintWriter(out, true), new PrintWriter(err, true),
                clock::get);
    }

    @Test
    public void stoppingClosesTheShellsInputAndTheFrameworkStopsCleanly() throws Exception {
        Path seen = temp.getRoot().toPath().resolve("seen");
        DockProcess dock = dock("read first; echo \"$first\" > '" + seen + "'; cat > /dev/null; exit 117");
        dock.start(false);
        dock.requestStop();
        assertEquals(0, dock.await());
        assertEquals("lb\n", Files.readString(seen));
        assertTrue(err.toString(), err.toString().contains("dock: stopping the framework (Ctrl-C again forces the JVM down)"));
        assertEquals("dock: the framework stopped cleanly\n", out.toString());
    }

    @Test
    public void anotherStatusIsReportedAndReturned() throws Exception {
        DockProcess dock = dock("exit 3");
        dock.start(false);
        assertEquals(3, dock.await());
        assertTrue(err.toString(), err.toString().contains("dock: the JVM exited with status 3"));
        assertFalse(out.toString().contains("stopped cleanly"));
    }

    @Test
    public void theChildIgnoresTheTerminalsInterrupt() throws Exception {
        // Ctrl-C reaches the whole process group; only this process may turn it into a stop.
        DockProcess dock = dock("kill -INT $$; exit 5");
        dock.start(false);
        assertEquals(5, dock.await());
    }

    @Test
    public void onlyASecondStopHalfASecondLaterForcesTheJvmDown() throws Exception {
        DockProcess dock = dock("exec sleep 600");
        dock.start(false);
        dock.requestStop();
        clock.addAndGet(100); // the same signal delivered twice, to the process and to its group
        dock.requestStop();
        assertFalse(err.toString(), err.toString().contains("forcing"));
        clock.addAndGet(400);
        dock.requestStop();
        assertEquals(128 + 15, dock.await());
        assertTrue(err.toString(), err.toString().contains("dock: forcing the JVM down"));
        assertTrue(err.toString(), err.toString().contains("dock: the JVM exited with status 143"));
    }
}
