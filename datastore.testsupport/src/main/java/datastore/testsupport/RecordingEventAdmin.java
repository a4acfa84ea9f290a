package datastore.testsupport;

import java.util.ArrayList;
import java.util.List;

import org.osgi.service.event.Event;
import org.osgi.service.event.EventAdmin;

/**
 * An Event Admin that keeps what was posted. Sending synchronously is what no bundle of the store does,
 * so it fails the test.
 */
public final class RecordingEventAdmin implements EventAdmin {

    private final List<Event> posted = new ArrayList<>();

    @Override
    public synchronized void postEvent(Event event) {
        posted.add(event);
    }

    @Override
    public void sendEvent(Event event) {
        throw new AssertionError("events are posted asynchronously, it never sends them: " + event);
    }

    public synchronized List<Event> posted() {
        return List.copyOf(posted);
    }

    public synchronized List<String> topics() {
        return posted.stream().map(Event::getTopic).toList();
    }

    public synchronized void clear() {
        posted.clear();
    }
}
