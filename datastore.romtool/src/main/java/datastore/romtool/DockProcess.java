package datastore.romtool;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

import sun.misc.Signal;

/**
 * A dock's JVM run as a child that stops cleanly. The child's Gogo shell reads a pipe this process holds rather
 * than the terminal; stopping closes the pipe, which makes Gogo stop the framework (every bundle stopped in
 * order) before the JVM exits. The child ignores SIGINT, so a Ctrl-C on the terminal, which reaches the whole
 * process group, stops it only through this process: a first Ctrl-C, SIGTERM, SIGHUP or the end of the
 * terminal's input (Ctrl-D) closes the pipe; a second Ctrl-C half a second later or more forces the JVM down.
 * The exit status is the child's, with the bnd launcher's "framework stopped" (117) reported as 0.
 */
final class DockProcess {
    private static final long FORCE_AFTER_MILLIS = 500;

    private final List<String> command;
    private final PrintWriter out;
    private final PrintWriter err;
    private final LongSupplier clock;
    private Process process;
    private OutputStream console;
    /** When the first stop was asked for (clock milliseconds), or -1. */
    private long stopRequested = -1;

    DockProcess(List<String> command, PrintWriter out, PrintWriter err, LongSupplier clock) {
        this.command = List.copyOf(command);
        this.out = out;
        this.err = err;
        this.clock = clock;
    }

    /** A first SIGINT, SIGTERM or SIGHUP stops the dock, a second one forces it down (see {@link #requestStop}). */
    void stopOnSignals() {
        for (String name : List.of("INT", "TERM", "HUP")) {
            try {
                Signal.handle(new Signal(name), signal -> requestStop());
            } catch (IllegalArgumentException e) {
                // A signal this JVM may not handle (or one ignored from the start, as under nohup) is left alone.
            }
        }
    }

    /**
     * Starts the child, its output on this process's, and sends it {@code lb}: Gogo starts last and then lists
     * the bundles and their states. With {@code forwardTerminal}, this process's input is copied to the shell
     * until it ends, which stops the dock; otherwise (input from /dev/null or closed: CI, a service) the dock runs
     * until it is stopped.
     */
    synchronized void start(boolean forwardTerminal) throws IOException {
        // The shell makes the child ignore SIGINT from its first instruction on; the JVM keeps it ignored.
        List<String> ignoringInterrupts = new ArrayList<>(List.of("/bin/sh", "-c", "trap '' INT; exec \"$@\"", "dock"));
        ignoringInterrupts.addAll(command);
        process = new ProcessBuilder(ignoringInterrupts).redirectOutput(ProcessBuilder.Redirect.INHERIT)
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        console = process.getOutputStream();
        send("lb\n".getBytes(StandardCharsets.US_ASCII), 3);
        if (stopRequested >= 0) {
            closeConsole(); // asked for before the child existed
        }
        if (forwardTerminal) {
            Thread forwarder = new Thread(() -> forward(System.in), "dock terminal");
            forwarder.setDaemon(true);
            forwarder.start();
        }
    }

    private void forward(InputStream terminal) {
        byte[] buffer = new byte[4096];
        try {
            for (int n; (n = terminal.read(buffer)) >= 0;) {
                if (!send(buffer, n)) {
                    return;
                }
            }
        } catch (IOException e) {
            // The terminal went away: as its end.
        }
        requestStop();
    }

    /** Whether the bytes reached the shell: false once the console is closed or the JVM is gone. */
    private synchronized boolean send(byte[] bytes, int length) {
        if (console == null) {
            return false;
        }
        try {
            console.write(bytes, 0, length);
            console.flush();
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private synchronized void closeConsole() {
        if (console != null) {
            try {
                console.close();
            } catch (IOException e) {
                // The JVM is gone already: nothing is left to stop.
            }
            console = null;
        }
    }

    /**
     * Stops the framework by closing the shell's input. One signal may arrive twice (to the process and to its
     * group, as timeout(1) sends it); only a second request at least half a second after the first forces the JVM
     * down (SIGTERM, which runs its shutdown hooks).
     */
    synchronized void requestStop() {
        long now = clock.getAsLong();
        if (stopRequested < 0) {
            stopRequested = now;
            err.println("dock: stopping the framework (Ctrl-C again forces the JVM down)");
            err.flush();
            closeConsole();
        } else if (now - stopRequested >= FORCE_AFTER_MILLIS && process != null && process.isAlive()) {
            err.println("dock: forcing the JVM down");
            err.flush();
            process.destroy();
        }
    }

    /** Waits for the child to end; returns this command's exit status. */
    int await() {
        Process child;
        synchronized (this) {
            child = process;
        }
        int status;
        while (true) {
            try {
                status = child.waitFor();
                break;
            } catch (InterruptedException e) {
                // Only the child's end ends the wait; a signal is handled by requestStop.
            }
        }
        closeConsole();
        if (status == 0 || status == DockLaunch.FRAMEWORK_STOPPED) {
            out.println("dock: the framework stopped cleanly");
            out.flush();
            return 0;
        }
        err.println("dock: the JVM exited with status " + status);
        err.flush();
        return status;
    }
}
