/**
 * Services for the dock runtime, not for applications: the application's code, factory reset, and
 * the store's partitions with their usage, and the dock's readiness.
 */
@Export
@Version("1.3.0")
package datastore.system;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
