/**
 * The application API of the dock datastore: {@link datastore.KvStore}, {@link datastore.ImageStore}, image tokens, change events and the exceptions every operation documents.
 */
@Export
@Version("1.2.0")
package datastore;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
