package datastore.itests;

import static org.junit.Assert.assertEquals;

/**
 * What a developer can see of a running dock's store, to prove a refused request changed nothing:
 * the browse endpoints' partitions (with usage and entry counts), keys, images and code origin, and
 * the ROM's state from the shell's {@code datastore:rominfo} (slot, generation, SHA-256).
 */
record StoreSnapshot(String partitions, String kv, String images, String code, String rom) {

    static StoreSnapshot take(DevApiClient client, ExportedDock dock) throws Exception {
        return new StoreSnapshot(client.get("/api/datastore/partitions").expect(200).text(),
                client.get("/api/datastore/kv").expect(200).text(),
                client.get("/api/datastore/images").expect(200).text(),
                client.get("/api/datastore/code").expect(200).text(),
                dock.shell("datastore:rominfo"));
    }

    /** Asserts that the store looks exactly as in this snapshot, naming what differs. */
    void assertUnchanged(String after, DevApiClient client, ExportedDock dock) throws Exception {
        StoreSnapshot now = take(client, dock);
        assertEquals(after + ": partitions changed", partitions, now.partitions);
        assertEquals(after + ": keys changed", kv, now.kv);
        assertEquals(after + ": images changed", images, now.images);
        assertEquals(after + ": application code changed", code, now.code);
        assertEquals(after + ": ROM changed", rom, now.rom);
    }
}
