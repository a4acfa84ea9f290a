package datastore.romtool;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

import datastore.flash.FlashGeometry;
import datastore.flashtable.FlashTableImage;
import datastore.romformat.RomImage;
import datastore.romformat.RomImageException;
import datastore.romformat.RomImageFormat;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code flash verify}: a dump read back from a programmed device compared with its manifest, region by region. */
@Command(name = "verify", mixinStandardHelpOptions = true, description = "Compares a dump read back from a "
        + "programmed device with what the manifest promises for its dock, region by region; exit status 0 when "
        + "every region matches, 1 with the first differing offset of each region that does not.")
final class FlashVerify implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "FILE", description = "The dump read back from the device.")
    Path file;

    @Option(names = "--manifest", required = true, description = "The manifest.json of the build.")
    Path manifest;

    @Option(names = "--dock", description = "The dock the device was programmed for (default: the dock whose "
            + "unique-per-dock image the dump holds).")
    String dock;

    @Override
    public Integer call() throws IOException {
        return verify(file, FlashManifest.read(manifest), dock, spec.commandLine().getOut());
    }

    /** One span of the flash compared on its own. */
    private record Span(String name, long offset, long end) {
    }

    static int verify(Path file, FlashManifest manifest, String dockId, PrintWriter out) throws IOException {
        FlashGeometry geometry = manifest.table().geometry();
        long size = Files.size(file);
        if (size != geometry.size()) {
            out.println("FAIL " + file + " is " + size + " bytes; the manifest's chip has " + geometry.size());
            return DockTool.EXIT_INVALID;
        }
        ByteBuffer dump = ImageFileRegion.map(file);
        ByteBuffer shared = ImageFileRegion.map(manifest.sharedFile());
        if (shared.capacity() != size) {
            throw new IOException(manifest.sharedFile() + " is not the chip's size: not the build's shared image");
        }
        int sectionOffset = (int) manifest.updSection()[0];
        int sectionSize = (int) manifest.updSection()[1];
        String found = dumpUpdSha256(dump, sectionOffset, sectionSize);
        Optional<FlashManifest.Entry> holder = found == null ? Optional.empty() : manifest.docks().stream()
                .filter(entry -> entry.updSha256().equals(found)).findFirst();
        FlashManifest.Entry entry;
        if (dockId != null) {
            entry = manifest.dock(dockId).orElse(null);
            if (entry == null) {
                out.println("FAIL the manifest has no dock " + dockId);
                return DockTool.EXIT_INVALID;
            }
        } else if (holder.isPresent()) {
            entry = holder.get();
        } else {
            out.println("FAIL the unique-per-dock section at " + FlashPlan.hex(sectionOffset) + " holds no image of a "
                    + "dock of the manifest" + (found == null ? " (no readable image)" : " (sha256 " + found + ")")
                    + "; name the dock with --dock to compare every region");
            return DockTool.EXIT_INVALID;
        }
        out.println("dock " + entry.id());
        // What the regions are compared with must itself be what the build wrote.
        MessageDigest sharedDigest = FlashBuild.sha256();
        sharedDigest.update(shared.duplicate().clear());
        if (!FlashBuild.hex(sharedDigest.digest()).equals(manifest.sharedSha256())) {
            throw new IOException(manifest.sharedFile() + " does not match the manifest's sha256: not the build's "
                    + "shared image, or damaged");
        }
        byte[] upd = Files.readAllBytes(entry.updFile());
        if (!FlashBuild.hex(FlashBuild.sha256().digest(upd)).equals(entry.updSha256())) {
            throw new IOException(entry.updFile() + " does not match the manifest's sha256: not the build's image "
                    + "of dock " + entry.id() + ", or damaged");
        }
        byte[] section = new byte[sectionSize];
        shared.slice(sectionOffset, sectionSize).get(section);
        for (long offset : manifest.updOffsets()) {
            System.arraycopy(upd, 0, section, (int) (offset - sectionOffset), upd.length);
        }
        boolean pass = true;
        for (Span span : spans(manifest, geometry)) {
            int length = (int) (span.end() - span.offset());
            ByteBuffer expected = span.name().equals("upd") ? ByteBuffer.wrap(section)
                    : shared.slice((int) span.offset(), length);
            ByteBuffer actual = dump.slice((int) span.offset(), length);
            int at = actual.mismatch(expected);
            String where = span.name() + " [" + FlashPlan.hex(span.offset()) + ", " + FlashPlan.hex(span.end()) + ")";
            if (at < 0) {
                out.println("PASS " + where);
            } else {
                pass = false;
                long offset = span.offset() + at;
                out.printf("FAIL %s: first difference at %s (0x%02x expected, 0x%02x read)%s%n", where,
                        FlashPlan.hex(offset), expected.get(at) & 0xFF, actual.get(at) & 0xFF,
                        span.name().equals("upd") && holder.isPresent() && holder.get() != entry
                                ? "; it holds the unique-per-dock image of dock " + holder.get().id() : "");
            }
        }
        MessageDigest digest = FlashBuild.sha256();
        digest.update(dump.duplicate().clear());
        String sha256 = FlashBuild.hex(digest.digest());
        if (sha256.equals(entry.flashSha256())) {
            out.println("PASS complete flash sha256 " + sha256);
        } else {
            pass = false;
            out.println("FAIL complete flash sha256 " + sha256 + ", the manifest has " + entry.flashSha256());
        }
        out.println(pass ? "pass" : "fail");
        return pass ? 0 : DockTool.EXIT_INVALID;
    }

    /** The SHA-256 of the UPD image at the section's start of a dump, or null if there is none. */
    private static String dumpUpdSha256(ByteBuffer dump, int sectionOffset, int sectionSize) {
        try {
            RomImage image = RomImage.read(dump, sectionOffset, sectionSize / 2, RomImageFormat.KIND_UPD);
            byte[] bytes = new byte[image.length()];
            dump.slice(sectionOffset, image.length()).get(bytes);
            return FlashBuild.hex(FlashBuild.sha256().digest(bytes));
        } catch (RomImageException | RuntimeException e) {
            return null;
        }
    }

    /** Every byte of the chip in named spans: the regions (the ROM's UPD section on its own), the rest. */
    private static List<Span> spans(FlashManifest manifest, FlashGeometry geometry) {
        List<Span> spans = new ArrayList<>();
        long sectionStart = manifest.updSection()[0];
        long sectionEnd = sectionStart + manifest.updSection()[1];
        for (FlashTableImage.Region region : manifest.table().regions()) {
            if (region.offset() <= sectionStart && sectionEnd <= region.end()) {
                spans.add(new Span(region.name(), region.offset(), sectionStart));
                spans.add(new Span("upd", sectionStart, sectionEnd));
                spans.add(new Span(region.name(), sectionEnd, region.end()));
            } else {
                spans.add(new Span(region.name(), region.offset(), region.end()));
            }
        }
        long rollback = FlashTableImage.rollbackIndexOffset(geometry);
        long table = FlashTableImage.tableOffset(geometry);
        spans.add(new Span("rollback-index", rollback, table));
        spans.add(new Span("partition-table", table, geometry.size()));
        spans.removeIf(span -> span.end() <= span.offset());
        spans.sort(Comparator.comparingLong(Span::offset));
        List<Span> all = new ArrayList<>();
        long at = 0;
        for (Span span : spans) {
            if (span.offset() > at) {
                all.add(new Span("unallocated", at, span.offset()));
            }
            all.add(span);
            at = Math.max(at, span.end());
        }
        return all;
    }
}
