package datastore.logstore;

import datastore.Namespace;

/** A name in its namespace, as the writer's index keys it. */
record EntryKey(Namespace namespace, String name) {
}
