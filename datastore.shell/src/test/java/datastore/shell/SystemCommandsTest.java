package datastore.shell;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

import datastore.Namespace;
import datastore.spi.RomContent;
import datastore.spi.RomInfo;
import datastore.spi.RomProvisioning;
import datastore.testsupport.FakeFactoryReset;
import datastore.testsupport.FakeImageStore;
import datastore.testsupport.FakeKvStore;
import datastore.testsupport.FakeStoreStatus;

import org.junit.Before;
import org.junit.Test;

public class SystemCommandsTest {

    private final SystemCommands commands = new SystemCommands();
    private final FakeKvStore kv = new FakeKvStore();
    private final FakeImageStore images = new FakeImageStore();
    private final FakeFactoryReset reset = new FakeFactoryReset(kv, images);
    private final FakeStoreStatus status = new FakeStoreStatus();

    @Before
    public void wire() {
        commands.factoryReset = reset;
        // Each partition holds as many entries of each namespace as the namespace's code: 1 key, 2 images...
        Map<Namespace, Integer> entries = new EnumMap<>(Namespace.class);
        for (Namespace namespace : Namespace.values()) {
            entries.put(namespace, namespace.code());
        }
        commands.storeStatus = status.with("ephemeral", 300, false, 128L << 20, 0, entries)
                .with("runtime", 200, false, 13L << 20, 3L << 20, entries).with("rom", 100, true, 13L << 20, 1536, entries);
        kv.with("timezone", "UTC", "rom");
        kv.with("greeting", "hello \"world\"\n", "runtime");
    }

    @Test
    public void usageListsPartitionsInLookupOrder() {
        status.broken("broken", 50, "not mounted");
        String text = commands.usage();
        String[] lines = text.split("\n");
        assertEquals(5, lines.length);
        assertTrue(text, lines[0].startsWith("PARTITION"));
        assertTrue(text, lines[1].startsWith("ephemeral        300      0 B      128.0 MiB  0.0%"));
        assertTrue(text, lines[2].startsWith("runtime          200      3.0 MiB  13.0 MiB   23.1%  1     2       3     4"));
        assertTrue(text, lines[3].startsWith("rom (read-only)  100      1.5 KiB  13.0 MiB   0.0%"));
        assertTrue(text, lines[4].startsWith("broken") && lines[4].endsWith("<not mounted>"));
    }

    @Test
    public void usageShowsARefusedPartitionWithItsReasonAndTheWayOut() {
        status.refusing("runtime-b", "recorded geometry offset 0x2000000 size 0x5000000, configured offset 0x2010000");
        String text = commands.usage();
        assertTrue(text, text.contains("runtime-b: REFUSED, not mounted and not written: recorded geometry offset "
                + "0x2000000 size 0x5000000, configured offset 0x2010000"));
        assertTrue(text, text.contains("'datastore:format -f runtime-b' erases it and formats it empty"));
        assertTrue(text, text.startsWith("PARTITION"));
    }

    private static final class Refusal implements datastore.spi.RefusedPartition {
        int formats;

        @Override
        public String name() {
            return "runtime";
        }

        @Override
        public String reason() {
            return "bytes that are neither erased nor a runtime log";
        }

        @Override
        public void format() {
            formats++;
        }
    }

    @Test
    public void formatNeedsForceAndARefusedPartition() throws Exception {
        Refusal refusal = new Refusal();
        commands.refusedPartitions = java.util.List.of(refusal);

        String preview = commands.format(false, "runtime");
        assertTrue(preview, preview.contains("bytes that are neither erased nor a runtime log"));
        assertTrue(preview, preview.contains("'datastore:format -f runtime'"));
        assertEquals(0, refusal.formats);
        String message = assertThrows(IllegalArgumentException.class, () -> commands.format(true, "rom")).getMessage();
        assertTrue(message, message.contains("partition rom has not refused its flash") && message.contains("refused: runtime"));
        assertEquals(0, refusal.formats);

        assertEquals("formatted runtime; it mounts empty", commands.format(true, "runtime"));
        assertEquals(1, refusal.formats);
    }

    @Test
    public void resetNeedsForceAndThenEmptiesTheWritablePartitions() {
        kv.put("k", "v", "ephemeral");
        String refusal = commands.reset(false);
        assertEquals("a factory reset empties every writable partition (ephemeral, runtime) and keeps the ROM; "
                + "run 'datastore:reset -f' to do it", refusal);
        assertEquals(0, reset.calls());
        assertEquals("v", kv.get("k"));
        assertEquals("factory reset: emptied ephemeral, runtime", commands.reset(true));
        assertEquals(java.util.List.of("timezone"), kv.list());
    }

    @Test
    public void rominfoShowsTheRomsState() {
        commands.romProvisioning = new RomProvisioning() {
            @Override
            public RomInfo replace(RomContent content) {
                throw new UnsupportedOperationException();
            }

            @Override
            public RomInfo info() {
                return new RomInfo(1, 7, "0f".repeat(32), RomInfo.SignatureState.VERIFIED, 1536, 13L << 20,
                        Optional.of("slot 0 failed its checksum"));
            }
        };
        String text = commands.rominfo();
        assertTrue(text, text.contains("slot        1"));
        assertTrue(text, text.contains("generation  7"));
        assertTrue(text, text.contains("sha256      " + "0f".repeat(32)));
        assertTrue(text, text.contains("signature   VERIFIED"));
        assertTrue(text, text.contains("payload     1.5 KiB of 13.0 MiB (0.0%)"));
        assertTrue(text, text.contains("problem     slot 0 failed its checksum"));
    }

    @Test
    public void aMissingServiceIsNamed() {
        commands.factoryReset = null;
        assertTrue(assertThrows(IllegalStateException.class, () -> commands.reset(true)).getMessage()
                .contains("no FactoryReset service"));
        assertTrue(assertThrows(IllegalStateException.class, commands::rominfo).getMessage()
                .contains("in development mode only"));
        commands.storeStatus = null;
        assertTrue(assertThrows(IllegalStateException.class, commands::usage).getMessage()
                .contains("no StoreStatus service"));
    }

    @Test
    public void theResetPreviewWithoutTheStoreStatusNamesNoPartition() {
        commands.storeStatus = null;
        assertEquals("a factory reset empties every writable partition and keeps the ROM; "
                + "run 'datastore:reset -f' to do it", commands.reset(false));
        assertEquals(0, reset.calls());
    }
}
