/**
 * Test doubles of the partition SPI and the store's services, and configuration instances for tests.
 * Test scope only.
 */
@Export
@Version("1.1.0")
package datastore.testsupport;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
