package datastore.shell;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;

import datastore.testsupport.FakeFactoryReset;
import datastore.testsupport.FakeImageStore;
import datastore.testsupport.FakeKvStore;

import org.apache.felix.gogo.runtime.CommandProcessorImpl;
import org.apache.felix.gogo.runtime.threadio.ThreadIOImpl;
import org.apache.felix.service.command.CommandSession;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * The commands as Gogo calls them: options before arguments, overloads by argument count, and the
 * scope and function names the components register.
 */
public class GogoInvocationTest {

    private final ThreadIOImpl threadIO = new ThreadIOImpl();
    private final FakeKvStore kv = new FakeKvStore();
    private CommandSession session;

    @Before
    public void start() {
        threadIO.start();
        CommandProcessorImpl processor = new CommandProcessorImpl(threadIO);
        DatastoreCommands commands = new DatastoreCommands();
        commands.kvStore = kv;
        FakeImageStore images = new FakeImageStore();
        commands.imageStore = images;
        SystemCommands system = new SystemCommands();
        system.factoryReset = new FakeFactoryReset(kv, images);
        for (String function : new String[] {"kvlist", "kvget", "kvput", "kvremove", "imagelist", "imageget", "imageput",
                "imageremove", "codedeploy"}) {
            processor.addCommand("datastore", commands, function);
        }
        for (String function : new String[] {"usage", "reset", "rominfo", "format"}) {
            processor.addCommand("datastore", system, function);
        }
        PrintStream out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        session = processor.createSession(new ByteArrayInputStream(new byte[0]), out, out);
    }

    @After
    public void stop() {
        session.close();
        threadIO.stop();
    }

    @Test
    public void optionsAndArgumentsReachTheCommands() throws Exception {
        assertEquals("stored greeting in ephemeral", session.execute("datastore:kvput -p ephemeral greeting hello"));
        assertEquals("stored other in the default partition", session.execute("datastore:kvput other 'two words'"));
        assertEquals("two words", kv.get("other"));
        assertEquals("greeting = \"hello\"  (partition ephemeral)", session.execute("datastore:kvget greeting"));
        assertEquals("partition runtime has no key greeting", session.execute("datastore:kvget -p runtime greeting"));
        assertEquals("greeting = \"hello\"  (partition ephemeral only)",
                session.execute("datastore:kvget --partition ephemeral greeting"));
        Path file = java.nio.file.Files.createTempFile("image", ".png");
        assertEquals("partition rom has no image logo; " + file + " not written",
                session.execute("datastore:imageget -p rom logo " + file));
        assertEquals("no partition has the image logo", session.execute("datastore:imageget logo"));
        assertTrue(((String) session.execute("datastore:reset")).contains("run 'datastore:reset -f'"));
        assertEquals("factory reset: emptied ephemeral, runtime", session.execute("datastore:reset --force"));
        assertEquals("no keys", session.execute("kvlist"));
    }

    @Test
    public void removalsTakeThePartitionAsAnOptionLikeEveryOtherCommand() throws Exception {
        session.execute("datastore:kvput -p ephemeral greeting hello");
        session.execute("datastore:kvput greeting hi");
        assertEquals("removed greeting from ephemeral; now visible: \"hi\" from runtime",
                session.execute("datastore:kvremove -p ephemeral greeting"));
        assertEquals("removed greeting from runtime; no partition has it now", session.execute("datastore:kvremove greeting"));
        assertEquals("runtime had no image logo; nothing changed", session.execute("datastore:imageremove --partition runtime logo"));
    }

    /** A call that fits no form of a command gets the command's usage, not Gogo's "Cannot coerce". */
    @Test
    public void aWrongCallPrintsTheCommandsUsage() {
        for (String call : new String[] {"datastore:kvremove", "datastore:kvremove a b", "datastore:kvput greeting",
                "datastore:kvget", "datastore:imageput logo", "datastore:imageremove", "datastore:codedeploy",
                "datastore:format"}) {
            String command = call.split(" ")[0].substring("datastore:".length());
            Exception e = org.junit.Assert.assertThrows(call, Exception.class, () -> session.execute(call));
            assertTrue(call + ": " + e.getMessage(), e.getMessage().startsWith("usage: datastore:" + command));
            assertTrue(call + ": " + e.getMessage(), !e.getMessage().contains("Cannot coerce"));
        }
        Exception e = org.junit.Assert.assertThrows(Exception.class, () -> session.execute("datastore:kvremove a b"));
        assertEquals("usage: datastore:kvremove [-p PARTITION] <key>\n"
                + "         removes a key from one partition, uncovering a value in a lower partition\n"
                + "         -p, --partition: the partition to remove it from (default: the store's default partition, "
                + "runtime)", e.getMessage());
    }
}
