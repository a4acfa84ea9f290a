package datastore.testsupport;

import java.util.List;

import datastore.Partitions;
import datastore.system.FactoryReset;

/** A factory reset of the fake stores: it empties their ephemeral and runtime partitions and counts its calls. */
public final class FakeFactoryReset implements FactoryReset {
    private final FakeKvStore kv;
    private final FakeImageStore images;
    private int calls;

    public FakeFactoryReset(FakeKvStore kv, FakeImageStore images) {
        this.kv = kv;
        this.images = images;
    }

    /** How many resets were asked for. */
    public synchronized int calls() {
        return calls;
    }

    @Override
    public synchronized List<String> reset() {
        calls++;
        List<String> emptied = List.of(Partitions.EPHEMERAL, Partitions.RUNTIME);
        for (String partition : emptied) {
            kv.clear(partition);
            images.clear(partition);
        }
        return emptied;
    }
}
