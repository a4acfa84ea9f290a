package datastore.shell;

import static datastore.shell.Sizes.percent;
import static datastore.shell.Sizes.size;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import datastore.Names;
import datastore.Namespace;
import datastore.spi.PartitionUsage;
import datastore.spi.RefusedPartition;
import datastore.spi.RomInfo;
import datastore.spi.RomProvisioning;
import datastore.system.FactoryReset;
import datastore.system.PartitionRefusal;
import datastore.system.PartitionStatus;
import datastore.system.Readiness;
import datastore.system.StoreStatus;

import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.apache.felix.service.command.annotations.GogoCommand;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * The Gogo commands of scope {@code datastore} about the store as a whole rather than its entries:
 * readiness, partition usage, formatting a partition that refused its flash, factory reset and the
 * ROM's state. Like {@link DatastoreCommands}, every service is optional and a missing one is named.
 */
@Component(name = "datastore.shell.system", service = SystemCommands.class)
@GogoCommand(scope = "datastore", function = {"ready", "usage", "format", "reset", "rominfo"})
public class SystemCommands {

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile FactoryReset factoryReset;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile RomProvisioning romProvisioning;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile StoreStatus storeStatus;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile Readiness readiness;

    /** Partitions that refused their flash; {@link #format} is how a user formats one, explicitly. */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile List<RefusedPartition> refusedPartitions = List.of();

    @Descriptor("says whether the dock is ready, and if not, what it is waiting for")
    public String ready() {
        Readiness current = readiness;
        if (current == null) {
            throw new IllegalStateException("no readiness service: the product has no datastore.store");
        }
        List<String> waiting = current.waitingFor();
        return waiting.isEmpty() ? "ready" : "not ready; waiting for: " + String.join(", ", waiting);
    }

    @Descriptor("shows each partition's ranking, capacity, use and entries, in lookup order")
    public String usage() {
        StoreStatus status = status();
        List<PartitionStatus> partitions = status.partitions();
        List<PartitionRefusal> refused = status.refused();
        if (partitions.isEmpty() && refused.isEmpty()) {
            return "no partition is present";
        }
        TextTable table = new TextTable("PARTITION", "RANKING", "USED", "CAPACITY", "USE", "KEYS", "IMAGES", "CODE",
                "FONTS");
        for (PartitionStatus each : partitions) {
            PartitionUsage usage = each.usage();
            if (usage == null) {
                table.row(each.name(), each.ranking(), "?", "?", "?", "?", "?", "?", "<" + each.error() + ">");
                continue;
            }
            Map<Namespace, Integer> entries = usage.entries();
            table.row(each.name() + (each.readOnly() ? " (read-only)" : ""), each.ranking(),
                    size(usage.used()), size(usage.capacity()), percent(usage.used(), usage.capacity()),
                    entries.getOrDefault(Namespace.KV, 0), entries.getOrDefault(Namespace.IMAGE, 0),
                    entries.getOrDefault(Namespace.CODE, 0), entries.getOrDefault(Namespace.FONT, 0));
        }
        if (refused.isEmpty()) {
            return table.toString();
        }
        StringBuilder out = new StringBuilder(partitions.isEmpty() ? "" : table + "\n");
        for (PartitionRefusal each : refused) {
            out.append(each.name()).append(": REFUSED, not mounted and not written: ").append(each.reason())
                    .append("\n  'datastore:format -f ").append(each.name())
                    .append("' erases it and formats it empty\n");
        }
        return out.toString().stripTrailing();
    }

    @Descriptor("erases and formats a partition that refused its flash (changed partition table, foreign bytes, "
            + "unknown format), destroying what the region held. Needs -f")
    public String format(
            @Descriptor("really erase and format")
            @Parameter(names = {"-f", "--force"}, presentValue = "true", absentValue = "false") boolean force,
            @Descriptor("the refused partition") String partition) throws IOException {
        List<RefusedPartition> refused = refusedPartitions;
        RefusedPartition target = null;
        for (RefusedPartition each : refused) {
            if (each.name().equals(partition)) {
                target = each;
            }
        }
        if (target == null) {
            String names = refused.stream().map(RefusedPartition::name).sorted().collect(Collectors.joining(", "));
            throw new IllegalArgumentException("partition " + Names.display(partition) + " has not refused its flash, so "
                    + "it is not formatted; " + (names.isEmpty() ? "no partition is refused" : "refused: " + names));
        }
        if (!force) {
            return "partition " + partition + " refused its flash: " + target.reason()
                    + "\nformatting erases every byte of its region; run 'datastore:format -f " + partition + "' to do it";
        }
        target.format();
        return "formatted " + partition + "; it mounts empty";
    }

    @Descriptor("empties every writable partition (ephemeral, runtime); the ROM stays. Needs -f")
    public String reset(
            @Descriptor("really reset")
            @Parameter(names = {"-f", "--force"}, presentValue = "true", absentValue = "false") boolean force) {
        FactoryReset reset = factoryReset;
        if (reset == null) {
            throw new IllegalStateException("no FactoryReset service is available: is the datastore.store bundle active?");
        }
        if (!force) {
            // The store's status and its reset come from the same bundle; without the status, the
            // preview cannot name the partitions but the reset still works.
            StoreStatus status = storeStatus;
            String present = "";
            if (status != null) {
                String writable = status.partitions().stream().filter(each -> !each.readOnly())
                        .map(PartitionStatus::name).collect(Collectors.joining(", "));
                present = " (" + (writable.isEmpty() ? "none present" : writable) + ")";
            }
            return "a factory reset empties every writable partition" + present
                    + " and keeps the ROM; run 'datastore:reset -f' to do it";
        }
        List<String> emptied = reset.reset();
        return emptied.isEmpty() ? "no writable partition present; nothing emptied"
                : "factory reset: emptied " + String.join(", ", emptied);
    }

    @Descriptor("shows the ROM's slot, generation, SHA-256, signature state, use and any problem found at mount")
    public String rominfo() {
        RomProvisioning rom = romProvisioning;
        if (rom == null) {
            throw new IllegalStateException("no ROM provisioning service is available: the ROM partition offers it "
                    + "in development mode only");
        }
        RomInfo info = rom.info();
        return new TextTable("ROM", "")
                .row("slot", info.slot())
                .row("generation", info.generation())
                .row("sha256", info.sha256())
                .row("signature", info.signature())
                .row("payload", size(info.payloadBytes()) + " of " + size(info.capacity()) + " ("
                        + percent(info.payloadBytes(), info.capacity()) + ")")
                .row("problem", info.problem().orElse("none"))
                .toString();
    }

    // ---- a call that fits no form of a command ----

    /** What Gogo reaches when a call fits no form of {@code format}: its usage (see {@link DatastoreCommands}). */
    public String format(String... words) {
        throw CommandUsage.of(SystemCommands.class, "format");
    }

    // ---- helpers ----

    private StoreStatus status() {
        StoreStatus status = storeStatus;
        if (status == null) {
            throw new IllegalStateException("no StoreStatus service is available: is the datastore.store bundle active?");
        }
        return status;
    }
}
