package datastore.rom;

import static org.junit.Assert.assertEquals;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.Test;
import org.osgi.service.event.Event;

import datastore.ChangeEvents;
import datastore.flash.FlashRegion;
import datastore.image.ImageType;
import datastore.romformat.RomFixtures;
import datastore.romformat.RomStore;
import datastore.spi.RomContent;
import datastore.testsupport.RecordingEventAdmin;

/**
 * A ROM replace posts the store's change events for exactly what it changed: a put for each key,
 * image or code added or changed, a removal for each one gone, nothing for what stayed the same,
 * and nothing at all for a replace that is refused.
 */
public class RomChangeEventsTest {

    /** The changes posted, as "topic name", each checked to name the ROM partition. */
    private static List<String> changes(RecordingEventAdmin events) {
        List<String> changes = new ArrayList<>();
        for (Event event : events.posted()) {
            assertEquals("rom", event.getProperty(ChangeEvents.PARTITION));
            changes.add(event.getTopic() + " " + event.getProperty(ChangeEvents.NAME));
        }
        return changes;
    }

    @Test
    public void aReplacePostsAnEventForEveryEntryItChangedAndNoneForTheRest() {
        FlashRegion region = RomFixtures.romRegion(RomFixtures.smallFlash());
        RomStore store = RomFixtures.mount(region);
        RecordingEventAdmin events = new RecordingEventAdmin();
        RomProvisioningService provisioning = new RomProvisioningService(store, () -> RomFixtures.FORMATS, true,
                () -> events);

        provisioning.replace(RomFixtures.content("a"));
        assertEquals(List.of("datastore/code/PUT main", "datastore/image/PUT default",
                "datastore/kv/PUT content_url", "datastore/kv/PUT dock_name", "datastore/kv/PUT timezone"),
                changes(events));

        // Same code and image, one value changed, one key gone, one added, one image added.
        events.clear();
        Map<String, String> kv = new LinkedHashMap<>();
        kv.put("dock_name", "RW02-a");
        kv.put("content_url", "https://content.example.com/b");
        kv.put("locale", "en-GB");
        Map<String, RomContent.RomImage> images = new LinkedHashMap<>(RomFixtures.content("a").images());
        images.put("logo", new RomContent.RomImage(ImageType.PNG, RomFixtures.resource("small.png")));
        provisioning.replace(new RomContent(RomFixtures.content("a").code(), kv, images));
        assertEquals(List.of("datastore/image/PUT logo", "datastore/kv/PUT content_url", "datastore/kv/PUT locale",
                "datastore/kv/REMOVED timezone"), changes(events));

        // Refused (not development): nothing changes, nothing is posted.
        events.clear();
        RomProvisioningService production = new RomProvisioningService(store, () -> RomFixtures.FORMATS, false,
                () -> events);
        try {
            production.replace(RomFixtures.content("c"));
        } catch (RuntimeException expected) {
            // ReadOnlyPartitionException
        }
        assertEquals(List.of(), changes(events));
    }
}
