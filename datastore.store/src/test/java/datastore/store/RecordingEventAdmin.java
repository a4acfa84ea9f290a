package datastore.store;

import java.util.ArrayList;
import java.util.List;

import org.osgi.service.event.Event;
import org.osgi.service.event.EventAdmin;

/** An Event Admin that keeps what was posted; sending synchronously is not what the store does, so it fails. */
final class RecordingEventAdmin implements EventAdmin {

    private final List<Event> posted = new ArrayList<>();

    @Override
    public synchronized void postEvent(Event event) {
        posted.add(event);
    }

    @Override
    public void sendEvent(Event event) {
        throw new AssertionError("the store posts events asynchronously, it never sends them: " + event);
    }

    synchronized List<Event> posted() {
        return List.copyOf(posted);
    }

    synchronized List<String> topics() {
        return posted.stream().map(Event::getTopic).toList();
    }

    synchronized void clear() {
        posted.clear();
    }
}
