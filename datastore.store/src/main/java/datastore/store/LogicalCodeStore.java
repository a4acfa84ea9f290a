package datastore.store;

import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.Optional;

import datastore.Namespace;
import datastore.system.ApplicationCode;
import datastore.system.ApplicationCodeStore;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.component.propertytypes.ServiceDescription;

/**
 * The {@link ApplicationCodeStore} service: the application's code is the entry
 * {@link ApplicationCodeStore#MAIN} of the {@link Namespace#CODE} namespace, looked up like any
 * entry, so a deploy to a higher-ranking partition overrides the lower copies. A null source is a
 * {@link NullPointerException}, a null partition a {@link datastore.NoSuchPartitionException}.
 */
@Component(name = "datastore.store.code", service = ApplicationCodeStore.class)
@ServiceDescription("The application's code, for the dock runtime")
public class LogicalCodeStore implements ApplicationCodeStore {

    private final LogicalStore store;

    @Activate
    public LogicalCodeStore(@Reference(name = "store", policyOption = ReferencePolicyOption.GREEDY) LogicalStore store) {
        this.store = store;
    }

    @Override
    public Optional<ApplicationCode> current() {
        return store.read(Namespace.CODE, MAIN,
                (partition, view) -> new ApplicationCode(PartitionCalls.copyOut(view), partition, view.revision()));
    }

    @Override
    public void deploy(byte[] source, String partition) {
        Objects.requireNonNull(source, "source");
        EntryRules.checkSize(Namespace.CODE, MAIN, source.length);
        store.putEntry(Namespace.CODE, MAIN, 0, ByteBuffer.wrap(source), partition);
    }

    @Override
    public boolean remove(String partition) {
        return store.removeEntry(Namespace.CODE, MAIN, partition);
    }
}
