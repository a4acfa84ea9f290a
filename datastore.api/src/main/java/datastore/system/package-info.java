/**
 * Services for the dock runtime, not for applications: the application's code and factory reset.
 */
@Export
@Version("1.0.0")
package datastore.system;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
