package datastore.romtool;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import datastore.flash.FlashGeometry;
import datastore.images.ImageFormats;
import datastore.romformat.RomImageBuilder;
import datastore.romformat.RomLayout;

/**
 * The CSV of docks: quoted fields with commas, quotes and line breaks, a byte-order mark and CRLF line
 * ends read as people write them; empty cells give no entry; a dock whose section fits but whose payload
 * beside the application's passes the ROM capacity is refused as over capacity, at its line; and the
 * progress shown while building reads as count, rate and ETA.
 */
public class DockListTest {
    @Rule
    public TemporaryFolder temp = new TemporaryFolder();

    private final RomImageBuilder builder = new RomImageBuilder(new ImageFormats(), 10_000,
            RomLayout.of(new FlashGeometry(1L << 20, 4096, 16)));

    private Path csv(String text) throws Exception {
        Path file = temp.getRoot().toPath().resolve("docks.csv");
        Files.writeString(file, text);
        return file;
    }

    @Test
    public void quotedFieldsAndEmptyCellsReadAsWritten() throws Exception {
        List<DockList.Dock> docks = DockList.read(csv("\uFEFFdock_id,name,note\r\n"
                + "A-1,\"Hall, \"\"east\"\"\",\"two\nlines\"\r\n"
                + "\r\n"
                + "A-2,,plain\r\n"), builder, 0, false);
        assertEquals(2, docks.size());
        assertEquals("A-1", docks.get(0).id());
        assertEquals("Hall, \"east\"", docks.get(0).upd().kvStore().get("name"));
        assertEquals("two\nlines", docks.get(0).upd().kvStore().get("note"));
        assertEquals(5, docks.get(1).line());
        assertEquals("an empty cell is no entry", List.of("note"), List.copyOf(docks.get(1).upd().kvStore().keySet()));
    }

    @Test
    public void aDockOverTheCapacityBesideTheApplicationIsRefusedAtItsLine() throws Exception {
        DockList.InvalidDockListException e = assertThrows(DockList.InvalidDockListException.class,
                () -> DockList.read(csv("dock_id,token\nA-1,small\nA-2," + "x".repeat(600) + "\n"), builder, 9_500,
                        false));
        assertEquals(1, e.errors.size());
        DockList.CsvError error = e.errors.get(0);
        assertEquals(3, error.line());
        assertEquals(1, error.column());
        assertTrue(error.reason(), error.reason().startsWith("over capacity: this dock's 605 bytes")
                && error.reason().contains("beside the application's 9500 exceed the ROM capacity of 10000 bytes"));
    }

    @Test
    public void headerProblemsAreNamedByColumn() throws Exception {
        DockList.InvalidDockListException e = assertThrows(DockList.InvalidDockListException.class,
                () -> DockList.read(csv("token,logo:gif,token\nx,y,z\n"), builder, 0, false));
        String all = e.errors.toString();
        assertTrue(all, all.contains("CsvError[line=1, column=2, reason=\"logo:gif\": an image column ends in :png"));
        assertTrue(all, all.contains("CsvError[line=1, column=3, reason=\"token\" repeats column 1]"));
        assertTrue(all, all.contains("the header has no dock_id column"));
    }

    @Test
    public void progressShowsCountRateAndEta() {
        StringWriter plain = new StringWriter();
        FlashBuildCommand.ProgressBar lines = new FlashBuildCommand.ProgressBar(new PrintWriter(plain, true), false);
        for (int done = 1; done <= 20; done++) {
            lines.update(done, 20);
        }
        assertTrue(plain.toString(), plain.toString().matches("(?s)(flash build: \\d+/20 docks, [\\d.]+ docks/s, ETA "
                + "\\d+:\\d\\d\n)+"));
        assertEquals("one line per tenth", 10, plain.toString().lines().count());
        StringWriter terminal = new StringWriter();
        FlashBuildCommand.ProgressBar bar = new FlashBuildCommand.ProgressBar(new PrintWriter(terminal, true), true);
        bar.update(20, 20);
        bar.finish();
        assertTrue(terminal.toString(), terminal.toString().startsWith("\r[" + "#".repeat(30) + "] 20/20 docks, "));
    }
}
